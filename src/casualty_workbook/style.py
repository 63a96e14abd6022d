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
    "derived": "#CC79A7",
}
STATUS_HATCHES = {"verified": "", "secondary": "..", "unverified": "//", "claimed": "xx", "derived": "--"}
STATUS_LABELS = {
    "verified": "verified (in the producing body's own text)",
    "secondary": "secondary (a neutral body's figure carried by an outlet)",
    "unverified": "unverified",
    "claimed": "claimed by a party to the war, not independently verified",
    "derived": "derived (computed from other figures)",
}
STATUS_ORDER = ("verified", "secondary", "unverified", "claimed", "derived")
# Claimants are told apart by colour on the revision chart (Okabe-Ito, colour-blind safe), in order of appearance.
CLAIMANT_PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
SIDE_COLOURS = {"russia": "#D55E00", "ukraine": "#0072B2", "un": "#009E73", "media": "#CC79A7", "unknown": "#777777"}


def use_house_style() -> None:
    """Apply the workbook's style to matplotlib and seaborn (idempotent)."""
    sns.set_theme(style="whitegrid", rc={})  # seaborn first, then our file overrides it
    mpl.rcParams.update(mpl.rc_params_from_file(str(STYLE_FILE), use_default_template=False))
