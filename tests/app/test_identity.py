"""The application's identity: names, desktop file name, version, and an icon legible at 16 px."""

from __future__ import annotations

import itertools
import pathlib
import tomllib

import pytest

from depthlens import identity
from depthlens.main import make_app

ROOT = pathlib.Path(__file__).resolve().parents[2]
BAR_COLUMNS = (1, 4, 7, 10, 13)  # left pixel column of each bar at 16 px


@pytest.fixture
def restored_app(qapp):
    """The test's QApplication, its names and icon put back afterwards."""
    saved = (qapp.applicationName(), qapp.organizationName(), qapp.desktopFileName(), qapp.windowIcon())
    yield qapp
    name, org, desktop, icon = saved
    qapp.setApplicationName(name)
    qapp.setOrganizationName(org)
    qapp.setDesktopFileName(desktop)
    qapp.setWindowIcon(icon)


def test_make_app_sets_name_organisation_desktop_file_version_and_icon(restored_app):
    app = make_app()
    assert app is restored_app
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert (app.applicationName(), app.organizationName(), app.desktopFileName()) == ("depthlens",) * 3
    assert app.applicationVersion() == version
    icon = app.windowIcon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(identity.ICON_SIZES)


def test_the_main_window_shows_the_app_icon(restored_app, make_window):
    make_app()
    window = make_window()
    assert window.windowIcon().cacheKey() == restored_app.windowIcon().cacheKey()


def test_the_icon_is_pixel_sharp_at_16_px_bars_shrink_then_grow():
    img = identity.icon_image(16)
    colours = {img.pixelColor(x, 12).name() for x in BAR_COLUMNS}
    assert colours == {"#009e73", "#56b4e9", "#e69f00"}  # Okabe-Ito green, sky, orange: no blended edges

    def height(x):
        bar = img.pixelColor(x, 12)
        return sum(img.pixelColor(x, y) == bar and img.pixelColor(x + 1, y) == bar for y in range(16))

    heights = [height(x) for x in BAR_COLUMNS]
    low = heights.index(min(heights))
    assert 0 < low < len(heights) - 1
    steps = list(itertools.pairwise(heights))
    assert all(a > b for a, b in steps[:low])  # shrinking
    assert all(a < b for a, b in steps[low:])  # then growing
    assert img.pixelColor(0, 0).alpha() < 255  # rounded corner
    assert img.pixelColor(8, 1).name() == "#1e2a3a"  # the tile behind the bars


def test_the_svg_is_in_resources_and_scales_to_256():
    svg = (ROOT / "resources" / "depthlens.svg").read_bytes()
    assert svg == identity.icon_svg_bytes()
    assert b'viewBox="0 0 16 16"' in svg
    big = identity.icon_image(256)
    assert (big.width(), big.height()) == (256, 256)
    assert big.pixelColor(16 * 13 + 8, 16 * 3).name() == "#e69f00"  # the tallest bar, 16x
