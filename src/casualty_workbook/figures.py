"""The one function that saves figures: every format, no dates or versions, atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

FORMATS = ("png", "svg")
# Metadata that would change between runs or machines is left out, so output is byte-identical.
_METADATA = {
    "png": {"Software": None},
    "svg": {"Creator": None, "Date": None, "Format": None, "Type": None},
}


def save_figure(fig: plt.Figure, name: str, directory: str | Path | None, *, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Save ``fig`` as ``directory/name.<format>`` for each format; returns the paths written.

    Nothing is written when ``directory`` is None (an analyst exploring in JupyterLab).
    Each file is written to a temporary name in the same folder and renamed when complete,
    so an interrupted save never leaves a truncated figure.
    """
    if directory is None:
        return []
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    written = []
    with mpl.rc_context({"svg.hashsalt": "casualty-figures-workbook"}):
        for fmt in formats:
            target = folder / f"{name}.{fmt}"
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".{fmt}.tmp", dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    fig.savefig(handle, format=fmt, metadata=_METADATA.get(fmt))
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(target)
    return written
