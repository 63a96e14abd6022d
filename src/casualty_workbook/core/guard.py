"""Where a command may write: never into the data, the committed figures or the build's state.

``data/`` is written only by imports (and by hand), ``figures/`` only by the build and
``.build-state/`` only by the build's own bookkeeping. A command given a destination (``export hxl
FILE``, ``report ... output_dir=FOLDER``) checks it here before anything is read or written, and a
destination that is a link, a device, a FIFO or a folder where a file is expected is refused too
(``files.destination_problem``). Kept free of heavy imports.
"""

from __future__ import annotations

import os
from pathlib import Path

from casualty_workbook.core.exceptions import ParameterError
from casualty_workbook.core.files import destination_problem
from casualty_workbook.core.paths import Layout, default_data_dir, default_layout


def protected_folders(layout: Layout | None = None, data_dir: Path | None = None) -> dict[str, Path]:
    """The folders no command but the build (figures) or an import (data) writes into, by what they hold."""
    layout = layout or default_layout()
    folders = {
        "the data folder (written only by imports and by hand)": data_dir or default_data_dir(),
        "the project's data folder (written only by imports and by hand)": layout.root / "data",
        "the committed figures (written only by the build)": layout.figures,
        "the build's state": layout.state_dir,
    }
    return {what: Path(os.path.realpath(folder)) for what, folder in folders.items()}


def _inside(path: Path, layout: Layout | None, data_dir: Path | None) -> tuple[str, Path] | None:
    """The protected folder ``path`` is in (or is), as (what it holds, where), or None."""
    # realpath: a link or '..' that leads into a protected folder is still inside it.
    real = Path(os.path.realpath(path))
    for what, folder in protected_folders(layout, data_dir).items():
        if real == folder or real.is_relative_to(folder):
            return what, folder
    return None


def check_output_file(
    path: str | Path, *, what: str, layout: Layout | None = None, data_dir: Path | None = None
) -> Path:
    """``path`` as a file a command may write, or a ``ParameterError`` naming it and why not.

    ``what`` names the argument in the message ("export hxl FILE").
    """
    path = Path(path).expanduser()
    problem = destination_problem(path)
    if problem is not None:
        raise ParameterError(f"{what}: {path} {problem}; nothing was written")
    inside = _inside(path, layout, data_dir)
    if inside is not None:
        raise ParameterError(
            f"{what}: {path} is inside {inside[0]} ({inside[1]}); choose a file elsewhere, nothing was written"
        )
    for folder in path.parents:  # a missing folder is made; a file where a folder should be is named
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise ParameterError(f"{what}: {folder} is not a folder; nothing was written")
            break
    return path


def check_output_folder(
    folder: str | Path, *, what: str, layout: Layout | None = None, data_dir: Path | None = None
) -> Path:
    """``folder`` as a folder a command may write files into (made when missing), or a ``ParameterError``."""
    folder = Path(folder).expanduser()
    inside = _inside(folder, layout, data_dir)
    if inside is not None:
        raise ParameterError(
            f"{what}: {folder.resolve()} is inside {inside[0]} ({inside[1]}); choose another folder "
            "(nothing was written)"
        )
    if folder.is_symlink() and not folder.is_dir():
        raise ParameterError(f"{what}: {folder} is a symbolic link that leads to no folder")
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"{what}: {folder.resolve()} exists and is not a folder")
    return folder.resolve()
