"""Who the application is to the desktop: name, organisation, desktop entry, icon, version.

Set on the QApplication before the first window exists: on X11 the window's WM_CLASS is
(argv[0]'s basename, application name), on Wayland the compositor matches the window to
`depthlens.desktop` through the desktop file name and takes the icon from that entry only.
"""

from __future__ import annotations

from importlib import resources

APP_NAME = "depthlens"
ORGANISATION = "depthlens"
DESKTOP_ID = "depthlens"  # depthlens.desktop; also the X11 WM_CLASS class (StartupWMClass)
ICON_FILE = "depthlens.svg"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def version() -> str:
    """The installed depthlens version (what `depthlens --version` prints)."""
    from depthlens.engine.export import version as package_version

    return package_version()


def icon_svg_bytes() -> bytes:
    """The application icon as SVG (resources/depthlens.svg, read as package data)."""
    return resources.files("depthlens.resources").joinpath(ICON_FILE).read_bytes()


def _renderer():
    from PySide6.QtCore import QByteArray
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(icon_svg_bytes()))
    if not renderer.isValid():
        raise ValueError(f"{ICON_FILE} is not a valid SVG")
    return renderer


def icon_image(size: int, renderer=None):
    """The icon rendered to a square QImage of `size` pixels (QtSvg; needs no QApplication).

    `renderer` (from one SVG parse) renders several sizes without parsing the file again.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter

    renderer = renderer or _renderer()
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return img


def app_icon():
    """The window icon: the SVG rendered at the usual icon sizes (no icon-engine plugin needed)."""
    from PySide6.QtGui import QIcon, QPixmap

    icon = QIcon()
    renderer = _renderer()
    for size in ICON_SIZES:
        icon.addPixmap(QPixmap.fromImage(icon_image(size, renderer)))
    return icon


def apply(app) -> None:
    """Give the QApplication its name, organisation, version, desktop file name and icon.

    No display name: Qt would append it to every window title ("depthlens — … — depthlens").
    """
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(version())
    app.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(app_icon())
