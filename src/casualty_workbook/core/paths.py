"""Where things are: the project's folders, its data, and what may be read as a data file.

Kept free of heavy imports: the command line's no-op build reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from casualty_workbook.core.exceptions import DataValidationError, Problem

PACKAGE = Path(__file__).resolve().parents[1]  # core/ is one folder below the package
PROJECT_ROOT = PACKAGE.parents[1]


@dataclass(frozen=True)
class Layout:
    """Where things are: the project root and the folders the build reads and writes."""

    root: Path
    figures: Path
    reports: Path
    # An analyst's own folder (output_dir=...): figures go straight into it, and nothing else there is touched.
    figures_flat: bool = False
    # The "All reports" link of every report page, relative to the page; None when no index exists to link to.
    index_link: str | None = "index.html"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def catalogue(self) -> Path:
        return self.root / "catalogue.yml"

    @property
    def state_dir(self) -> Path:
        return self.root / ".build-state"

    @property
    def package(self) -> Path:
        return PACKAGE


def default_layout() -> Layout:
    """The project's folders; WORKBOOK_ROOT, WORKBOOK_FIGURES_DIR and WORKBOOK_REPORTS_DIR override them."""
    root = Path(os.environ.get("WORKBOOK_ROOT") or PROJECT_ROOT)
    return Layout(
        root,
        Path(os.environ.get("WORKBOOK_FIGURES_DIR") or root / "figures"),
        Path(os.environ.get("WORKBOOK_REPORTS_DIR") or root / "reports"),
    )


def default_data_dir() -> Path:
    """``$WORKBOOK_DATA_DIR`` if set, else the project's ``data/`` folder."""
    env = os.environ.get("WORKBOOK_DATA_DIR")
    if env:
        return Path(env)
    return PROJECT_ROOT / "data"


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
        rule = missing if problem == "file not found" else problem
        raise DataValidationError(path, [Problem(None, None, None, rule)])
