"""UCDP's Georeferenced Event Dataset (GED): one row is one event of organised violence.

Each row becomes an event (dates and their precision, admin area, coordinates and their
precision) and two claims by UCDP: the dead as ``best`` with ``low`` and ``high`` (UCDP's own
words: best, low and high estimates), and the civilians among them (``deaths_civilians``).
The release is the source; ``source_original`` and ``source_article`` (who UCDP relied on)
are kept in each claim's note. The codes' meanings are those of the GED codebook.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from casualty_workbook.core.exceptions import DataValidationError, ParameterError
from casualty_workbook.core.paths import default_data_dir
from casualty_workbook.data.schemas import Field
from casualty_workbook.interchange.common import (
    STATUS,
    Filters,
    ImportSummary,
    Mapped,
    PreCheck,
    apply_import,
    events_frame,
    joined,
    pre_checked,
    read_dataset,
    read_table,
    row_problems,
    select,
    slug,
    today,
)

# The columns the mapping uses: the only ones a file must have. GED's other columns (the
# *_dset_id and *_new_id codes, gwnoa, active_year…) are never read, so every layout since GED
# 19.1 imports: the 42-column layout before version 20, the 49-column layout, Candidate
# releases and the API's CSV.
COLUMNS = (
    "id",
    "relid",
    "code_status",
    "type_of_violence",
    "conflict_name",
    "dyad_name",
    "side_a",
    "side_b",
    "source_article",
    "source_office",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "country",
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
)
# Columns GED added in version 20 (relid, code_status, where_description): read when present.
NEWER = ("relid", "code_status", "where_description")
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

CLAIMANT = "ucdp"
DOWNLOADS = "https://ucdp.uu.se/downloads/"


def release_from_name(path: Path) -> str | None:
    """'GEDEvent_v24_1.csv' → '24.1', a Candidate file 'GEDEvent_v24_0_3.csv' → '24.0.3' (UCDP
    names its files so); None when the name does not say."""
    found = re.search(r"v(\d+)[._](\d+)(?:[._](\d+))?", Path(path).name)
    return ".".join(g for g in found.groups() if g) if found else None


def released_from_name(path: Path) -> str | None:
    """A day written in the file's name ('ged_2024-06-12.csv', 'GED_20240612.csv'), or None."""
    found = re.search(r"(?<!\d)(20\d{2}|19\d{2})-?(\d{2})-?(\d{2})(?!\d)", Path(path).name)
    if not found:
        return None
    try:
        return dt.date(*(int(g) for g in found.groups())).isoformat()
    except ValueError:
        return None


def _released_before(source_id: str, data_dir: Path | None) -> str | None:
    """The day recorded for this release when it was imported before (its source row's ``published``)."""
    sources = read_table(Path(data_dir) if data_dir else default_data_dir(), "sources")
    row = sources[sources["source_id"] == source_id]
    return str(row["published"].iloc[0]) or None if len(row) else None


def _checked(path: Path, encoding: str) -> pd.DataFrame:
    """The file's rows, well formed, with the rows whose figures contradict each other marked.

    A release is never refused for its own anomalies (real releases hold rows whose ``low`` is
    above ``best`` or ``high`` below it): each such row is imported as recorded and flagged in
    a column named after its mark (``MARK_REASONS``), which ``marked_counts`` counts.
    """
    frame = read_dataset(
        path, FIELDS, "ucdp_ged", dates=("date_start", "date_end"), may_be_absent=NEWER, encoding=encoding
    )
    problems = row_problems(frame, frame["date_end"] < frame["date_start"], "date_end", "must not be before date_start")
    if problems:
        raise DataValidationError(path, sorted(problems, key=lambda p: p.row or 0))
    numbers = {c: _numbers(frame[c]) for c in ("best", "low", "high", "deaths_civilians")}
    marks = {
        "low_above_best": numbers["low"] > numbers["best"],
        "high_below_best": numbers["high"] < numbers["best"],
        "civilians_above_best": numbers["deaths_civilians"] > numbers["best"],
    }
    for name, mask in marks.items():
        frame[name] = mask.fillna(False).astype(bool)
    return frame


def _numbers(cells: pd.Series) -> pd.Series:
    """A checked count column as numbers (missing stays missing), by Arrow's cast; ``pd.to_numeric``
    where the cast refuses (a count beyond 64 bits)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pc.cast(pa.array(cells, from_pandas=True), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(cells)
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=cells.index)


MARK_REASONS = {
    "low_above_best": "low above best (the stated low is kept in the quote and note, value_low left empty)",
    "high_below_best": "high below best (the stated high is kept in the quote and note, value_high left empty)",
    "civilians_above_best": "deaths_civilians above best (both kept as stated, the civilians' claim noted)",
}


def marked_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many of the selected rows carry each mark, by its reason as the import prints it."""
    return {MARK_REASONS[m]: int(frame[m].sum()) for m in MARK_REASONS if int(frame[m].sum())}


def map_rows(frame: pd.DataFrame, release: str, released: str) -> Mapped:
    """The events, sources, claimant and claims of the selected rows (text cells)."""
    tag = slug(release)
    source_id = f"ucdp_ged_v{tag}"
    event_id = "ucdp-ged-" + frame["id"]
    events = _events(frame, release, event_id)
    relied_on = joined(
        "UCDP relied on: ",
        frame["source_original"].fillna("(source_original not given)"),
        ". Outlets: ",
        frame["source_office"].fillna("(source_office not given)"),
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
    killed = _killed_claims(frame, release, event_id, tag, relied_on, common)
    civilians = _civilian_claims(frame, release, event_id, tag, relied_on, common)
    claims = pd.concat([killed, civilians], ignore_index=True)
    rows = pd.concat([frame.index.to_series() + 2] * 2, ignore_index=True)
    sources, claimants = _release_source(source_id, release, released)
    return Mapped(sources=sources, claimants=claimants, events=events, claims=claims, claim_rows=rows)


def _events(frame: pd.DataFrame, release: str, event_id: pd.Series) -> pd.DataFrame:
    """One event per GED row: named by its dyad and place, described with the codebook's precision words."""
    place = frame["where_coordinates"].fillna(frame["adm_1"]).fillna(frame["country"])
    name = frame["dyad_name"].fillna(frame["conflict_name"]).fillna("UCDP GED event " + frame["id"]) + ", " + place
    region = frame["adm_1"].fillna(frame["country"])
    violence = frame["type_of_violence"].map(VIOLENCE)
    description = joined(
        "UCDP GED ",
        release,
        " event ",
        frame["id"],
        " (",
        frame["relid"].fillna("no relid"),
        "): ",
        violence,
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
    return events_frame(
        event_id=event_id,
        name=name,
        date_start=frame["date_start"],
        date_end=frame["date_end"],
        date_precision=frame["date_prec"].map(DATE_PRECISION),
        region=region,
        country=frame["country"],
        latitude=frame["latitude"],
        longitude=frame["longitude"],
        description=description,
        event_type=violence,
        place_name=frame["where_coordinates"],
        admin2=frame["adm_2"],
        country_code="",  # GED names the country, never by an ISO code
        side_a=frame["side_a"],
        side_b=frame["side_b"],
    )


def _killed_claims(
    frame: pd.DataFrame, release: str, event_id: pd.Series, tag: str, relied_on: pd.Series, common: dict
) -> pd.DataFrame:
    """UCDP's best estimate of all deaths with its low and high; a bound that contradicts best is marked."""
    # A bound that contradicts best is kept as the release states it, in the quote and a note,
    # and left out of the value columns (a chart draws best with the bounds that hold); never changed.
    low = frame["low"].mask(frame["low_above_best"])
    high = frame["high"].mask(frame["high_below_best"])
    mark = pd.Series("", index=frame.index, dtype="string")
    mark = mark.mask(
        frame["low_above_best"],
        joined("Marked: the release's low (", frame["low"], ") is above its best (", frame["best"], "). "),
    )
    mark = mark.mask(
        frame["high_below_best"],
        mark + joined("Marked: the release's high (", frame["high"], ") is below its best (", frame["best"], "). "),
    )
    return pd.DataFrame(
        {
            "claim_id": event_id + "-killed-v" + tag,
            "event_id": event_id,
            "metric": "killed",
            "population": "all",
            "value_low": low,
            "value_best": frame["best"],
            "value_high": high,
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
            "note": mark.fillna("")
            + joined(
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


def _civilian_claims(
    frame: pd.DataFrame, release: str, event_id: pd.Series, tag: str, relied_on: pd.Series, common: dict
) -> pd.DataFrame:
    """UCDP's civilian deaths, a part of the best estimate; one above best is kept as stated, marked."""
    civilian_mark = pd.Series("", index=frame.index, dtype="string").mask(
        frame["civilians_above_best"],
        joined(
            "Marked: the release's deaths_civilians (",
            frame["deaths_civilians"],
            ") is above its best (",
            frame["best"],
            "), as stated. ",
        ),
    )
    return pd.DataFrame(
        {
            "claim_id": event_id + "-civilians-v" + tag,
            "event_id": event_id,
            "metric": "killed",
            "population": "civilians",
            "value_low": "",
            "value_best": frame["deaths_civilians"],
            "value_high": "",
            "qualifier": "estimate",
            "quote": joined(
                "UCDP GED ",
                release,
                ": ",
                frame["deaths_civilians"],
                " civilian deaths (deaths_civilians, a part of the best estimate)",
            ),
            "note": civilian_mark.fillna("") + relied_on,
            **common,
        }
    )


def _release_source(source_id: str, release: str, released: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The release as a source (UCDP's own document) and UCDP as the claimant."""
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
    return sources, claimants


def _latest_unlisted(claims: pd.DataFrame, listed: pd.Series, released: str) -> pd.DataFrame:
    """UCDP's current figures from releases before ``released`` about events this release does not list."""
    own = claims[claims["claimant"] == CLAIMANT]
    if own.empty:
        return own.iloc[:0]
    revised = set(own["revises"][own["revises"] != ""])
    heads = own[~own["claim_id"].isin(revised)]
    heads = heads[(heads["reported_on"] < released) & (heads["qualifier"] != "not_reported")]
    return heads[~heads["event_id"].isin(listed)]


def _withdrawal_claims(heads: pd.DataFrame, release: str, released: str) -> pd.DataFrame:
    """A claim with no figure per withdrawn figure: the event is not in this release."""
    tag = slug(release)
    suffix = heads["population"].map({"all": "killed", "civilians": "civilians"}).fillna(heads["population"])
    return pd.DataFrame(
        {
            "claim_id": heads["event_id"] + "-" + suffix + "-v" + tag,
            "event_id": heads["event_id"],
            "metric": heads["metric"],
            "population": heads["population"],
            "value_low": "",
            "value_best": "",
            "value_high": "",
            "qualifier": "not_reported",
            "unit": heads["unit"],
            "claimant": CLAIMANT,
            "source_id": f"ucdp_ged_v{tag}",
            "reported_on": released,
            "status": STATUS,
            "quote": f"Not in UCDP GED {release}: the event is withdrawn from this release",
            "quote_kind": "as_recorded",
            "revises": "",
            "note": f"Withdrawn: UCDP GED {release} no longer lists this event, which an earlier release did.",
        }
    )


def _withdrawn(
    frame: pd.DataFrame, filters: Filters, release: str, released: str
) -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    """Claims saying that an event an earlier release listed is not in this one.

    Only where this file covers the event: the file lists other events of its country in the
    event's year, and the event passes the import's filters. A country extract or a filtered
    import does not withdraw what it does not cover.
    """
    listed = "ucdp-ged-" + frame["id"]
    covering: list[set[tuple[str, str]]] = []

    def covered() -> set[tuple[str, str]]:
        """The (country, year) pairs the file lists events in: made only when an event may be withdrawn."""
        if not covering:
            covering.append(set(zip(frame["country"].str.casefold(), frame["date_start"].str[:4], strict=True)))
        return covering[0]

    def withdraw(claims: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
        heads = _latest_unlisted(claims, listed, released)
        if heads.empty:
            return heads
        where = events.set_index("event_id").reindex(heads["event_id"])
        where.index = heads.index
        pairs = covered()
        scope = pd.Series(
            [
                (str(c).casefold(), str(d)[:4]) in pairs
                for c, d in zip(where["country"], where["date_start"], strict=True)
            ],
            index=heads.index,
        )
        text = where.rename(columns={"region": "adm_1"}).fillna("")
        text = text.astype({c: "string" for c in text.columns}).replace("", pd.NA)
        scope &= filters.mask(text, country="country", admin1="adm_1", start="date_start", end="date_end")
        return _withdrawal_claims(heads[scope], release, released)

    return withdraw


def import_ucdp(
    path: str | Path,
    *,
    release: str | None = None,
    released: str | None = None,
    filters: Filters = Filters(),
    data_dir: str | Path | None = None,
    encoding: str = "utf-8",
) -> ImportSummary:
    """Import a GED CSV file (any layout since 19.1) into the tables of ``data_dir`` (default: data/).

    The release's day comes from ``released``, else the file's name, else an earlier import of
    the same release; without one the import is refused: a release dated the day of its import
    would pass for newer than it is.
    """
    path = Path(path)
    release = release or release_from_name(path)
    if not release:
        raise ParameterError(
            f"--release: {path.name} does not name its GED version (as GEDEvent_v24_1.csv does); "
            "give it, e.g. --release 24.1"
        )
    released = released or released_from_name(path) or _released_before(f"ucdp_ged_v{slug(release)}", data_dir)
    if not released:
        raise ParameterError(
            f"--released: neither {path.name} nor an earlier import says the day GED {release} was published; "
            "give it, e.g. --released 2024-06-12 (a release dated the day of its import would pass for newer "
            "than it is)"
        )
    # The data folder's pre-check runs beside the reading and mapping of the release (common.PreCheck).
    with pre_checked(data_dir) as ahead:
        return _import_checked(path, release, released, filters, data_dir, encoding, ahead)


def _import_checked(
    path: Path,
    release: str,
    released: str,
    filters: Filters,
    data_dir: str | Path | None,
    encoding: str,
    ahead: PreCheck,
) -> ImportSummary:
    """``import_ucdp`` once the release and its day are known: read, select, map and apply."""
    frame = _checked(path, encoding)
    keep = filters.mask(
        frame,
        country="country",
        admin1="adm_1",
        start="date_start",
        end="date_end",
        event_types=(frame["type_of_violence"].map(VIOLENCE).astype("string"), frame["type_of_violence"]),
    )
    selected = select(frame, keep)
    mapped = map_rows(selected, release, released)
    rows_read, rows_selected, marked = len(frame), len(selected), marked_counts(selected)
    # The withdrawal needs three of the release's columns: the others' text (its sources' wording,
    # most of a release) is let go before the merge and the rules' check, the import's largest moment.
    withdraw = _withdrawn(frame[["id", "country", "date_start"]], filters, release, released)
    del frame, selected, keep
    return apply_import(
        path,
        mapped,
        rows_read=rows_read,
        rows_selected=rows_selected,
        data_dir=Path(data_dir) if data_dir else None,
        marked=marked,
        withdraw=withdraw,
        ahead=ahead,
    )
