"""ACLED exports: one row is one event of political violence, demonstration or strategic development.

Each row becomes an event (its date and ``time_precision``, admin areas, location and
``geo_precision``, its ``disorder_type``, ``event_type`` and ``sub_event_type``) and one claim by
ACLED: ``fatalities``, which ACLED's codebook calls a conservative figure, so it is recorded as
"at least" (a lower bound, no upper bound); a 0 is, by ACLED's own definition, "no fatalities
reported", so it is recorded as no figure (qualifier ``not_reported``), never as "at least 0".
The ``notes`` are the figure's recorded wording; ``source`` and ``source_scale`` (who ACLED
relied on) are kept in the claim's note. ``timestamp`` (when ACLED last changed the row) dates
the claim, so a row ACLED changed and whose figure moved becomes a revision.

Every layout since 2019 imports: the 2019-2022 export and API files (with ``data_id``, ``iso``,
``event_id_no_cnty``, ``iso3``), the current export (``disorder_type``, ``civilian_targeting``,
``tags``), in any column order; dates ``2022-04-15`` or ``15 April 2022``. Only the columns the
mapping uses are required. The upper-case layout from before 2019 is refused by name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from casualty_workbook.core.exceptions import DataValidationError, Problem
from casualty_workbook.data.schemas import Field
from casualty_workbook.interchange.common import (
    STATUS,
    Filters,
    ImportSummary,
    Mapped,
    apply_import,
    events_frame,
    header_of,
    joined,
    pre_checked,
    read_dataset,
    row_problems,
    select,
    today,
)

# The columns the mapping uses: the only ones a file must have (NEWER ones may be absent).
COLUMNS = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "civilian_targeting",
    "iso3",
    "country",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "timestamp",
)
# disorder_type and civilian_targeting came with the 2022 revision of the codebook; iso3 was in
# the 2019-2022 files only.
NEWER = ("disorder_type", "civilian_targeting", "iso3")
# The layout of ACLED's files before 2019: upper-case names, dates written 29/12/2015, no timestamp.
OLD_LAYOUT = {"GWNO", "EVENT_ID_CNTY", "EVENT_DATE", "FATALITIES", "ALLY_ACTOR_1"}
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


def _refuse_old_layout(path: Path, encoding: str) -> None:
    header = {c.strip() for c in header_of(path, encoding)}
    if len(OLD_LAYOUT & header) >= 3:
        raise DataValidationError(
            path,
            [
                Problem(
                    1,
                    None,
                    None,
                    "is in ACLED's layout from before 2019 (upper-case columns GWNO, EVENT_ID_CNTY, "
                    "ALLY_ACTOR_1…; dates written 29/12/2015; no timestamp): not imported, since its "
                    "rows say neither when ACLED last changed them nor their sub-event type; export "
                    "the same events again with ACLED's export tool or API, which write the current layout",
                )
            ],
        )


def _checked(path: Path, encoding: str) -> pd.DataFrame:
    _refuse_old_layout(path, encoding)
    frame = read_dataset(path, FIELDS, "acled", dates=("event_date",), may_be_absent=NEWER, encoding=encoding)
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


def map_rows(frame: pd.DataFrame, exported: str) -> Mapped:
    """The events, source, claimant and claims of the selected rows (text cells).

    ``exported`` is the newest ``timestamp`` day of the whole file: the export's own date, so a
    file is one source whatever rows an import selects from it.
    """
    source_id = "acled_export_" + exported.replace("-", "")
    event_id = "acled-" + frame["event_id_cnty"]
    return Mapped(
        sources=_source(source_id, exported),
        claimants=_claimant(),
        events=_events(frame, event_id),
        claims=_claims(frame, event_id, source_id),
        claim_rows=frame.index.to_series().reset_index(drop=True) + 2,
    )


def _description(frame: pd.DataFrame) -> pd.Series:
    """Each event's description: ACLED's id, its types, its actors and its codes with their meanings."""
    actors = frame["actor1"] + (" against " + frame["actor2"]).fillna("")
    return joined(
        "ACLED event ",
        frame["event_id_cnty"],
        ": ",
        frame["disorder_type"].fillna("disorder_type not given"),
        " / ",
        frame["event_type"],
        " / ",
        frame["sub_event_type"],
        "; ",
        actors,
        ". Where: ",
        frame["location"].fillna("location not given"),
        " (geo_precision ",
        frame["geo_precision"],
        ": ",
        frame["geo_precision"].map(GEO_PRECISION),
        "). When: time_precision ",
        frame["time_precision"],
        " (",
        frame["time_precision"].map(TIME_PRECISION),
        ").",
        frame["civilian_targeting"]
        .map(lambda v: f" civilian_targeting: {v}." if isinstance(v, str) else "")
        .fillna(""),
    )


def _events(frame: pd.DataFrame, event_id: pd.Series) -> pd.DataFrame:
    """The events table's rows: one per ACLED row, named by its sub-event type and place."""
    place = frame["location"].fillna(frame["admin1"]).fillna(frame["country"])
    return events_frame(
        event_id=event_id,
        name=frame["sub_event_type"] + ": " + place,
        date_start=frame["event_date"],
        date_end=frame["event_date"],
        date_precision=frame["time_precision"].map(DATE_PRECISION),
        region=frame["admin1"].fillna(frame["country"]),
        country=frame["country"],
        latitude=frame["latitude"],
        longitude=frame["longitude"],
        description=_description(frame),
        event_type=frame["event_type"],
        place_name=frame["location"],
        admin2=frame["admin2"],
        country_code=frame["iso3"],
        side_a=frame["actor1"],
        side_b=frame["actor2"],
    )


def _claims(frame: pd.DataFrame, event_id: pd.Series, source_id: str) -> pd.DataFrame:
    """One claim of the killed per row, "at least" ACLED's figure, or no figure where ACLED's 0 says none was reported."""
    # ACLED's 0 is "no fatalities reported" (its codebook), not a count of none: no figure.
    none = pd.to_numeric(frame["fatalities"]) == 0
    figure = frame["fatalities"].mask(none, "")
    return pd.DataFrame(
        {
            "claim_id": event_id + "-killed-" + frame["timestamp"],
            "event_id": event_id,
            "metric": "killed",
            "population": "all",
            "value_low": figure,
            "value_best": figure,
            "value_high": "",
            "qualifier": pd.Series("at_least", index=frame.index).mask(none, "not_reported"),
            "unit": "people",
            "claimant": CLAIMANT,
            "source_id": source_id,
            "reported_on": frame["reported_on"],
            "status": STATUS,
            "quote": ("fatalities " + frame["fatalities"] + " (ACLED's conservative figure). Notes: ").mask(
                none, "fatalities 0 (ACLED's code for 'no fatalities reported'). Notes: "
            )
            + frame["notes"].fillna("(none)"),
            "quote_kind": "as_recorded",
            "revises": "",
            "note": _claim_note(frame, none),
        }
    ).reset_index(drop=True)


def _claim_note(frame: pd.DataFrame, none: pd.Series) -> pd.Series:
    """Each claim's note: why a 0 is no figure, and who ACLED relied on (``source``, ``source_scale``)."""
    return (
        pd.Series("", index=frame.index).mask(
            none, "ACLED records 0 where no fatalities were reported: no figure, not none killed. "
        )
        + "ACLED relied on: "
        + frame["source"].fillna("(source not given)")
        + " (source_scale: "
        + frame["source_scale"].fillna("not given")
        + "). Outlets: "
        + frame["source"].fillna("(source not given)")
        + "."
    )


def _source(source_id: str, exported: str) -> pd.DataFrame:
    """The export's source row: one per export, dated by its newest ``timestamp``."""
    return pd.DataFrame(
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


def _claimant() -> pd.DataFrame:
    """ACLED's claimant row."""
    return pd.DataFrame(
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


def import_acled(
    path: str | Path, *, filters: Filters = Filters(), data_dir: str | Path | None = None, encoding: str = "utf-8"
) -> ImportSummary:
    """Import an ACLED CSV export (any layout since 2019) into the tables of ``data_dir`` (default: data/)."""
    path = Path(path)
    # The data folder's pre-check runs beside the reading and mapping of the export (common.PreCheck).
    with pre_checked(data_dir) as ahead:
        frame = _checked(path, encoding)
        keep = filters.mask(
            frame,
            country="country",
            admin1="admin1",
            start="event_date",
            end="event_date",
            event_types=(frame["disorder_type"], frame["event_type"], frame["sub_event_type"]),
        )
        selected = select(frame, keep)
        mapped = map_rows(selected, str(frame["reported_on"].max()))
        return apply_import(
            path,
            mapped,
            rows_read=len(frame),
            rows_selected=len(selected),
            data_dir=Path(data_dir) if data_dir else None,
            ahead=ahead,
        )
