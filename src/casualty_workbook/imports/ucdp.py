"""UCDP's Georeferenced Event Dataset (GED): one row is one event of organised violence.

Each row becomes an event (dates and their precision, admin area, coordinates and their
precision) and two claims by UCDP: the dead as ``best`` with ``low`` and ``high`` (UCDP's own
words: best, low and high estimates), and the civilians among them (``deaths_civilians``).
The release is the source; ``source_original`` and ``source_article`` (who UCDP relied on)
are kept in each claim's note. The codes' meanings are those of the GED codebook.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..exceptions import DataValidationError, ParameterError
from ..schemas import Field
from .common import (
    STATUS,
    Filters,
    ImportSummary,
    Mapped,
    apply_import,
    joined,
    read_dataset,
    row_problems,
    select,
    slug,
    today,
)

COLUMNS = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
)
COUNTS = ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low")

# The codebook's codes, as the event's description states them.
WHERE_PREC = {
    "1": "exact location",
    "2": "within about 25 km of the location",
    "3": "second-order administrative area",
    "4": "first-order administrative area",
    "5": "a part of the country larger than a first-order area",
    "6": "the country only",
    "7": "international waters or airspace",
}
DATE_PREC = {
    "1": "exact day",
    "2": "within 2-6 days",
    "3": "within a week",
    "4": "within a month",
    "5": "within a year or longer",
}
DATE_PRECISION = {"1": "day", "2": "range", "3": "range", "4": "month", "5": "year"}
VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}

FIELDS: tuple[Field, ...] = tuple(
    Field("id", "count", unique=True)
    if c == "id"
    else Field(c, "count")
    if c in COUNTS
    else Field(c, "date")
    if c in ("date_start", "date_end")
    else Field(c, "latitude")
    if c == "latitude"
    else Field(c, "longitude")
    if c == "longitude"
    else Field(c, "vocab", vocab=tuple(WHERE_PREC))
    if c == "where_prec"
    else Field(c, "vocab", vocab=tuple(DATE_PREC))
    if c == "date_prec"
    else Field(c, "vocab", vocab=tuple(VIOLENCE))
    if c == "type_of_violence"
    else Field(c, "text")
    if c == "country"
    else Field(c, "text", required=False)
    for c in COLUMNS
)

# The columns an import reads (the others must be in the file, but are not imported).
USED = (
    "id",
    "relid",
    "code_status",
    "type_of_violence",
    "conflict_name",
    "dyad_name",
    "source_article",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "latitude",
    "longitude",
    "country",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    *COUNTS,
)

CLAIMANT = "ucdp"
DOWNLOADS = "https://ucdp.uu.se/downloads/"


def release_from_name(path: Path) -> str | None:
    """'GEDEvent_v24_1.csv' → '24.1' (UCDP names its files so); None when the name does not say."""
    found = re.search(r"v(\d+)[._](\d+)(?:[._](\d+))?", Path(path).name)
    return ".".join(g for g in found.groups() if g) if found else None


def _checked(path: Path) -> pd.DataFrame:
    frame = read_dataset(path, FIELDS, "ucdp_ged", dates=("date_start", "date_end"), used=USED)
    numbers = {c: pd.to_numeric(frame[c]) for c in ("best", "low", "high", "deaths_civilians")}
    problems = row_problems(frame, numbers["low"] > numbers["best"], "low", "must not be above best")
    problems += row_problems(frame, numbers["best"] > numbers["high"], "high", "must not be below best")
    problems += row_problems(
        frame,
        numbers["deaths_civilians"] > numbers["best"],
        "deaths_civilians",
        "must not be above best (the civilians are a part of the dead)",
    )
    problems += row_problems(
        frame, frame["date_end"] < frame["date_start"], "date_end", "must not be before date_start"
    )
    if problems:
        raise DataValidationError(path, sorted(problems, key=lambda p: p.row or 0))
    return frame


def map_rows(frame: pd.DataFrame, release: str, released: str) -> Mapped:
    """The events, sources, claimant and claims of the selected rows (text cells)."""
    tag = slug(release)
    source_id = f"ucdp_ged_v{tag}"
    event_id = "ucdp-ged-" + frame["id"]
    place = frame["where_coordinates"].fillna(frame["adm_1"]).fillna(frame["country"])
    name = frame["dyad_name"].fillna(frame["conflict_name"]).fillna("UCDP GED event " + frame["id"]) + ", " + place
    region = frame["adm_1"].fillna(frame["country"])
    description = joined(
        "UCDP GED ",
        release,
        " event ",
        frame["id"],
        " (",
        frame["relid"].fillna("no relid"),
        "): ",
        frame["type_of_violence"].map(VIOLENCE),
        ", ",
        frame["dyad_name"].fillna("dyad not named"),
        ". Where: ",
        frame["where_description"].fillna(place),
        " (where_prec ",
        frame["where_prec"],
        ": ",
        frame["where_prec"].map(WHERE_PREC),
        "). When: date_prec ",
        frame["date_prec"],
        " (",
        frame["date_prec"].map(DATE_PREC),
        "). code_status ",
        frame["code_status"].fillna("not given"),
        "; event_clarity ",
        frame["event_clarity"].fillna("not given"),
        ".",
    )
    events = pd.DataFrame(
        {
            "event_id": event_id,
            "name": name,
            "date_start": frame["date_start"],
            "date_end": frame["date_end"],
            "date_precision": frame["date_prec"].map(DATE_PRECISION),
            "time_utc": "",
            "place_id": "",
            "region": region,
            "country": frame["country"],
            "latitude": frame["latitude"],
            "longitude": frame["longitude"],
            "description": description,
        }
    )
    relied_on = joined(
        "UCDP relied on: ",
        frame["source_original"].fillna("(source_original not given)"),
        ". Articles: ",
        frame["source_article"].fillna("(source_article not given)"),
    )
    common = {
        "unit": "people",
        "claimant": CLAIMANT,
        "source_id": source_id,
        "reported_on": released,
        "status": STATUS,
        "quote_kind": "as_recorded",
        "revises": "",
    }
    killed = pd.DataFrame(
        {
            "claim_id": event_id + "-killed-v" + tag,
            "event_id": event_id,
            "metric": "killed",
            "population": "all",
            "value_low": frame["low"],
            "value_best": frame["best"],
            "value_high": frame["high"],
            "qualifier": "estimate",
            "quote": joined(
                "UCDP GED ",
                release,
                ": best estimate ",
                frame["best"],
                " deaths (low ",
                frame["low"],
                ", high ",
                frame["high"],
                ")",
            ),
            "note": joined(
                "deaths_a ",
                frame["deaths_a"],
                ", deaths_b ",
                frame["deaths_b"],
                ", deaths_unknown ",
                frame["deaths_unknown"],
                ". ",
                relied_on,
            ),
            **common,
        }
    )
    civilians = pd.DataFrame(
        {
            "claim_id": event_id + "-civilians-v" + tag,
            "event_id": event_id,
            "metric": "killed",
            "population": "civilians",
            "value_low": "",
            "value_best": frame["deaths_civilians"],
            "value_high": "",
            "qualifier": "estimate",
            "quote": (
                "UCDP GED " + release + ": " + frame["deaths_civilians"] + " civilian deaths (deaths_civilians, "
                "a part of the best estimate)"
            ),
            "note": relied_on,
            **common,
        }
    )
    claims = pd.concat([killed, civilians], ignore_index=True)
    rows = pd.concat([frame.index.to_series() + 2] * 2, ignore_index=True)
    sources = pd.DataFrame(
        [
            {
                "source_id": source_id,
                "title": f"UCDP Georeferenced Event Dataset (GED) Global version {release}",
                "publisher": "Uppsala Conflict Data Program (UCDP), Uppsala University",
                "published": released,
                "published_precision": "day",
                "url": DOWNLOADS,
                "own_document_of": CLAIMANT,
                "kind": "dataset",
                "accessed": today(),
                "note": "Imported with workbook import ucdp; licensed CC BY 4.0 (cite UCDP).",
            }
        ]
    )
    claimants = pd.DataFrame(
        [
            {
                "claimant_id": CLAIMANT,
                "name": "Uppsala Conflict Data Program (UCDP)",
                "side": "independent",
                "kind": "research",
                "note": "Codes events of organised violence from news and other reports; "
                "its figures are its coders' estimates.",
            }
        ]
    )
    return Mapped(sources=sources, claimants=claimants, events=events, claims=claims, claim_rows=rows)


def import_ucdp(
    path: str | Path,
    *,
    release: str | None = None,
    released: str | None = None,
    filters: Filters = Filters(),
    data_dir: str | Path | None = None,
) -> ImportSummary:
    """Import a GED CSV export into the tables of ``data_dir`` (default: data/)."""
    path = Path(path)
    release = release or release_from_name(path)
    if not release:
        raise ParameterError(
            f"--release: {path.name} does not name its GED version (as GEDEvent_v24_1.csv does); "
            "give it, e.g. --release 24.1"
        )
    frame = _checked(path)
    selected = select(frame, filters.mask(frame, country="country", admin1="adm_1", start="date_start", end="date_end"))
    mapped = map_rows(selected, release, released or today())
    return apply_import(
        path, mapped, rows_read=len(frame), rows_selected=len(selected), data_dir=Path(data_dir) if data_dir else None
    )
