"""What every report's kernel inherits: the data folder, fixed seeds and dates, no frontend's mark.

The build sets it in its own process (its kernels inherit it); executors hand it to kernels they start
elsewhere (a Dask worker's warm server).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Fixed seeds and dates for reproducible output, unless the build's environment sets its own.
KERNEL_DEFAULTS = {
    "SOURCE_DATE_EPOCH": "0",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


# A Jupyter server's mark on a kernel it started for an open notebook (explore.frontend_attached): a
# build started from inside a notebook (`!make figures`) would pass it on to its batch kernels.
FRONTEND_ONLY = ("JPY_SESSION_NAME",)


def kernel_environment(base: Mapping[str, str], data_dir: Path) -> dict[str, str]:
    """``base`` with what every kernel gets: the data folder, and the fixed seeds and dates unless
    ``base`` sets its own; never a frontend's mark (``FRONTEND_ONLY``)."""
    kept = {k: v for k, v in base.items() if k not in FRONTEND_ONLY}
    return {**KERNEL_DEFAULTS, **kept, "WORKBOOK_DATA_DIR": str(data_dir)}


def prepare_environment(data_dir: Path) -> None:
    """What every kernel inherits: the data folder and fixed seeds and dates for reproducible output."""
    for name in FRONTEND_ONLY:
        os.environ.pop(name, None)
    os.environ.update(kernel_environment(os.environ, data_dir))
