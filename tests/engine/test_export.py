"""engine.export: the version every file records."""

from __future__ import annotations


def test_version_constant_is_the_projects_and_the_installed_one():
    import importlib.metadata
    import pathlib
    import tomllib

    from depthlens.engine.export import VERSION, version

    pyproject = pathlib.Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert VERSION == tomllib.loads(pyproject.read_text())["project"]["version"]
    assert version() == VERSION == importlib.metadata.version("depthlens")
