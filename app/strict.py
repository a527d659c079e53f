"""Strict mode: under the test suite, an error the app survives fails the test instead.

The pacer and the engine worker catch what a view update or an engine job raises, print
the traceback and carry on: one broken view must not hold up the others, and an engine
error must not kill the engine thread. In a test that would hide the bug, so the suite's
conftest switches strict mode on for every test: `survive()` then records the error and
raises it again (on the engine thread it records it, and the worker raises when the failure
reaches the GUI thread; the conftest fails a test that recorded any). Off in production.
"""

from __future__ import annotations

import traceback

FAILURES: list[str] = []  # what `survive()` caught in strict mode (the conftest fails the test)
_strict = False


class StrictError(RuntimeError):
    """Raised in strict mode where production code would report an error and run on."""


def enable(on: bool = True) -> None:
    """Switch strict mode on (tests) or off (production, the default)."""
    global _strict
    _strict = bool(on)


def enabled() -> bool:
    """True in strict mode."""
    return _strict


def survive(where: str, *, reraise: bool = True) -> None:
    """Call inside `except`: print the traceback and return; in strict mode record it and re-raise.

    Parameters
    ----------
    where
        What failed, for the record ("pacer update 'chart'", "engine job 'spread'").
    reraise
        False on a thread that must run on (the engine thread): strict mode only records.
    """
    if not _strict:
        traceback.print_exc()
        return
    FAILURES.append(f"{where}:\n{traceback.format_exc()}")
    if reraise:
        raise  # the exception the caller is handling
