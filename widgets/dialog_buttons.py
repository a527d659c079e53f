"""The Close + Copy button row of depthlens's text dialogs (About, error reports)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QPushButton


def read_only_text(text: str = "", min_size: tuple[int, int] = (560, 180)) -> QPlainTextEdit:
    """A read-only text box to copy from."""
    box = QPlainTextEdit(text)
    box.setReadOnly(True)
    box.setMinimumSize(*min_size)
    return box


def close_and_copy(
    dialog: QDialog, label: str, tip: str, on_copy: Callable[[], None]
) -> tuple[QDialogButtonBox, QPushButton]:
    """A Close button that rejects `dialog` and a Copy button calling `on_copy`."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    copy = buttons.addButton(label, QDialogButtonBox.ButtonRole.ActionRole)
    copy.setToolTip(tip)
    copy.clicked.connect(on_copy)
    buttons.rejected.connect(dialog.reject)
    return buttons, copy
