"""Icons, styles and data files (walkthrough steps) shipped with depthlens."""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """Absolute path of a resource file."""
    return HERE / name
