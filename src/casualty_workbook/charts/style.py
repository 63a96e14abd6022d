"""The house style, set in one place: the .mplstyle file beside this module and every colour a chart uses."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import seaborn as sns

STYLE_FILE = Path(__file__).with_name("workbook.mplstyle")

# Okabe and Ito's palette, safe for the common forms of colour blindness: every hue below is one of these.
OKABE_ITO = {
    "vermillion": "#D55E00",
    "blue": "#0072B2",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
# Greys for what is not a figure's status: a part set apart (stacked on a bar), links, captions, boxes.
SET_APART = "#999999"
LINK = "#555555"
CAPTION = "#444444"
BOX_FACE, BOX_EDGE = "#f4f4f4", "#cccccc"

# How far a figure was checked decides how it is drawn: solid when verified, hatched otherwise.
STATUS_COLOURS = {
    "verified": OKABE_ITO["blue"],
    "secondary": OKABE_ITO["sky_blue"],
    "unverified": OKABE_ITO["orange"],
    "unattributed": OKABE_ITO["bluish_green"],
    "claimed": OKABE_ITO["vermillion"],
    "derived": OKABE_ITO["reddish_purple"],
}
STATUS_HATCHES = {
    "verified": "",
    "secondary": "..",
    "unverified": "//",
    "unattributed": "\\\\",
    "claimed": "xx",
    "derived": "--",
}
# Claimants are told apart by colour on the revision chart, in order of appearance.
CLAIMANT_PALETTE = (
    *(OKABE_ITO[h] for h in ("vermillion", "blue", "bluish_green", "reddish_purple", "orange", "sky_blue", "black")),
    SET_APART,
)
# Countries on a map, in alphabetical order of their names.
COUNTRY_PALETTE = tuple(
    OKABE_ITO[h]
    for h in ("vermillion", "blue", "bluish_green", "reddish_purple", "orange", "sky_blue", "yellow", "black")
)


# Every colour a chart draws with, text and grid included: a PNG is saved with a palette of these and
# the steps from white to each (anti-aliased edges), so each colour is kept exactly and the file is small.
DRAWN_COLOURS = (
    *OKABE_ITO.values(),
    SET_APART,
    LINK,
    CAPTION,
    BOX_EDGE,
    "#262626",  # text (seaborn's)
    "#dddddd",  # grid
)
PNG_STEPS = 16  # shades from white to each drawn colour


def png_palette() -> list[int]:
    """The PNG palette: each of ``DRAWN_COLOURS`` and its ``PNG_STEPS`` shades towards white, then white."""
    colours = []
    for hex_colour in dict.fromkeys(c.lower() for c in DRAWN_COLOURS):
        rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
        for step in range(PNG_STEPS):
            t = step / PNG_STEPS
            colours.append(tuple(round(c + (255 - c) * t) for c in rgb))
    colours.append((255, 255, 255))
    colours = list(dict.fromkeys(colours))[:256]
    return [v for colour in colours for v in colour] + [255, 255, 255] * (256 - len(colours))


def use_house_style() -> None:
    """Apply the workbook's style to matplotlib and seaborn (idempotent)."""
    sns.set_theme(style="whitegrid", rc={})  # seaborn first, then our file overrides it
    mpl.rcParams.update(mpl.rc_params_from_file(str(STYLE_FILE), use_default_template=False))
