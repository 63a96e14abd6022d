"""The one function that saves figures: every format plus the table drawn, no dates or versions, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from . import figure_data
from .files import atomic_write

FORMATS = ("png", "svg")
# The executed notebook says which figure a cell saved, so a report page can show its chart, data and sources.
FIGURE_MIME = "application/vnd.casualty-workbook.figure+json"
# Metadata that would change between runs or machines is left out, so output is byte-identical.
_METADATA = {
    "png": {"Software": None},
    "svg": {"Creator": None, "Date": None, "Format": None, "Type": None},
}


def _announce(name: str, written: list[Path]) -> None:
    """Inside a kernel, leave a (text-less) note in the cell's output naming the figure saved."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        return
    if not InteractiveShell.initialized():
        return
    from IPython.display import display

    display({FIGURE_MIME: {"name": name, "files": [p.name for p in written]}, "text/plain": ""}, raw=True)


def save_figure(
    fig: plt.Figure, name: str, directory: str | Path | None, *, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Save ``fig`` as ``directory/name.<format>`` for each format and ``name.csv``; returns the paths written.

    The CSV holds the rows the figure's chart functions attached (``figure_data``): a figure
    with none is an error, raised before anything is written. Nothing is written when
    ``directory`` is None (an analyst exploring in JupyterLab). Each file is written whole or
    not at all (``files.atomic_write``), so an interrupted save never leaves a truncated file.
    """
    table = figure_data.collect(fig, name)
    if directory is None:
        return []
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    written = []
    with mpl.rc_context({"svg.hashsalt": "casualty-figures-workbook"}):
        for fmt in formats:
            written.append(
                atomic_write(
                    folder / f"{name}.{fmt}",
                    lambda handle, fmt=fmt: fig.savefig(handle, format=fmt, metadata=_METADATA.get(fmt)),
                )
            )
    written.append(atomic_write(folder / f"{name}.csv", figure_data.csv_bytes(table)))
    _announce(name, written)
    return written
