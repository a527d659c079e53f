"""Sessions: the store and JSON files round trip; bad ones become defaults, never a crash."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import QRect

from depthlens import classroom, classroom_look, classroom_sessions
from depthlens.engine import Settings
from depthlens.session import (
    MAX_BYTES,
    VERSION,
    Session,
    SessionError,
    Store,
    WindowGeometry,
    parse_session,
    read_session_file,
)

pytest_plugins = ("classroom_util",)


def ini_store(path) -> Store:
    return Store(path)


SMALL = Settings(depth=12, width=8, batch=4)
OTHER = Settings(depth=30, width=16, batch=8, activation="relu", init="orthogonal", scale=1.3, seed=7)


def good(**changes) -> dict:
    d = Session(OTHER, "dark", "gradients", 1.21).to_dict()
    d.update(changes)
    return d


BAD_FILES = {
    "empty": b"",
    "whitespace": b"  \n ",
    "random bytes": bytes(range(256)) * 3,
    "truncated": json.dumps(good()).encode()[:57],
    "not an object": b"[1, 2, 3]",
    "wrong version": json.dumps(good(version=VERSION + 1)).encode(),
    "no version": json.dumps({k: v for k, v in good().items() if k != "version"}).encode(),
    "version as text": json.dumps(good(version="1")).encode(),
    "other app": json.dumps(good(app="someone-else")).encode(),
    "unknown key": json.dumps(good(colour="red")).encode(),
    "unknown setting": json.dumps(good(settings={"depht": 3})).encode(),
    "settings wrong type": json.dumps(good(settings="deep")).encode(),
    "depth wrong type": json.dumps(good(settings={"depth": "50"})).encode(),
    "theme wrong type": json.dumps(good(theme=3)).encode(),
    "unknown theme": json.dumps(good(theme="neon")).encode(),
    "view wrong type": json.dumps(good(view=["both"])).encode(),
    "huge depth": json.dumps(good(settings={"depth": 10**30})).encode(),
    "huge float": b'{"version": 1, "settings": {"scale": 1e999}}',
    "giant integer": b'{"version": 1, "settings": {"seed": ' + b"9" * 5000 + b"}}",
    "NaN": b'{"version": 1, "settings": {"scale": NaN}}',
    "Infinity font": b'{"version": 1, "font_scale": Infinity}',
    "huge font scale": json.dumps(good(font_scale=1e308)).encode(),
    "bool font scale": json.dumps(good(font_scale=True)).encode(),
    "window wrong type": json.dumps(good(window=[1, 2])).encode(),
    "window huge": json.dumps(good(window={"x": 0, "y": 0, "width": 10**12, "height": 600})).encode(),
    "deep nesting": b"[" * 100000 + b"]" * 100000,
    "too large": b'{"version": 1, "pad": "' + b"x" * (MAX_BYTES + 10) + b'"}',
    "utf-16": json.dumps(good()).encode("utf-16"),
}


def test_round_trip_json():
    s = Session(OTHER, "projector", "weight_gradients", 1.5, WindowGeometry(10, 20, 800, 600, True))
    assert parse_session(s.to_json()) == s
    assert parse_session(s.to_json(with_window=False)) == s.replace(window=None)
    # partial files take the rest from the defaults
    assert parse_session('{"version": 1, "theme": "dark"}') == Session(theme="dark")


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_session_file_is_reported_in_one_line_and_replaced_by_defaults(name, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(BAD_FILES[name])
    defaults = Session(theme="dark")
    session, message = read_session_file(path, defaults)
    assert session == defaults
    assert message is not None and "\n" not in message and len(message) < 300
    assert str(path) in message and "using defaults" in message
    with pytest.raises(SessionError):
        parse_session(BAD_FILES[name])


def test_missing_session_file(tmp_path):
    session, message = read_session_file(tmp_path / "nope.json")
    assert session == Session() and "cannot read" in message


def test_window_session_file_round_trip(make_room, tmp_path):
    window, room = make_room(SMALL)
    window.set_settings(OTHER)
    room.apply_theme("projector")
    window.set_view("gradients")
    room.set_user_font(1.3)
    path = tmp_path / "lesson.json"
    assert room.save_session(path)
    data = json.loads(path.read_text())
    assert data["version"] == VERSION and data["settings"] == OTHER.to_dict() and "window" not in data

    window2, room2 = make_room(SMALL)
    assert room2.open_session(path)
    assert window2.settings() == OTHER and window2.controls.settings() == OTHER
    assert window2.theme_name == "projector" and window2.chart.view == "gradients"
    assert room2.user_font == pytest.approx(1.3)
    assert room2.messages == []


@pytest.mark.parametrize("name", ["empty", "random bytes", "truncated", "wrong version", "unknown key", "huge depth"])
def test_a_bad_session_file_changes_nothing(name, make_room, tmp_path, monkeypatch):
    # (it used to replace the current state with defaults: one typo lost the remembered session)
    monkeypatch.setattr(classroom_look, "system_theme", lambda: "light")
    window, room = make_room(OTHER, theme="dark")
    window.set_view("gradients")
    room.set_user_font(2.0)
    path = tmp_path / "bad.json"
    path.write_bytes(BAD_FILES[name])
    assert not room.open_session(path)
    assert window.settings() == OTHER
    assert window.theme_name == "dark" and window.chart.view == "gradients" and room.user_font == 2.0
    assert len(room.messages) == 1 and "\n" not in room.messages[0] and "nothing changed" in room.messages[0]
    assert room.messages[0] in window.statusBar().currentMessage()


@pytest.fixture
def big_screen(monkeypatch):
    """A 1920x1080 screen (the offscreen platform's 800x800 is narrower than the window's minimum)."""
    monkeypatch.setattr(classroom_sessions, "screen_rects", lambda: [QRect(0, 0, 1920, 1080)])


def test_store_round_trip_through_close(make_room, qtbot, tmp_path, big_screen):
    store = ini_store(tmp_path / "remember.ini")
    window, room = make_room(SMALL, store=store)
    window.set_settings(OTHER)
    room.apply_theme("dark")
    window.set_view("activations")
    room.set_user_font(1.21)
    window.setGeometry(QRect(20, 40, 1000, 700))
    geometry = window.normalGeometry()
    window.close()  # the close writes the store
    saved = json.loads(store.path.read_text())
    assert saved["settings"] == OTHER.to_dict() and saved["theme"] == "dark"

    window2, room2 = make_room(SMALL, store=ini_store(tmp_path / "remember.ini"), restore=True)
    assert window2.settings() == OTHER
    assert window2.theme_name == "dark" and window2.chart.view == "activations"
    assert room2.user_font == pytest.approx(1.21)
    assert window2.geometry() == geometry
    assert room2.messages == []


def test_explicit_command_line_settings_and_theme_win_over_the_store(make_window, tmp_path):
    from depthlens.classroom import attach

    store = ini_store(tmp_path / "s.ini")
    store.save(Session(OTHER, "dark", "gradients", 1.0))
    window = make_window(SMALL)
    attach(window, store=ini_store(tmp_path / "s.ini"), explicit=True, theme="projector")
    assert window.settings() == SMALL
    assert window.theme_name == "projector" and window.chart.view == "gradients"


@pytest.mark.parametrize("name", ["empty", "random bytes", "truncated", "wrong version", "unknown key", "huge float"])
def test_corrupt_store_is_reported_and_replaced_by_defaults(name, make_room, tmp_path, monkeypatch):
    monkeypatch.setattr(classroom_look, "system_theme", lambda: "dark")
    store = ini_store(tmp_path / "broken.ini")
    store.path.write_bytes(BAD_FILES[name])
    window, room = make_room(OTHER, store=ini_store(tmp_path / "broken.ini"), restore=True)
    assert window.settings() == Settings()
    assert window.theme_name == "dark"
    assert len(room.messages) == 1 and "\n" not in room.messages[0] and "using defaults" in room.messages[0]
    assert (tmp_path / "broken.ini.bad").read_bytes() == BAD_FILES[name]  # moved aside, nothing lost


def test_store_file_of_garbage_never_crashes(make_room, tmp_path):
    path = tmp_path / "garbage.ini"
    path.write_bytes(os.urandom(4096))
    window, _ = make_room(SMALL, store=ini_store(path), restore=True)
    assert isinstance(window.settings(), Settings)


def test_first_start_follows_the_system_colour_scheme(make_room, monkeypatch):
    monkeypatch.setattr(classroom_look, "system_theme", lambda: "dark")
    window, room = make_room(SMALL, theme="light", restore=True)
    assert room.store.is_empty()
    assert window.theme_name == "dark" and room.theme_actions["dark"].isChecked()


def test_geometry_is_restored_only_if_it_fits_a_screen(make_room, tmp_path, big_screen):
    screens = [QRect(0, 0, 1920, 1080)]
    assert classroom.fits_screen(QRect(100, 100, 800, 600), screens)
    assert not classroom.fits_screen(QRect(1800, 100, 800, 600), screens)
    assert not classroom.fits_screen(QRect(-5000, 0, 800, 600), screens)
    assert classroom.fits_screen(QRect(2000, 0, 800, 600), [*screens, QRect(1920, 0, 1280, 1024)])
    window, room = make_room(SMALL)
    assert room.restore_geometry(WindowGeometry(10, 30, 900, 500))
    assert window.geometry() == QRect(10, 30, 900, 500)
    # a window last seen on a screen that is gone is not moved there
    assert not room.restore_geometry(WindowGeometry(3000, 0, 1000, 600))
    assert window.geometry().x() < 1920


def test_reset_to_defaults(make_room, monkeypatch):
    monkeypatch.setattr(classroom_look, "system_theme", lambda: "light")
    window, room = make_room(OTHER, theme="projector")
    room.set_user_font(1.5)
    room.toggle_theory()
    room.go_to_step(3)
    room.actions["reset"].trigger()
    assert window.settings() == Settings()
    assert window.theme_name == "light" and window.chart.view == "both"
    assert room.user_font == 1.0 and window.chart.show_theory and room.step_index == -1


def test_file_menu_has_session_entries(make_room):
    window, room = make_room(SMALL)
    texts = [a.text() for a in window.file_menu.actions()]
    for id_ in ("open_session", "save_session", "reset"):
        assert room.actions[id_].text() in texts


def test_depthlens_session_option_starts_from_the_file(qtbot, tmp_path, isolated_user_dirs):
    """`depthlens --session FILE`: the CLI passes the file to run_gui, which loads it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from depthlens import cli
    from depthlens.window import MainWindow

    path = tmp_path / "start.json"
    path.write_text(Session(OTHER, "projector", "gradients", 1.0).to_json(with_window=False))
    seen = {}

    def close_windows():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow) and hasattr(w, "classroom"):
                seen["settings"] = w.settings()
                seen["theme"] = w.theme_name
                seen["view"] = w.chart.view
                seen["window"] = w
                w.close()

    QTimer.singleShot(0, close_windows)
    assert cli.main(["--session", str(path)]) == 0
    window = seen.pop("window")
    qtbot.addWidget(window)
    assert seen == {"settings": OTHER, "theme": "projector", "view": "gradients"}
    # the session was remembered in the (isolated) store on close, as JSON depthlens parses
    stored = isolated_user_dirs["config"] / "depthlens" / "depthlens.conf"
    assert parse_session(stored.read_bytes()).settings == OTHER


def test_loss_round_trips_and_old_sessions_keep_the_sum_loss():
    s = Session(OTHER.replace(loss="sum"))
    assert parse_session(s.to_json()).settings.loss == "sum"
    assert parse_session(Session(OTHER).to_json()).settings.loss == "random"
    # A session written before the setting existed was computed with Loss = sum of outputs.
    old = Session(OTHER).to_dict()
    del old["settings"]["loss"]
    assert parse_session(json.dumps(old)).settings == OTHER.replace(loss="sum")
    with pytest.raises(SessionError, match="loss"):
        parse_session(json.dumps({**old, "settings": {**old["settings"], "loss": "mse"}}))
