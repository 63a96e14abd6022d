"""Where the project's data lives (kept free of heavy imports: the no-op build reads it)."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """``$WORKBOOK_DATA_DIR`` if set, else the project's ``data/`` folder."""
    env = os.environ.get("WORKBOOK_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data"
