"""The claims as an HXL-tagged CSV, for the Humanitarian Data Exchange and the tools that read HXL.

HXL (the Humanitarian Exchange Language) puts a row of hashtags under a CSV's header: each
column's hashtag says what it holds, attributes (``+killed``) refine it. The hashtags below are
all core hashtags of the HXL 1.1 dictionary (``#meta``, ``#event``, ``#date``, ``#country``,
``#adm1``, ``#loc``, ``#geo``, ``#org``, ``#indicator``, ``#affected``, ``#description``), and
so are their attributes, except where the standard asks for one of our own:

- ``#meta`` takes any attribute that describes the record (the standard's example is
  ``+certainty``): ``+qualifier``, ``+status``, ``+population``, ``+revises`` name the
  workbook's own fields, so a claim's wording and verification status travel with it;
- ``+min`` and ``+max`` mark the low and high values of a range (attributes are free in HXL;
  these are the ones HDX datasets use for ranges).

Columns the standard has no tag for (the claimant's side, the unit, the quote's kind) keep
only their header: HXL allows an untagged column, and HXL tools skip it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from .export import neutralise_formulas
from .files import atomic_write
from .loading import load_claims, load_table

# (column of the export, its header for people, its HXL hashtag with attributes, or '' for none)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("claim_id", "Claim", "#meta+id"),
    ("event_id", "Event id", "#event+id"),
    ("event_name", "Event", "#event+name"),
    ("date_start", "Event start", "#date+start"),
    ("date_end", "Event end", "#date+end"),
    ("reported_on", "Reported on", "#date+reported"),
    ("country", "Country", "#country+name"),
    ("region", "Region", "#adm1+name"),
    ("place", "Place", "#loc+name"),
    ("latitude", "Latitude", "#geo+lat"),
    ("longitude", "Longitude", "#geo+lon"),
    ("metric", "Metric", "#indicator+code"),
    ("population", "Population", "#meta+population"),
    ("unit", "Unit", ""),
    # Best before low and high: an HXL tag pattern matches every column with at least its attributes,
    # so a tool asking for #indicator+value+num takes the first such column.
    ("value_best", "Best", "#indicator+value+num"),
    ("value_low", "Low", "#indicator+value+num+min"),
    ("value_high", "High", "#indicator+value+num+max"),
    ("killed", "Killed (best)", "#affected+killed"),
    ("injured", "Injured (best)", "#affected+injured"),
    ("qualifier", "Wording", "#meta+qualifier"),
    ("claimant_name", "Said by", "#org+reporting+name"),
    ("claimant_side", "Side", ""),
    ("publisher", "Published by", "#meta+source"),
    ("url", "Source address", "#meta+url"),
    ("status", "Verification status", "#meta+status"),
    ("quote", "Quote", "#description"),
    ("quote_kind", "Quote kind", ""),
    ("revises", "Revises claim", "#meta+revises"),
)


def hxl_frame(data_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per claim with its event, place, claimant, source, status and values, in ``COLUMNS`` order."""
    claims = load_claims(data_dir)
    events = load_table("events", data_dir)
    places = load_table("places", data_dir)[["place_id", "name"]].rename(columns={"name": "place"})
    where = events[
        ["event_id", "date_start", "date_end", "country", "region", "place_id", "latitude", "longitude"]
    ].merge(places, on="place_id", how="left")
    frame = claims.merge(where, on="event_id", how="left")
    for metric in ("killed", "injured"):
        frame[metric] = frame["value_best"].where(frame["metric"] == metric)
    for column in ("date_start", "date_end", "reported_on"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    out = frame[[c for c, _, _ in COLUMNS]].copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("string")
    return out


def export_hxl(out: str | Path, data_dir: str | Path | None = None) -> tuple[Path, int]:
    """Write the claims to ``out`` as HXL: the header, the hashtag row, then one row per claim.

    Text a spreadsheet would run as a formula is neutralised; the file is replaced only when complete.
    """
    frame = neutralise_formulas(hxl_frame(data_dir))

    def write(binary: BinaryIO) -> None:
        handle = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([header for _, header, _ in COLUMNS])
        writer.writerow([tag for _, _, tag in COLUMNS])
        frame.to_csv(handle, index=False, header=False, lineterminator="\r\n")
        handle.flush()
        handle.detach()  # the binary handle is closed by atomic_write, after the last byte

    return atomic_write(out, write), len(frame)
