"""Training settings are checked as `Settings` are: one message naming the setting and its range."""

from __future__ import annotations

import math

import pytest

from depthlens.engine import SettingsError
from depthlens.engine.train_config import TRAIN_RANGES, TrainConfig, train_allowed

BAD = [
    ("task", "xor"),
    ("task", 3),
    ("optimizer", "rmsprop"),
    ("optimizer", None),
    ("lr", 0.0),
    ("lr", 11.0),
    ("lr", math.nan),
    ("lr", "0.1"),
    ("lr", True),
    ("momentum", 0.995),
    ("momentum", -0.1),
    ("clip", math.inf),
    ("clip", -1.0),
    ("noise", 1.5),
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_a_bad_value_names_the_setting_and_its_range(name, value):
    with pytest.raises(SettingsError) as err:
        TrainConfig(**{name: value})
    assert err.value.name == name
    assert str(err.value) == f"{name} must be {train_allowed(name)}, got {value!r}"


def test_long_and_huge_values_are_cut_in_the_message():
    with pytest.raises(SettingsError) as err:
        TrainConfig(task="x" * 100)
    assert str(err.value).endswith("got " + repr("x" * 100)[:37] + "...")
    with pytest.raises(SettingsError) as err:
        TrainConfig(lr=10**400)
    assert str(err.value) == f"lr must be {train_allowed('lr')}, got a number beyond float64"


def test_numbers_are_floats_and_the_ends_are_allowed():
    for name in ("lr", "momentum", "clip", "noise"):
        lo, hi = TRAIN_RANGES[name]
        for value in (lo, hi):
            x = getattr(TrainConfig(**{name: int(value) if float(value).is_integer() else value}), name)
            assert x == value and type(x) is float


def test_replace_validates_and_names_an_unknown_setting():
    c = TrainConfig().replace(lr=0.5, optimizer="sgd")
    assert (c.lr, c.optimizer) == (0.5, "sgd")
    with pytest.raises(SettingsError) as err:
        TrainConfig().replace(steps=5, bogus=1)
    assert err.value.name == "bogus" and str(err.value) == "unknown training setting 'bogus'"
    with pytest.raises(SettingsError, match="lr must be"):
        TrainConfig().replace(lr=-1.0)
