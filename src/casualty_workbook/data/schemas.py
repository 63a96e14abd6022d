"""What each data table must look like: columns, types and closed vocabularies.

Each table is declared once as a list of fields; pandera checks every cell against it,
vectorised, on the text as read (so a bad cell is reported as written, never as a
coercion failure). Rules across rows and tables live in ``rules.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

# Closed vocabularies: a new word is a deliberate change here, with its meaning in data/README.md.
METRICS = (
    "killed",
    "injured",
    "casualties",
    "missing",
    "rescued",
    "munitions_launched",
    "munitions_intercepted",
    "storeys_collapsed",
    "settlements_captured",
    "villages_captured",
)
POPULATIONS = ("all", "civilians", "children")
UNITS = ("people", "munitions", "storeys", "settlements")
QUALIFIERS = ("exact", "at_least", "about", "estimate", "up_to", "range", "not_reported")
# In the order of how far a figure was checked: legends, captions and summaries list them so.
STATUSES = ("verified", "secondary", "unverified", "unattributed", "claimed", "derived")
# Sides that are parties to the war: their figures are `claimed`, whoever relays them, and only theirs are.
WAR_PARTIES = ("russia", "ukraine")
# The side of a claimant the outlet does not name: its figures are `unattributed`, and only theirs are.
UNNAMED_SIDE = "unknown"
QUOTE_KINDS = ("verbatim", "as_recorded")
DATE_PRECISIONS = ("day", "month", "year", "approximate", "range", "unknown")
SOURCE_KINDS = ("news_report", "official_statement", "un_report", "reference", "dataset")
SIDES = ("russia", "ukraine", "un", "media", "independent", "unknown")
CLAIMANT_KINDS = ("government", "military", "media", "un_agency", "research", "unknown")
PLACE_KINDS = ("city", "town", "village", "region")
WEAPON_TYPES = ("ballistic_missile", "mlrs", "guided_mlrs", "cruise_missile", "drone", "artillery")
OHCHR_CATEGORIES = ("all", "civilians", "civilians_mh17", "ukrainian_forces", "armed_groups")
OHCHR_OUTCOMES = ("killed", "injured", "casualties")
# Shared with parameters and charts: one home each.
OHCHR_YEARS = (2014, 2021)  # first and last year of OHCHR's yearly figures
PEOPLE_METRICS = ("killed", "injured", "missing")  # the metrics about people a claim can be charted by
ESTIMATES = ("low", "best", "high")  # which of a figure's values a chart is drawn to
# The columns of a figure (low, best, high), in each table that holds figures.
VALUE_COLUMNS = {
    "claims": ("value_low", "value_best", "value_high"),
    "ohchr_totals": ("value_low", "value_best", "value_high"),
    "weapon_mentions": ("count_low", "count_best", "count_high"),
}
# Each metric in words, for prose and tables; a chart's label (an axis, a row) is the same words with
# a capital (METRIC_LABELS). One entry per word of METRICS.
METRIC_WORDS = {
    "killed": "killed",
    "injured": "injured",
    "casualties": "casualties (killed and injured together)",
    "missing": "missing",
    "rescued": "rescued",
    "munitions_launched": "munitions launched",
    "munitions_intercepted": "munitions intercepted",
    "storeys_collapsed": "storeys collapsed",
    "settlements_captured": "settlements claimed taken",
    "villages_captured": "villages claimed taken",
}
METRIC_LABELS = {metric: words[:1].upper() + words[1:] for metric, words in METRIC_WORDS.items()}
# OHCHR's categories of the dead, in words (a chart's row label starts with a capital).
CATEGORY_WORDS = {
    "all": "all killed",
    "civilians": "civilians",
    "ukrainian_forces": "Ukrainian forces",
    "armed_groups": "members of armed groups",
}
# A weapon system's type (weapon_systems.csv), in words.
WEAPON_TYPE_WORDS = {
    "ballistic_missile": "ballistic missile",
    "mlrs": "MLRS (multiple rocket launcher)",
    "guided_mlrs": "guided MLRS",
    "cruise_missile": "cruise missile",
    "drone": "drone",
    "artillery": "artillery",
}
# Who a figure counts, in words: a label names it wherever figures of two populations are drawn.
POPULATION_LABELS = {"all": "all people", "civilians": "civilians", "children": "children"}
# A qualifier (how a figure was worded) in words, for tables.
QUALIFIER_WORDS = {
    "exact": "exact",
    "at_least": "at least",
    "about": "about",
    "estimate": "estimate",
    "up_to": "up to",
    "range": "range",
    "not_reported": "not reported",
}
# A status in a few words, for captions and tables: what the workbook checked, not what the producer did.
STATUS_WORDS = {
    "verified": "verified",
    "secondary": "secondary",
    "unverified": "not matched to a quote yet",
    "unattributed": "attributed to no one",
    "claimed": "claimed",
    "derived": "derived",
}
# A status as a chart's key and a page's summary spell it out.
STATUS_LABELS = {
    "verified": "verified (in the producing body's own text)",
    "secondary": "secondary (a neutral body's figure carried by an outlet)",
    # What the workbook checked, not what the producer did: OHCHR's own counts may sit here.
    "unverified": "not matched to a quote yet",
    "unattributed": "attributed to no one by the outlet",
    "claimed": "claimed by a party to the war, not independently verified",
    "derived": "derived (computed from other figures)",
}

# At most 64 characters: an id may name a folder or a file (an event's report), and a file name holds 255 bytes.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
# An event's id names its report, figures folder and files: lower case too, so that two ids never differ only by
# case (one folder on a case-insensitive disk) and the catalogue accepts every event that validate accepts.
LOWER_ID_PATTERN = r"[a-z0-9][a-z0-9_\-]{0,63}"
ID_RULE = "must be an identifier: letters, digits, '_' or '-', at most 64 characters"
LOWER_ID_RULE = (
    "must be a lower-case identifier (it names the event's report and its folder): a-z, digits, '_' or '-', "
    "at most 64 characters"
)
COUNT_DIGITS = 15


@dataclass(frozen=True)
class Field:
    """One column: its kind decides the cell rule and the type it is loaded as."""

    name: str
    kind: (
        str  # id | text | vocab | count | number | date | year | bool | latitude | longitude | time | time_offset | url
    )
    required: bool = True
    vocab: tuple[str, ...] = ()
    unique: bool = False
    min: float | None = None
    max: float | None = None
    lower: bool = False  # an id that must be lower case (LOWER_ID_PATTERN)


@dataclass(frozen=True)
class Reference:
    """``column`` must hold a value of ``table.target`` (empty cells are allowed where the field is optional)."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    fields: tuple[Field, ...]
    references: tuple[Reference, ...] = ()
    extra_dependencies: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def dependencies(self) -> tuple[str, ...]:
        names = [r.table for r in self.references if r.table != self.name] + list(self.extra_dependencies)
        return tuple(dict.fromkeys(names))

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _f(name: str, kind: str, **kw) -> Field:
    return Field(name, kind, **kw)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "sources",
            (
                _f("source_id", "id", unique=True),
                _f("title", "text"),
                _f("publisher", "text"),
                _f("published", "date", required=False),
                _f("published_precision", "vocab", vocab=DATE_PRECISIONS),
                _f("url", "url", required=False),
                _f("no_url_reason", "text", required=False),
                _f("own_document_of", "id", required=False),
                _f("kind", "vocab", vocab=SOURCE_KINDS),
                _f("accessed", "date"),
                _f("note", "text", required=False),
            ),
            references=(Reference("own_document_of", "claimants", "claimant_id"),),
        ),
        TableSpec(
            "claimants",
            (
                _f("claimant_id", "id", unique=True),
                _f("name", "text"),
                _f("side", "vocab", vocab=SIDES),
                _f("kind", "vocab", vocab=CLAIMANT_KINDS),
                _f("note", "text", required=False),
            ),
        ),
        TableSpec(
            "places",
            (
                _f("place_id", "id", unique=True),
                _f("name", "text"),
                _f("name_russian", "text", required=False),
                _f("kind", "vocab", vocab=PLACE_KINDS),
                _f("admin_area", "text"),
                _f("country", "text"),
                _f("latitude", "latitude", required=False),
                _f("longitude", "longitude", required=False),
                _f("coord_status", "vocab", vocab=("verified", "unverified")),
                _f("coord_source_id", "id", required=False),
                _f("mentioned_in", "id", required=False),
                _f("note", "text", required=False),
            ),
            references=(
                Reference("coord_source_id", "sources", "source_id"),
                # The source that names the place: any report can, so it is a source, not a code.
                Reference("mentioned_in", "sources", "source_id"),
            ),
        ),
        TableSpec(
            "events",
            (
                _f("event_id", "id", unique=True, lower=True),
                _f("name", "text"),
                _f("date_start", "date"),
                _f("date_end", "date"),
                _f("date_precision", "vocab", vocab=DATE_PRECISIONS),
                _f("time_utc", "time", required=False),
                _f("place_id", "id", required=False),
                _f("region", "text"),
                _f("country", "text"),
                _f("latitude", "latitude", required=False),
                _f("longitude", "longitude", required=False),
                _f("description", "text"),
                # What a coded dataset says of its event beyond the columns above (empty for an event
                # entered by hand): kept as columns, so the HXL export and the notebooks read them as data.
                _f("event_type", "text", required=False),
                _f("place_name", "text", required=False),
                _f("admin2", "text", required=False),
                _f("country_code", "text", required=False),
                _f("side_a", "text", required=False),
                _f("side_b", "text", required=False),
            ),
            references=(Reference("place_id", "places", "place_id"),),
        ),
        TableSpec(
            "claims",
            (
                _f("claim_id", "id", unique=True),
                _f("event_id", "id"),
                _f("metric", "vocab", vocab=METRICS),
                _f("population", "vocab", vocab=POPULATIONS, required=False),
                _f("value_low", "count", required=False),
                _f("value_best", "count", required=False),
                _f("value_high", "count", required=False),
                _f("qualifier", "vocab", vocab=QUALIFIERS),
                _f("unit", "vocab", vocab=UNITS),
                _f("claimant", "id"),
                _f("source_id", "id"),
                _f("reported_on", "date"),
                _f("reported_time", "time_offset", required=False),
                _f("status", "vocab", vocab=STATUSES),
                _f("quote", "text"),
                _f("quote_kind", "vocab", vocab=QUOTE_KINDS),
                _f("revises", "id", required=False),
                _f("derived_from", "text", required=False),
                _f("note", "text", required=False),
            ),
            references=(
                Reference("event_id", "events", "event_id"),
                Reference("claimant", "claimants", "claimant_id"),
                Reference("source_id", "sources", "source_id"),
                Reference("revises", "claims", "claim_id"),
            ),
        ),
        TableSpec(
            "weapon_systems",
            (
                _f("system_id", "id", unique=True),
                _f("canonical_name", "text"),
                _f("other_names", "text", required=False),
                _f("type", "vocab", vocab=WEAPON_TYPES),
                _f("origin", "text"),
                _f("note", "text", required=False),
            ),
        ),
        TableSpec(
            "weapon_mentions",
            (
                _f("mention_id", "id", unique=True),
                _f("event_id", "id"),
                _f("name_as_reported", "text"),
                _f("system_id", "id"),
                _f("count_low", "count", required=False),
                _f("count_best", "count", required=False),
                _f("count_high", "count", required=False),
                _f("qualifier", "vocab", vocab=QUALIFIERS),
                _f("claimant", "id"),
                _f("source_id", "id"),
                _f("reported_on", "date"),
                _f("status", "vocab", vocab=STATUSES),
                _f("quote", "text"),
                _f("quote_kind", "vocab", vocab=QUOTE_KINDS),
                _f("part_of_claim", "id", required=False),
                _f("note", "text", required=False),
            ),
            references=(
                Reference("event_id", "events", "event_id"),
                Reference("system_id", "weapon_systems", "system_id"),
                Reference("claimant", "claimants", "claimant_id"),
                Reference("source_id", "sources", "source_id"),
                Reference("part_of_claim", "claims", "claim_id"),
            ),
        ),
        TableSpec(
            "ohchr_totals",
            (
                _f("figure_id", "id", unique=True),
                _f("category", "vocab", vocab=OHCHR_CATEGORIES),
                _f("outcome", "vocab", vocab=OHCHR_OUTCOMES),
                _f("value_low", "count", required=False),
                _f("value_best", "count", required=False),
                _f("value_high", "count", required=False),
                _f("qualifier", "vocab", vocab=QUALIFIERS),
                _f("status", "vocab", vocab=STATUSES),
                _f("source_id", "id", required=False),
                _f("quote", "text"),
                _f("quote_kind", "vocab", vocab=QUOTE_KINDS),
                _f("note", "text", required=False),
            ),
            references=(Reference("source_id", "sources", "source_id"),),
        ),
        TableSpec(
            "ohchr_civilian_deaths_by_year",
            (
                _f("year", "year", unique=True, min=OHCHR_YEARS[0], max=OHCHR_YEARS[1]),
                _f("killed", "count"),
                _f("includes_mh17", "bool"),
                _f("status", "vocab", vocab=STATUSES),
                _f("source_id", "id"),
                _f("quote", "text", required=False),
                _f("quote_kind", "vocab", vocab=QUOTE_KINDS, required=False),
                _f("note", "text", required=False),
            ),
            references=(Reference("source_id", "sources", "source_id"),),
            extra_dependencies=("ohchr_totals",),
        ),
        TableSpec(
            "ohchr_mine_share",
            (
                _f("year", "year", unique=True, min=OHCHR_YEARS[0], max=OHCHR_YEARS[1]),
                _f("share_percent", "number", min=0, max=100),
                _f("status", "vocab", vocab=STATUSES),
                _f("source_id", "id"),
                _f("note", "text", required=False),
            ),
            references=(Reference("source_id", "sources", "source_id"),),
        ),
    )
}


# ---- cell rules (vectorised on the text as read) -------------------------------------------------


def _on_distinct(check):
    """``check`` (cells -> whether each is well formed) run once per distinct cell, then spread back: a
    million claims name a few hundred events and a few tens of thousands of counts. A missing cell is
    not well formed (False), as ``check`` says of it; a short column is checked as it is."""

    def run(s: pd.Series) -> pd.Series:
        if len(s) < 10_000:
            return check(s)
        codes, distinct = pd.factorize(s)
        if len(distinct) > len(s) // 2:  # mostly distinct: the factorising would cost more than it saves
            return check(s)
        ok = check(pd.Series(distinct, dtype=s.dtype)).to_numpy(dtype=bool)
        return pd.Series(np.append(ok, False)[codes], index=s.index)

    return run


def _matches(pattern: str, rule: str, *, distinct: bool = False) -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        return s.str.fullmatch(pattern).fillna(False).astype(bool)

    return pa.Check(_on_distinct(check) if distinct else check, error=rule, element_wise=False)


def _parsed_number_between(lo: float | None, hi: float | None, rule: str, *, integer: bool = False) -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        pattern = r"[+-]?\d+" if integer else r"[+-]?(\d+(\.\d*)?|\.\d+)"
        ok = s.str.fullmatch(pattern).fillna(False).astype(bool)
        values = pd.to_numeric(s.where(ok), errors="coerce")
        if lo is not None:
            ok &= values >= lo
        if hi is not None:
            ok &= values <= hi
        return ok.fillna(False).astype(bool)

    return pa.Check(_on_distinct(check), error=rule)


def _real_date_not_future(s: pd.Series) -> pd.Series:
    # Each distinct cell is checked once (a million claims carry a few thousand dates), then spread back.
    codes, distinct = pd.factorize(s)
    cells = pd.Series(distinct, dtype=s.dtype)
    shaped = cells.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    parsed = pd.to_datetime(cells.where(shaped), format="%Y-%m-%d", errors="coerce")
    ok = (parsed.notna() & (parsed <= pd.Timestamp(dt.date.today()))).to_numpy(dtype=bool)
    return pd.Series(np.append(ok, False)[codes], index=s.index)  # a missing cell (code -1) is no date


def _cell_checks(f: Field) -> list[pa.Check]:
    if f.kind == "id":
        # A table's own ids are all distinct: checked as they are; the ids it refers to, once each.
        pattern, rule = (LOWER_ID_PATTERN, LOWER_ID_RULE) if f.lower else (ID_PATTERN, ID_RULE)
        return [_matches(pattern, rule, distinct=not f.unique)]
    if f.kind == "vocab":
        return [pa.Check(lambda s, v=f.vocab: s.isin(v), error=f"must be one of: {', '.join(f.vocab)}")]
    if f.kind == "count":
        # At most 15 digits: more people than live on Earth is a typing slip, and 15 digits stay exact when typed.
        return [
            _matches(
                rf"\d{{1,{COUNT_DIGITS}}}",
                f"must be a whole number of 0 or more, written in digits (at most {COUNT_DIGITS})",
                distinct=True,
            )
        ]
    if f.kind == "year":
        return [_parsed_number_between(f.min, f.max, f"must be a year from {f.min:.0f} to {f.max:.0f}", integer=True)]
    if f.kind == "number":
        return [_parsed_number_between(f.min, f.max, f"must be a number from {f.min:g} to {f.max:g}")]
    if f.kind == "latitude":
        return [_parsed_number_between(-90, 90, "must be a latitude in decimal degrees, from -90 to 90")]
    if f.kind == "longitude":
        return [_parsed_number_between(-180, 180, "must be a longitude in decimal degrees, from -180 to 180")]
    if f.kind == "date":
        return [pa.Check(_real_date_not_future, error="must be a real date written YYYY-MM-DD, not in the future")]
    if f.kind == "bool":
        return [pa.Check(lambda s: s.isin(("true", "false")), error="must be true or false")]
    if f.kind == "time":
        return [_matches(r"([01]\d|2[0-3]):[0-5]\d", "must be a time written HH:MM (24-hour, UTC)", distinct=True)]
    if f.kind == "time_offset":
        return [
            _matches(
                r"([01]\d|2[0-3]):[0-5]\d[+-](0\d|1[0-4]):[0-5]\d",
                "must be a time with its UTC offset, written HH:MM+HH:MM (e.g. 18:46+03:00)",
                distinct=True,
            )
        ]
    if f.kind == "url":
        return [_matches(r"https?://\S+", "must be a web address starting with http:// or https://", distinct=True)]
    return []


def text_schema(spec: TableSpec, *, known_unique: frozenset[str] = frozenset()) -> pa.DataFrameSchema:
    """The pandera schema of a table's raw text: every column present, every cell well formed.

    ``known_unique`` names columns already found to hold no value twice (nor two empty cells): their
    uniqueness check, which could only pass, is left out (on a million ids it costs a quarter second)."""
    columns = {
        f.name: pa.Column(
            None,
            checks=_cell_checks(f),
            nullable=not f.required,
            unique=f.unique and f.name not in known_unique,
            required=True,
            coerce=False,
        )
        for f in spec.fields
    }
    return pa.DataFrameSchema(columns, strict=True, ordered=False, name=spec.filename)


# The type each kind of field is loaded as once it is valid.
def dtype_for(f: Field) -> object:
    if f.kind in ("count", "year"):
        return "Int64"
    if f.kind in ("number", "latitude", "longitude"):
        return "Float64"
    if f.kind == "bool":
        return "boolean"
    if f.kind == "date":
        return "datetime64[s]"
    if f.kind == "vocab":
        return pd.CategoricalDtype(list(f.vocab), ordered=False)
    return "string"
