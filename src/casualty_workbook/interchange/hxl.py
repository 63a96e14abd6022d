"""The claims as an HXL-tagged CSV, for the Humanitarian Data Exchange and the tools that read HXL.

HXL (the Humanitarian Exchange Language) puts a row of hashtags under a CSV's header: each
column's hashtag says what it holds, attributes (``+killed``) refine it.

**What HDX can add up.** One row per claim, but only one column is tagged ``#affected+killed``
(and one ``#affected+injured``): it holds, for each event, claimant and metric, the *current*
figure for the *whole population* (the claim no later claim revises, its best value), and is
empty on every other row. A superseded revision, and a figure for a part of the population
(UCDP's civilian deaths), keep their values under ``#indicator+value`` only, with
``#meta+current`` and ``#meta+population`` saying which they are. So summing ``#affected+killed``
counts each event once per claimant, as HDX's own UCDP tables do (``best`` tagged
``#affected+killed``, one row per event); summing over claimants would count an event's dead once
per party that stated a figure.

**Which tags are standard.** The hashtags are all core hashtags of the HXL dictionary (``#meta``,
``#event``, ``#date``, ``#country``, ``#adm1``, ``#adm2``, ``#loc``, ``#geo``, ``#org``, ``#group``,
``#indicator``, ``#affected``, ``#description``), and these attributes are core: ``+id``,
``+name``, ``+code``, ``+type``, ``+start``, ``+end``, ``+reported``, ``+lat``, ``+lon``, ``+num``,
``+killed``, ``+injured``, ``+source``, ``+url``. The others are the workbook's own (HXL allows
any attribute; tools that do not know one ignore it):

- ``+value``, ``+min``, ``+max`` on ``#indicator``: a figure's best, low and high values (the
  attributes HDX datasets use for ranges);
- ``+first``, ``+second`` on ``#group+name``: the two sides, as HDX tags UCDP's ``side_a`` and
  ``side_b``;
- ``+current``, ``+population``, ``+qualifier``, ``+status``, ``+revises``, ``+outlets`` on
  ``#meta``: the workbook's own fields, so a claim's wording, verification status and the outlets
  a dataset's coders relied on travel with it.

The event's type, second-level area, country code, sides and place name of an imported event are
those its dataset gave (the events table's ``event_type``, ``admin2``, ``country_code``,
``side_a``, ``side_b`` and ``place_name``); a hand-made event's place is its row of ``places.csv``. Columns the standard has no tag for (the claimant's side, the unit,
the quote's kind) keep only their header: HXL allows an untagged column, and HXL tools skip it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from casualty_workbook.core.files import atomic_write
from casualty_workbook.core.spreadsheet import FORMULA_PREFIXES
from casualty_workbook.data.loading import load_claims, load_table

# (column of the export, its header for people, its HXL hashtag with attributes, or '' for none)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("claim_id", "Claim", "#meta+id"),
    ("event_id", "Event id", "#event+id"),
    ("event_name", "Event", "#event+name"),
    ("event_type", "Event type", "#event+type"),
    ("date_start", "Event start", "#date+start"),
    ("date_end", "Event end", "#date+end"),
    ("reported_on", "Reported on", "#date+reported"),
    ("country", "Country", "#country+name"),
    ("country_code", "Country code", "#country+code"),
    ("region", "Region", "#adm1+name"),
    ("admin2", "Second-level area", "#adm2+name"),
    ("place", "Place", "#loc+name"),
    ("latitude", "Latitude", "#geo+lat"),
    ("longitude", "Longitude", "#geo+lon"),
    ("side_a", "Side A", "#group+name+first"),
    ("side_b", "Side B", "#group+name+second"),
    ("metric", "Metric", "#indicator+code"),
    ("population", "Population", "#meta+population"),
    ("unit", "Unit", ""),
    # Best before low and high: an HXL tag pattern matches every column with at least its attributes,
    # so a tool asking for #indicator+value+num takes the first such column.
    ("value_best", "Best", "#indicator+value+num"),
    ("value_low", "Low", "#indicator+value+num+min"),
    ("value_high", "High", "#indicator+value+num+max"),
    ("current", "Current figure", "#meta+current"),
    ("killed", "Killed (current, all)", "#affected+killed"),
    ("injured", "Injured (current, all)", "#affected+injured"),
    ("qualifier", "Wording", "#meta+qualifier"),
    ("claimant_name", "Said by", "#org+name+source"),
    ("claimant_side", "Side", ""),
    ("publisher", "Published by", "#meta+source"),
    ("url", "Source address", "#meta+url"),
    ("outlets", "Outlets relied on", "#meta+source+outlets"),
    ("status", "Verification status", "#meta+status"),
    ("quote", "Quote", "#description"),
    ("quote_kind", "Quote kind", ""),
    ("revises", "Revises claim", "#meta+revises"),
)


def current_claims(claims: pd.DataFrame) -> pd.Series:
    """Whether each claim is its chain's current figure: per event, claimant, metric and
    population, the claim no other claim revises (the latest reported of them, if several)."""
    revised = pd.Series(claims["revises"].dropna().unique())
    key = ["event_id", "claimant", "metric", "population"]
    # Only the columns the choice needs: sorting a whole dataset's claims would move all their text.
    heads = claims.loc[~claims["claim_id"].isin(revised), [*key, "reported_on"]]
    order = heads.assign(_at=range(len(heads))).sort_values(["reported_on", "_at"], kind="stable")
    latest = order.drop_duplicates(key, keep="last").index
    return pd.Series(claims.index.isin(latest), index=claims.index)


def _outlets(notes: pd.Series) -> pd.Series:
    """The outlets a dataset's coders relied on, as its import recorded them in the claim's note."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Each distinct note once: a dataset's events share their outlets' wording.
    cells = pa.array(notes.astype("string"), from_pandas=True).cast(pa.large_string())
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    encoded = pc.dictionary_encode(cells)
    text = encoded.dictionary
    found = pc.struct_field(pc.extract_regex(text, r"Outlets: (?P<o>.*?)(?:\. Articles: |\.$)"), [0])
    found = pc.if_else(pc.starts_with(found, "("), pa.scalar(None, found.type), found)  # "(… not given)"
    found = pc.take(found.cast(pa.large_string()), encoded.indices)
    return pd.Series(pd.arrays.ArrowStringArray(found), index=notes.index)


def hxl_frame(data_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per claim with its event, place, claimant, source, status and values, in ``COLUMNS`` order."""
    claims = load_claims(data_dir)
    events = load_table("events", data_dir)
    places = load_table("places", data_dir)[["place_id", "name"]].rename(columns={"name": "known_place"})
    place = ["event_id", "date_start", "date_end", "country", "region", "place_id", "latitude", "longitude"]
    coded = ["event_type", "place_name", "admin2", "country_code", "side_a", "side_b"]  # as a dataset gave them
    where = events[[*place, *coded]].merge(places, on="place_id", how="left")
    # The place: the places table's name where the event names one, else the dataset's own place name.
    where["place"] = where.pop("known_place").astype("string").fillna(where.pop("place_name").astype("string"))
    frame = claims.merge(where, on="event_id", how="left")
    current = current_claims(frame)
    frame["current"] = current.map({True: "true", False: "false"})
    whole = (frame["population"].astype("string") == "all").fillna(False) & current
    for metric in ("killed", "injured"):
        frame[metric] = frame["value_best"].where((frame["metric"] == metric) & whole)
    frame["outlets"] = _outlets(frame["note"])
    for column in ("date_start", "date_end", "reported_on"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    out = frame[[c for c, _, _ in COLUMNS]]
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = _category_text(out[column])
    return out


def _category_text(values: pd.Series) -> pd.Series:
    """``values.astype("string")`` of a categorical column, by its codes: each category's text
    made once, then taken for every row (a missing cell stays missing)."""
    categories = pd.array(values.cat.categories.astype("string"))
    return pd.Series(categories.take(values.cat.codes.to_numpy(), allow_fill=True), index=values.index)


# Rows written at a time: their text is what the export holds beside the claims themselves.
CHUNK_ROWS = 50_000
_FORMULA = "^[" + "".join("\\" + p if p in "-^]\\" else p for p in FORMULA_PREFIXES) + "]"


def _float_text(values: pd.Series):
    """Floats as text, as pandas writes them (``repr``: '50.0', '1e-05'), in Arrow's kernels.

    Arrow's shortest round-trip digits are ``repr``'s wherever neither writes an exponent
    (1e-4 <= |v| < 1e15, and zero); there a whole number only lacks its '.0'. The few other
    values (none among coordinates but the tiniest) are written by ``repr`` itself.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(numbers)
    size = np.abs(numbers)
    plain = ~missing & (((size >= 1e-4) & (size < 1e15)) | (numbers == 0))
    cells = pc.cast(pa.array(numbers, mask=~plain), pa.string())
    whole = pc.invert(pc.match_substring(cells, "."))
    cells = pc.if_else(whole, pc.binary_join_element_wise(cells, ".0", ""), cells)
    odd = np.flatnonzero(~plain & ~missing)
    if len(odd):  # outside repr's plain range: repr itself, one value at a time
        text = cells.to_numpy(zero_copy_only=False).astype(object)
        text[odd] = [repr(float(v)) for v in numbers[odd]]
        cells = pa.array(text, type=pa.string())
    return cells


def _safe_table(frame: pd.DataFrame):
    """``frame`` as an Arrow table, every cell as text (empty where missing), a cell a spreadsheet
    would run as a formula prefixed with an apostrophe (as ``export.neutralise_formulas`` does,
    in Arrow's kernels: a whole dataset's claims in a second, not a Python object per cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {}
    for name in frame.columns:
        values = frame[name]
        # coordinates: written as pandas writes them
        cells = _float_text(values) if pd.api.types.is_float_dtype(values.dtype) else pa.array(values, from_pandas=True)
        if not pa.types.is_string(cells.type) and not pa.types.is_large_string(cells.type):
            cells = pc.cast(cells, pa.string())
        risky = pc.fill_null(pc.match_substring_regex(cells, _FORMULA), False)  # one pass, not one per prefix
        if pc.any(risky).as_py():  # most columns have none: no second copy of their text
            quoted = pc.binary_join_element_wise(pa.scalar("'", cells.type), cells, pa.scalar("", cells.type))
            cells = pc.if_else(risky, quoted, cells)
        columns[name] = pc.fill_null(cells, "")
    return pa.table(columns)


def export_hxl(out: str | Path, data_dir: str | Path | None = None) -> tuple[Path, int]:
    """Write the claims to ``out`` as HXL: the header, the hashtag row, then one row per claim.

    Text a spreadsheet would run as a formula is neutralised; the file is replaced only when complete.
    """
    import pyarrow.csv as pacsv

    frame = hxl_frame(data_dir)

    def write(binary: BinaryIO) -> None:
        handle = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([header for _, header, _ in COLUMNS])
        writer.writerow([tag for _, _, tag in COLUMNS])
        handle.flush()
        handle.detach()  # the binary handle is closed by atomic_write, after the last byte
        # Arrow's writer: quotes only the cells that need it, as csv.writer does; CRLF as RFC 4180.
        options = pacsv.WriteOptions(include_header=False, eol="\r\n", quoting_style="needed")
        # In slices: a dataset's claims as text are never all in memory at once beside the frame.
        for start in range(0, len(frame), CHUNK_ROWS):
            pacsv.write_csv(_safe_table(frame.iloc[start : start + CHUNK_ROWS]), binary, options)

    return atomic_write(out, write), len(frame)
