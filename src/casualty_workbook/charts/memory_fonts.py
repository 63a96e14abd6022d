"""Fonts read from memory: the saver's renderers measure, shape and draw text with fonts whose files
they hold in memory, not open on disk.

matplotlib (3.11) opens each font file and FreeType reads it through Python, a seek and a read for
every table and glyph it needs; HarfBuzz reads the font's layout tables again for every text it shapes.
The same file's bytes in an ``io.BytesIO`` (an ``FT2Font`` reads any binary file) give the same glyphs
without a system call: a 45-character label shapes in 0.55 ms instead of 1.09 ms. A report's kernel
measures and shapes each of its texts afresh (about 170 measures and 80 shapings): reports forked as the
build forks them, alternated with and without, spent 7 to 11% less CPU (the median of 16 to 24 pairs, in
four runs). Same bytes read, so the same glyphs and the same pixels (``tests/test_agg_canvas.py``
compares them with Agg's own, ``tests/test_memory_fonts.py`` the measures with matplotlib's).

``font_for`` stands in for matplotlib's ``font_manager.get_font`` in the saver's renderers
(``agg_canvas``, ``svg_canvas``): the same files in the same order, the Last Resort font at the end as
matplotlib adds it, the same kerning factor and transform, one font object per files and thread, as
``get_font`` keeps them. It builds the font as matplotlib 3.11 does (``FT2Font``'s fallback and kerning
arguments), so the renderers ask for it only under that release (``IN_USE``); under any other they take
matplotlib's own fonts.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
from matplotlib import ft2font
from matplotlib.font_manager import FontPath, FontProperties, fontManager

# Font files read in this process: real path → bytes. Bytes never change, so a kernel forked from the
# warm server may read them where the server left them. A font file is read once; one replaced on disk
# while the process runs is not read again (matplotlib's fonts, open on disk, do not see it either).
FONT_FILES: dict[str, bytes] = {}
# Font objects made in this process: (files with face indices, kerning factor, Last Resort, thread) → font.
# FreeType's objects must not cross a fork, so a forked child starts with none (as matplotlib's own cache).
FONTS: dict[tuple, ft2font.FT2Font] = {}
MAX_FONTS = 64  # matplotlib keeps 64 too; emptied when full
LAST_RESORT = "LastResortHE-Regular.ttf"
# The matplotlib release whose fonts ``font_for`` makes as ``get_font`` does, and whose Agg text drawing
# ``agg_canvas`` repeats (major, minor).
CHECKED_RELEASE = (3, 11)


def release(version: str) -> tuple[int, int]:
    """A version's release, e.g. (3, 11) of '3.11.2' or '3.11rc1'."""
    major, minor, *_ = version.split(".")
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


# The saver's renderers read fonts from memory and draw glyphs themselves only under the checked release.
IN_USE = release(mpl.__version__) == CHECKED_RELEASE


def _forget_fonts() -> None:
    FONTS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_fonts)


def _font_file(path: str) -> io.BytesIO:
    data = FONT_FILES.get(path)
    if data is None:
        data = FONT_FILES[path] = Path(path).read_bytes()
    return io.BytesIO(data)


def _named(font_paths: str | os.PathLike | Iterable) -> tuple[tuple[str, int], ...]:
    """``get_font``'s argument as (path, face index) pairs, in order (a ``FontPath`` is a str: its index
    must be named apart, or two faces of one file would be one font)."""
    if isinstance(font_paths, str | bytes | os.PathLike):
        font_paths = [font_paths]
    return tuple((str(p), p.face_index) if isinstance(p, FontPath) else (os.fsdecode(p), 0) for p in font_paths)


def _made(files: tuple[tuple[str, int], ...], kerning_factor: int, last_resort: bool) -> ft2font.FT2Font:
    """The font matplotlib's ``get_font`` makes of ``files`` (3.11), each file read from memory."""
    files = tuple((os.path.realpath(p), i) for p, i in files)  # as get_font resolves them
    (first, first_index), *rest = files
    fallbacks = [ft2font.FT2Font(_font_file(p), face_index=i, _kerning_factor=kerning_factor) for p, i in rest]
    resort_path = os.path.realpath(Path(mpl.get_data_path(), "fonts", "ttf", LAST_RESORT))
    resort_index = next((n for n, (p, i) in enumerate(files) if (p, i) == (resort_path, 0)), -1)
    if resort_index < 0 and last_resort:
        fallbacks.append(ft2font.FT2Font(_font_file(resort_path), _kerning_factor=kerning_factor, _warn_if_used=True))
        resort_index = len(fallbacks)
    font = ft2font.FT2Font(
        _font_file(first), face_index=first_index, _fallback_list=fallbacks, _kerning_factor=kerning_factor
    )
    # Last Resort's Unicode charmap is empty: FreeType would pick it (as matplotlib notes)
    if resort_index == 0:
        font.set_charmap(0)
    elif resort_index > 0:
        fallbacks[resort_index - 1].set_charmap(0)
    return font


def font_for(font_paths: str | os.PathLike | Iterable) -> ft2font.FT2Font:
    """matplotlib's ``get_font(font_paths)``, the font's files read from memory (see the module's text)."""
    kerning_factor = mpl.rcParams["text.kerning_factor"]
    last_resort = mpl.rcParams["font.enable_last_resort"]
    files = _named(font_paths)
    # FreeType's objects are not shared between threads (nor are matplotlib's)
    key = (files, kerning_factor, last_resort, threading.get_ident())
    font = FONTS.get(key)
    if font is None:
        font = _made(files, kerning_factor, last_resort)
        if len(FONTS) >= MAX_FONTS:
            FONTS.clear()
        FONTS[key] = font
    # as get_font does: whatever drew with the font last, it measures and draws untransformed
    font._set_transform([[0x10000, 0], [0, 0x10000]], [0, 0])
    return font


def font_of(prop: FontProperties) -> ft2font.FT2Font:
    """The font from memory for a text's font properties: the files matplotlib's renderers find for them
    (the font manager's family lookup, fallbacks included), as ``font_for`` makes them."""
    return font_for(fontManager._find_fonts_by_props(prop))
