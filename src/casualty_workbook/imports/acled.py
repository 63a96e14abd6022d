"""ACLED exports: one row is one event of political violence, demonstration or strategic development.

Each row becomes an event (its date and ``time_precision``, admin areas, location and
``geo_precision``) and one claim by ACLED: ``fatalities``, which ACLED's codebook calls a
conservative figure, so it is recorded as "at least" (a lower bound, no upper bound). The
``notes`` are the figure's recorded wording; ``source`` and ``source_scale`` (who ACLED relied
on) are kept in the claim's note. ``timestamp`` (when ACLED last changed the row) dates the
claim, so a row ACLED changed and whose figure moved becomes a revision.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..exceptions import DataValidationError
from ..schemas import Field
from .common import STATUS, Filters, ImportSummary, Mapped, apply_import, read_dataset, row_problems, select, today

COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
# The codebook's codes, as the event's description states them.
TIME_PRECISION = {
    "1": "the day is known",
    "2": "within a week (the date is a day of it)",
    "3": "within a month (the date is a day of it)",
}
DATE_PRECISION = {"1": "day", "2": "approximate", "3": "month"}
GEO_PRECISION = {
    "1": "the location itself",
    "2": "a place near the location, or part of a region",
    "3": "a larger region (the location is its centre)",
}

FIELDS: tuple[Field, ...] = tuple(
    Field(c, "id", unique=True)
    if c == "event_id_cnty"
    else Field(c, "date")
    if c == "event_date"
    else Field(c, "count")
    if c in ("fatalities", "timestamp")
    else Field(c, "vocab", vocab=tuple(TIME_PRECISION))
    if c == "time_precision"
    else Field(c, "vocab", vocab=tuple(GEO_PRECISION))
    if c == "geo_precision"
    else Field(c, "latitude")
    if c == "latitude"
    else Field(c, "longitude")
    if c == "longitude"
    else Field(c, "text")
    if c in ("country", "event_type", "sub_event_type", "actor1")
    else Field(c, "text", required=False)
    for c in COLUMNS
)

CLAIMANT = "acled"
EXPORT_TOOL = "https://acleddata.com/data-export-tool/"


def _checked(path: Path) -> pd.DataFrame:
    frame = read_dataset(path, FIELDS, "acled")
    stamps = pd.to_datetime(pd.to_numeric(frame["timestamp"]), unit="s", errors="coerce")
    frame["reported_on"] = stamps.dt.strftime("%Y-%m-%d")
    problems = row_problems(
        frame,
        stamps.isna() | (stamps > pd.Timestamp.now()),
        "timestamp",
        "must be a time in seconds since 1970 (Unix time), not in the future",
    )
    problems += row_problems(
        frame,
        frame["reported_on"] < frame["event_date"],
        "timestamp",
        "must not be before event_date (a row is changed after its event)",
    )
    if problems:
        raise DataValidationError(path, sorted(problems, key=lambda p: p.row or 0))
    return frame


def map_rows(frame: pd.DataFrame) -> Mapped:
    """The events, source, claimant and claims of the selected rows (text cells)."""
    exported = frame["reported_on"].max() if len(frame) else today()
    source_id = "acled_export_" + exported.replace("-", "")
    event_id = "acled-" + frame["event_id_cnty"]
    name = frame["sub_event_type"] + ": " + frame["location"].fillna(frame["admin1"]).fillna(frame["country"])
    actors = frame["actor1"] + (" against " + frame["actor2"]).fillna("")
    description = (
        "ACLED event "
        + frame["event_id_cnty"]
        + ": "
        + frame["event_type"]
        + " / "
        + frame["sub_event_type"]
        + "; "
        + actors
        + ". Where: "
        + frame["location"].fillna("location not given")
        + " (geo_precision "
        + frame["geo_precision"]
        + ": "
        + frame["geo_precision"].map(GEO_PRECISION)
        + "). When: time_precision "
        + frame["time_precision"]
        + " ("
        + frame["time_precision"].map(TIME_PRECISION)
        + ")."
    )
    events = pd.DataFrame(
        {
            "event_id": event_id,
            "name": name,
            "date_start": frame["event_date"],
            "date_end": frame["event_date"],
            "date_precision": frame["time_precision"].map(DATE_PRECISION),
            "time_utc": "",
            "place_id": "",
            "region": frame["admin1"].fillna(frame["country"]),
            "country": frame["country"],
            "latitude": frame["latitude"],
            "longitude": frame["longitude"],
            "description": description,
        }
    )
    claims = pd.DataFrame(
        {
            "claim_id": event_id + "-killed-" + frame["timestamp"],
            "event_id": event_id,
            "metric": "killed",
            "population": "all",
            "value_low": frame["fatalities"],
            "value_best": frame["fatalities"],
            "value_high": "",
            "qualifier": "at_least",
            "unit": "people",
            "claimant": CLAIMANT,
            "source_id": source_id,
            "reported_on": frame["reported_on"],
            "status": STATUS,
            "quote": "fatalities "
            + frame["fatalities"]
            + " (ACLED's conservative figure). Notes: "
            + frame["notes"].fillna("(none)"),
            "quote_kind": "as_recorded",
            "revises": "",
            "note": "ACLED relied on: "
            + frame["source"].fillna("(source not given)")
            + " (source_scale: "
            + frame["source_scale"].fillna("not given")
            + ").",
        }
    ).reset_index(drop=True)
    sources = pd.DataFrame(
        [
            {
                "source_id": source_id,
                "title": f"ACLED data export (rows changed up to {exported})",
                "publisher": "Armed Conflict Location & Event Data (ACLED)",
                "published": exported,
                "published_precision": "day",
                "url": EXPORT_TOOL,
                "own_document_of": CLAIMANT,
                "kind": "dataset",
                "accessed": today(),
                "note": "Imported with workbook import acled; used under ACLED's terms of use (attribution required, "
                "no redistribution of the export).",
            }
        ]
    )
    claimants = pd.DataFrame(
        [
            {
                "claimant_id": CLAIMANT,
                "name": "Armed Conflict Location & Event Data (ACLED)",
                "side": "independent",
                "kind": "research",
                "note": "Codes events from news, partner and other reports; its fatality "
                "figures are conservative by its own rules.",
            }
        ]
    )
    return Mapped(
        sources=sources,
        claimants=claimants,
        events=events,
        claims=claims,
        claim_rows=frame.index.to_series().reset_index(drop=True) + 2,
    )


def import_acled(
    path: str | Path, *, filters: Filters = Filters(), data_dir: str | Path | None = None
) -> ImportSummary:
    """Import an ACLED CSV export into the tables of ``data_dir`` (default: data/)."""
    path = Path(path)
    frame = _checked(path)
    selected = select(
        frame, filters.mask(frame, country="country", admin1="admin1", start="event_date", end="event_date")
    )
    mapped = map_rows(selected)
    return apply_import(
        path, mapped, rows_read=len(frame), rows_selected=len(selected), data_dir=Path(data_dir) if data_dir else None
    )
