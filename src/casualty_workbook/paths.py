"""Where the project's data lives, and what may be read as a data file (kept free of heavy imports)."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """``$WORKBOOK_DATA_DIR`` if set, else the project's ``data/`` folder."""
    env = os.environ.get("WORKBOOK_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data"


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as one of the data folder's files, or None when it can.

    A symbolic link may point only inside the folder it sits in: one that leads out of it
    (to another project, a home folder) is refused, naming the link, so that what the build
    reads, hashes and records is the data folder's own.
    """
    path = Path(path)
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        folder = Path(os.path.realpath(path.parent))
        if not target.is_relative_to(folder):
            return (
                f"is a symbolic link to {target}, outside {folder}: copy the file into the data "
                "folder instead of linking to it"
            )
    if path.is_dir():
        return "is a folder, not a file"
    if not path.exists():
        return "broken symbolic link: its target does not exist" if path.is_symlink() else "file not found"
    if not path.is_file():
        return "is not a regular file"
    return None


def check_file(path: Path, *, missing: str = "file not found") -> None:
    """Raise ``DataValidationError`` naming ``path`` when it cannot be read as a data file."""
    problem = file_problem(path)
    if problem is not None:
        from .exceptions import DataValidationError, Problem

        rule = missing if problem == "file not found" else problem
        raise DataValidationError(path, [Problem(None, None, None, rule)])
