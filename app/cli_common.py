"""What `cli`, `theory_cli` and `train_cli` need: the usage error, strict number parsing, option types, stdout.

A module of its own so that neither command-line module imports the other.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from depthlens.engine import RANGES, allowed


class UsageError(Exception):
    """A bad command line: exit 2 with this message."""


class StdoutError(Exception):
    """Standard output cannot be written (closed, full disk, broken pipe): exit 1."""


_INT = re.compile(r"[+-]?[0-9]{1,30}", re.ASCII)
_FLOAT = re.compile(r"[+-]?([0-9]{1,400}\.?[0-9]{0,400}|\.[0-9]{1,400})([eE][+-]?[0-9]{1,4})?", re.ASCII)


def shorten(value: object, limit: int = 40) -> str:
    """`value` as repr() for an error message, cut to about `limit` characters."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[: limit - 3]) + "..."
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_int(text: str) -> int:
    """An ASCII decimal integer (no unicode digits, no '_'); ValueError otherwise."""
    if not _INT.fullmatch(text):
        raise ValueError(text)
    return int(text)


def parse_float(text: str) -> float:
    """An ASCII decimal number (no unicode digits, '_', inf or nan); ValueError otherwise."""
    if not _FLOAT.fullmatch(text):
        raise ValueError(text)
    return float(text)


def option_name(field: str) -> str:
    """The CLI option of a setting (bias_std -> --bias-std)."""
    return "--" + field.replace("_", "-")


def int_type(field: str) -> Callable[[str], int]:
    """An argparse type: an integer for setting `field`, else UsageError naming its option and range."""

    def conv(text: str) -> int:
        try:
            return parse_int(text)
        except ValueError:
            raise UsageError(f"{option_name(field)} must be {allowed(field)}, got {shorten(text)}") from None

    return conv


def float_type(field: str, words: Callable[[str], str] = allowed) -> Callable[[str], float]:
    """An argparse type: a number for setting `field`, else UsageError naming its option and `words(field)`."""

    def conv(text: str) -> float:
        try:
            return parse_float(text)
        except ValueError:
            raise UsageError(f"{option_name(field)} must be {words(field)}, got {shorten(text)}") from None

    return conv


def word_type(
    field: str, ranges: Mapping[str, tuple[Any, ...]] = RANGES, words: Callable[[str], str] = allowed
) -> Callable[[str], str]:
    """An argparse type: one of the words `ranges[field]` allows, else UsageError naming its option."""

    def conv(text: str) -> str:
        if text not in ranges[field]:
            raise UsageError(f"{option_name(field)} must be {words(field)}, got {shorten(text)}")
        return text

    return conv


def count_type(option: str, most: int) -> Callable[[str], int]:
    """An argparse type: an integer from 1 to `most` for `option`, else UsageError naming it."""

    def conv(text: str) -> int:
        try:
            k = parse_int(text)
        except ValueError:
            k = 0
        if not 1 <= k <= most:
            raise UsageError(f"{option} must be an integer from 1 to {most}, got {shorten(text)}")
        return k

    return conv


def check_outputs(outs: list[tuple[str, str]], binary: set[str]) -> None:
    """UsageError for an empty name, more than one '-', or a `binary` option written to a terminal."""
    for opt, path in outs:
        if path == "":
            raise UsageError(f"{opt} needs a file name (or '-' for standard output)")
    to_stdout = [opt for opt, path in outs if path == "-"]
    if len(to_stdout) > 1:
        raise UsageError(f"only one output can be '-' (standard output), got {', '.join(to_stdout)}")
    for opt, path in outs:
        if path == "-" and opt in binary and sys.stdout is not None and sys.stdout.isatty():
            raise UsageError(f"{opt} - would write binary data to the terminal; redirect standard output")


def write_stdout(text: str) -> None:
    """Write and flush `text` to standard output; raise `StdoutError` on failure."""
    if sys.stdout is None:
        raise StdoutError("it is closed")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        from depthlens.engine.fileio import reason_of

        raise StdoutError(reason_of(exc)) from None
