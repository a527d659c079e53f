"""Uncaught exceptions reach the user: an error dialog with "Copy details", and the app runs on.

`install()` replaces `sys.excepthook` (PySide6 passes exceptions raised in slots and Qt
virtual methods, and in QThreads, to it) and `threading.excepthook`. Each error still
prints its traceback to stderr; the dialog is shown on the GUI thread (a queued signal:
never inside the paint or the thread that failed), one dialog collecting every error.

Under pytest no dialog opens: the hooks record the error in `UNHANDLED` and the test suite's
conftest fails the test that caused it (and pytest-qt's own hook still sees it).
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from depthlens.widgets.dialog_buttons import close_and_copy, read_only_text

UNHANDLED: list[str] = []  # tracebacks recorded under pytest (conftest fails the test)


@dataclass(frozen=True, slots=True)
class Report:
    """One error for the user: a title, a one-line message and the full details."""

    title: str
    message: str
    details: str
    hint: str = "depthlens keeps running; what you just did may not have completed."


def describe(exc_type, exc, tb, where: str = "") -> Report:
    """The report of an exception: `Type: message` and the formatted traceback."""
    text = str(exc).strip().splitlines()
    message = f"{exc_type.__name__}: {text[0]}" if text else exc_type.__name__
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    if where:
        details = f"{where}\n{details}"
    return Report("depthlens: unexpected error", message, details)


def under_pytest() -> bool:
    """True while pytest runs a test (it sets PYTEST_CURRENT_TEST)."""
    return "PYTEST_CURRENT_TEST" in os.environ


class ErrorDialog(QDialog):
    """The message of the latest error, the details of all, a "Copy details" button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("depthlens: unexpected error")
        self.count = 0
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.details = read_only_text()
        tip = "Copy the error and its traceback to the clipboard, for a bug report."
        buttons, self.copy_button = close_and_copy(self, "&Copy details", tip, self.copy_details)
        lay = QVBoxLayout(self)
        lay.addWidget(self.message)
        lay.addWidget(self.hint)
        lay.addWidget(self.details, 1)
        lay.addWidget(buttons)

    def add(self, report: Report) -> None:
        """Show `report` (its details are appended to those of earlier errors)."""
        self.count += 1
        self.setWindowTitle(report.title)
        more = f" ({self.count} errors so far; details of all below)" if self.count > 1 else ""
        self.message.setText(f"<b>{_escape(report.message)}</b>{more}")
        self.hint.setText(report.hint)
        old = self.details.toPlainText()
        self.details.setPlainText(f"{old}\n{report.details}" if old else report.details)

    def copy_details(self) -> None:
        """Put the details (every error so far) on the clipboard."""
        QApplication.clipboard().setText(self.details.toPlainText())
        self.hint.setText("Details copied to the clipboard.")

    def done(self, result: int) -> None:  # Qt override
        """Closing forgets the errors shown: the next error starts a fresh dialog."""
        self.count = 0
        self.details.clear()
        super().done(result)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ErrorReporter(QObject):
    """Owns the hooks and the dialog; `report()` may be called from any thread."""

    _reported = Signal(object)  # Report; queued to the GUI thread

    def __init__(self, window: QWidget | None = None, *, dialog: bool | None = None) -> None:
        super().__init__(QApplication.instance())
        self.window = window
        self.show_dialogs = (not under_pytest()) if dialog is None else dialog
        self.dialog: ErrorDialog | None = None
        self.reports: list[Report] = []
        self._previous: tuple | None = None
        self._reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # -- hooks --------------------------------------------------------------------------
    def install(self) -> ErrorReporter:
        """Replace sys.excepthook and threading.excepthook (the old ones are kept)."""
        if self._previous is None:
            self._previous = (sys.excepthook, threading.excepthook)
            sys.excepthook = self._excepthook
            threading.excepthook = self._thread_excepthook
        return self

    def uninstall(self) -> None:
        """Put the previous hooks back (only if ours are still installed)."""
        if self._previous is None:
            return
        old_sys, old_thread = self._previous
        if sys.excepthook == self._excepthook:
            sys.excepthook = old_sys
        if threading.excepthook == self._thread_excepthook:
            threading.excepthook = old_thread
        self._previous = None

    def _excepthook(self, exc_type, exc, tb) -> None:
        previous = self._previous[0] if self._previous else sys.__excepthook__
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            previous(exc_type, exc, tb)
            return
        self.report(describe(exc_type, exc, tb), previous=lambda: previous(exc_type, exc, tb))

    def _thread_excepthook(self, args) -> None:
        previous = self._previous[1] if self._previous else threading.__excepthook__
        if args.exc_type is SystemExit:
            return
        where = f"In thread {args.thread.name!r}:" if args.thread is not None else ""
        report = describe(args.exc_type, args.exc_value, args.exc_traceback, where)
        self.report(report, previous=lambda: previous(args))

    # -- reporting ----------------------------------------------------------------------
    def report(self, report: Report, previous=None) -> None:
        """Print the traceback (through the previous hook) and show `report` to the user."""
        self.reports.append(report)
        try:
            if previous is not None:
                previous()
            else:
                sys.stderr.write(report.details)
        except Exception:  # stderr may be gone (a launcher): the dialog still tells
            pass
        if not self.show_dialogs:
            UNHANDLED.append(report.details)
            return
        self._reported.emit(report)

    def notify(self, report: Report) -> None:
        """Show `report` (not an error of this run, e.g. the last run's crash): no traceback printed."""
        self.reports.append(report)
        if self.show_dialogs:
            self._reported.emit(report)

    def _show(self, report: Report) -> None:
        try:
            if self.dialog is None:
                parent = self.window if self.window is not None else QApplication.activeWindow()
                self.dialog = ErrorDialog(parent)
            self.dialog.add(report)
            self.dialog.show()
            self.dialog.raise_()
        except Exception:  # never recurse into the hook that called us
            self.show_dialogs = False
            traceback.print_exc()


def install(window: QWidget | None = None, *, dialog: bool | None = None) -> ErrorReporter:
    """Show uncaught exceptions in a dialog over `window` (none under pytest) and keep running."""
    return ErrorReporter(window, dialog=dialog).install()
