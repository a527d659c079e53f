"""Help > About: the icon, the version and the bug-report lines, with a Copy button.

The lines are those of `depthlens --info`, read in the running app (so the platform plugin
is the one in use and the cache line shows what the engine holds).
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QFont, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from depthlens.widgets.dialog_buttons import close_and_copy, read_only_text

from . import identity, sysinfo

DESCRIPTION = "A desktop lab that shows vanishing and exploding gradients of deep networks, live."


class AboutDialog(QDialog):
    """Version, description and system information; Copy puts the information on the clipboard."""

    def __init__(self, parent: QWidget | None = None, engine=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About depthlens")
        self.engine = engine
        self.info = sysinfo.info_text(engine)

        logo = QLabel()
        logo.setPixmap(QPixmap.fromImage(identity.icon_image(64)))
        title = QLabel(f"<b>depthlens {identity.version()}</b><br>{DESCRIPTION}")
        title.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(logo)
        head.addWidget(title, 1)

        self.text = read_only_text(self.info, (680, 250))
        self.text.setFont(QFont("monospace"))
        self.note = QLabel("Paste these lines into a bug report.")

        tip = "Copy the version and system information to the clipboard."
        buttons, self.copy_button = close_and_copy(self, "&Copy", tip, self.copy)

        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.note)
        lay.addWidget(buttons)

    def refresh(self) -> None:
        """Read the information again (the cache line changes as the engine works)."""
        self.info = sysinfo.info_text(self.engine)
        self.text.setPlainText(self.info)
        self.note.setText("Paste these lines into a bug report.")

    def copy(self) -> None:
        """Put the information on the clipboard."""
        QApplication.clipboard().setText(self.info)
        self.note.setText("Copied to the clipboard.")


def attach(window) -> QAction:
    """Add a Help menu (About depthlens; the keyboard shortcuts when present) to `window`."""
    menu = window.menuBar().addMenu("&Help")
    overlay = getattr(getattr(window, "classroom", None), "actions", {}).get("overlay")
    if overlay is not None:
        menu.addAction(overlay)
        menu.addSeparator()
    act = QAction("&About depthlens", window)
    act.setMenuRole(QAction.MenuRole.AboutRole)
    act.setStatusTip("Version and system information (to copy into a bug report).")
    act.triggered.connect(lambda _=False: show_about(window))
    menu.addAction(act)
    window.help_menu = menu
    window.about_action = act
    return act


def show_about(window) -> AboutDialog:
    """Open the About dialog over `window` (non-modal; one at a time)."""
    dialog = getattr(window, "about_dialog", None)
    if dialog is None:
        worker = getattr(window, "worker", None)
        dialog = AboutDialog(window, engine=getattr(worker, "engine", None))
        window.about_dialog = dialog
    else:
        dialog.refresh()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
