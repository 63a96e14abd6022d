"""The house style, set in one place: the .mplstyle file beside this module and the status colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import seaborn as sns

STYLE_FILE = Path(__file__).with_name("workbook.mplstyle")

# How far a figure was checked decides how it is drawn: solid when verified, hatched otherwise.
STATUS_COLOURS = {
    "verified": "#0072B2",
    "secondary": "#56B4E9",
    "unverified": "#E69F00",
    "claimed": "#D55E00",
}
STATUS_HATCHES = {"verified": "", "secondary": "..", "unverified": "//", "claimed": "xx"}
STATUS_LABELS = {
    "verified": "verified (in the source's own text)",
    "secondary": "secondary (outlet citing the source)",
    "unverified": "unverified",
    "claimed": "claimed by a party, not independently verified",
}
SIDE_COLOURS = {"russia": "#D55E00", "ukraine": "#0072B2", "un": "#009E73", "media": "#CC79A7", "unknown": "#777777"}


def use_house_style() -> None:
    """Apply the workbook's style to matplotlib and seaborn (idempotent)."""
    sns.set_theme(style="whitegrid", rc={})  # seaborn first, then our file overrides it
    mpl.rcParams.update(mpl.rc_params_from_file(str(STYLE_FILE), use_default_template=False))
