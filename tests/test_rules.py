"""Every data rule has a failing example: copy data/, break one cell, and the error names the
file, the row (spreadsheet numbering: the header is row 1), the column and the rule.

Cell rules are those of ``schemas._cell_checks`` (and pandera's empty/unique checks); the rules
across rows and tables are those of ``rules.py``.

Most examples have the same shape, so they are rows of tables, one test per table: a bad cell
(``CELL_CASES``), a row that breaks a rule across rows or tables (``RULE_CASES``, gathered from
one table per topic), edits after which the load reports exactly a given list of problems
(``PROBLEM_LIST_CASES``) and harmless edits that must still load (``LOADS_CASES``). An example
whose assertions differ from those of every table is a test of its own.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from datatools import copy_data, drop_column, rename_column, row_number, set_cell, set_cells

from casualty_workbook.core.exceptions import DataValidationError, Problem
from casualty_workbook.data.loading import load_table
from casualty_workbook.data.rules import NUMBER_WORDS, QuoteText, number_stands_in
from casualty_workbook.data.schemas import QUALIFIERS, TABLES


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return copy_data(tmp_path)


def load_error(data_dir: Path, table: str) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        load_table(table, data_dir)
    return info.value


def assert_problem(
    err: DataValidationError, *, file: str, row: int | None, column: str | None, rule: str, value: object = ...
) -> Problem:
    """The error is about ``file`` and lists a problem at exactly this row and column with this rule."""
    assert err.path.name == file
    text = str(err)
    assert text.splitlines()[0].startswith(f"{err.path}: invalid data ("), text
    found = [p for p in err.problems if p.row == row and p.column == column and rule in p.rule]
    assert found, f"no problem at row {row}, column {column} with rule {rule!r} in:\n{text}"
    where = ", ".join(w for w in (f"row {row}" if row else "", f"column {column}" if column else "") if w)
    assert any(line.startswith(f"  {where}") and rule in line for line in text.splitlines()), text
    if value is None:
        assert found[0].value is None or pd.isna(found[0].value), found[0]
    elif value is not ...:
        assert str(found[0].value) == str(value), found[0]
    return found[0]


def broken(data_dir: Path, table: str, key: str, values: dict[str, str]) -> tuple[DataValidationError, int]:
    row = set_cells(data_dir, table, key, values)
    return load_error(data_dir, table), row


# ---- cell rules: one failing example of every kind of field ---------------------------------------

WHOLE = "must be a whole number of 0 or more, written in digits"
DATE = "must be a real date written YYYY-MM-DD, not in the future"
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()

# (kind, table, row key, column, bad value, rule)
CELL_CASES = [
    ("id", "claims", "C005", "claim_id", "C 5", "must be an identifier: letters, digits, '_' or '-'"),
    ("id", "claimants", "ru_mod", "claimant_id", "ru.mod", "must be an identifier"),
    ("id", "places", "belgorod", "coord_source_id", "-encyclopaedia", "must be an identifier"),
    ("vocab", "claims", "C004", "metric", "deaths", "must be one of: killed, injured, casualties, missing, rescued"),
    ("vocab", "claims", "C004", "metric", "Injured", "must be one of: killed, injured"),
    ("vocab", "claims", "C004", "population", "adults", "must be one of: all, civilians, children"),
    (
        "vocab",
        "claims",
        "C016",
        "qualifier",
        "approximately",
        "must be one of: exact, at_least, about, estimate, up_to, range, not_reported",
    ),
    ("vocab", "claims", "C016", "qualifier", "at least", "must be one of: exact, at_least"),
    ("vocab", "claims", "C004", "unit", "persons", "must be one of: people, munitions, storeys, settlements"),
    (
        "vocab",
        "claims",
        "C004",
        "status",
        "confirmed",
        "must be one of: verified, secondary, unverified, unattributed, claimed, derived",
    ),
    ("vocab", "claims", "C004", "quote_kind", "paraphrase", "must be one of: verbatim, as_recorded"),
    (
        "vocab",
        "sources",
        "pravda_2024",
        "kind",
        "blog",
        "must be one of: news_report, official_statement, un_report, reference",
    ),
    (
        "vocab",
        "claimants",
        "ru_mod",
        "side",
        "kremlin",
        "must be one of: russia, ukraine, un, media, independent, unknown",
    ),
    ("vocab", "places", "krasne", "coord_status", "approximate", "must be one of: verified, unverified"),
    ("vocab", "weapon_systems", "vilkha", "type", "rocket", "must be one of: ballistic_missile, mlrs, guided_mlrs"),
    ("vocab", "ohchr_totals", "all_killed", "outcome", "dead", "must be one of: killed, injured, casualties"),
    ("count", "claims", "C004", "value_best", "-20", WHOLE),
    ("count", "claims", "C004", "value_best", "20.5", WHOLE),
    ("count", "claims", "C003", "value_best", "fifteen", WHOLE),
    ("count", "ohchr_totals", "forces_killed", "value_best", "4,400", WHOLE),
    ("count", "weapon_mentions", "W005", "count_best", "~6", WHOLE),
    ("count", "ohchr_civilian_deaths_by_year", "2016", "killed", "112.0", WHOLE),
    ("year", "ohchr_civilian_deaths_by_year", "2015", "year", "2013", "must be a year from 2014 to 2021"),
    ("year", "ohchr_civilian_deaths_by_year", "2015", "year", "2015.0", "must be a year from 2014 to 2021"),
    ("year", "ohchr_mine_share", "2020", "year", "2022", "must be a year from 2014 to 2021"),
    ("number", "ohchr_mine_share", "2020", "share_percent", "100.5", "must be a number from 0 to 100"),
    ("number", "ohchr_mine_share", "2020", "share_percent", "-1", "must be a number from 0 to 100"),
    ("number", "ohchr_mine_share", "2020", "share_percent", "51%", "must be a number from 0 to 100"),
    ("latitude", "places", "lyptsi", "latitude", "90.5", "must be a latitude in decimal degrees, from -90 to 90"),
    ("latitude", "places", "lyptsi", "latitude", "50,2092", "must be a latitude in decimal degrees"),
    (
        "longitude",
        "places",
        "lyptsi",
        "longitude",
        "-180.1",
        "must be a longitude in decimal degrees, from -180 to 180",
    ),
    ("longitude", "events", "belgorod_strike_2024", "longitude", "36.60E", "must be a longitude in decimal degrees"),
    ("date", "claims", "C011", "reported_on", "2024-02-30", DATE),
    ("date", "claims", "C011", "reported_on", "2024-5-14", DATE),
    ("date", "claims", "C011", "reported_on", "14/05/2024", DATE),
    ("date", "sources", "dagens_2024", "accessed", TOMORROW, DATE),
    ("date", "events", "donbas_war_2014_2021", "date_start", "April 2014", DATE),
    ("bool", "ohchr_civilian_deaths_by_year", "2014", "includes_mh17", "yes", "must be true or false"),
    ("bool", "ohchr_civilian_deaths_by_year", "2014", "includes_mh17", "True", "must be true or false"),
    ("bool", "ohchr_civilian_deaths_by_year", "2014", "includes_mh17", "1", "must be true or false"),
    ("time", "events", "belgorod_strike_2024", "time_utc", "8:40", "must be a time written HH:MM (24-hour, UTC)"),
    ("time", "events", "belgorod_strike_2024", "time_utc", "24:00", "must be a time written HH:MM"),
    ("time", "events", "belgorod_strike_2024", "time_utc", "08:40 GMT", "must be a time written HH:MM"),
    (
        "time_offset",
        "claims",
        "C018",
        "reported_time",
        "18:46",
        "must be a time with its UTC offset, written HH:MM+HH:MM",
    ),
    ("time_offset", "claims", "C018", "reported_time", "18:46 MSK", "must be a time with its UTC offset"),
    ("time_offset", "claims", "C018", "reported_time", "25:00+03:00", "must be a time with its UTC offset"),
    (
        "url",
        "sources",
        "pravda_2024",
        "url",
        "english.pravda.ru/news",
        "must be a web address starting with http:// or https://",
    ),
    ("url", "sources", "pravda_2024", "url", "ftp://example.org/x", "must be a web address starting with http://"),
    ("required", "claims", "C007", "source_id", "", "must not be empty"),
    ("required", "claims", "C007", "quote", "", "must not be empty"),
    ("required", "events", "kharkiv_advance_2024", "date_end", "", "must not be empty"),
    ("required", "ohchr_civilian_deaths_by_year", "2019", "includes_mh17", "", "must not be empty"),
]


@pytest.mark.parametrize(
    ("kind", "table", "key", "column", "value", "rule"),
    CELL_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[3]}-{c[4] or 'empty'}" for c in CELL_CASES],
)
def test_cell_rule_names_file_row_column_and_rule(data, kind, table, key, column, value, rule):
    err, row = broken(data, table, key, {column: value})
    assert_problem(err, file=f"{table}.csv", row=row, column=column, rule=rule, value=value or None)
    assert len(err.problems) == 1, str(err)  # a bad cell is not also reported by the rules across rows
    if value:
        assert f"row {row}, column {column}, value {value!r}: {rule}" in str(err)
    else:
        assert f"row {row}, column {column}: {rule}" in str(err)


def test_every_kind_of_field_has_a_failing_example():
    kinds = {f.kind for spec in TABLES.values() for f in spec.fields} - {"text"}  # free text has no cell rule
    assert kinds <= {c[0] for c in CELL_CASES}


def test_unique_ids_both_rows_named(data):
    set_cell(data, "claims", "C002", "claim_id", "C001")
    err = load_error(data, "claims")
    rule = "must be unique: another row has the same value"
    assert_problem(err, file="claims.csv", row=2, column="claim_id", rule=rule, value="C001")
    assert_problem(err, file="claims.csv", row=3, column="claim_id", rule=rule, value="C001")


# ---- rules across rows and tables: one broken row each ---------------------------------------------


@dataclass(frozen=True)
class RuleCase:
    """Write ``edits`` into the row ``key`` of ``table``: loading it must then report ``rule`` at that
    row and ``column``."""

    id: str  # the rule the row breaks, as the test's name shows it
    table: str
    key: str
    edits: dict[str, str]
    column: str
    rule: str
    value: object = ...  # the value the problem quotes; ... leaves it unchecked, None means an empty cell
    alone: bool = False  # the only problem reported: the other rows the rule compares are not blamed


# One case a line, so that each table reads as a table (``# fmt: skip``: spread out by the
# formatter, a case would take eight lines).

REFERENCE_CASES = [
    RuleCase("reference-claims.event_id", "claims", "C004", {"event_id": "belgorod_2024"}, "event_id", "must name a event_id listed in events.csv", value="belgorod_2024"),
    RuleCase("reference-claims.claimant", "claims", "C004", {"claimant": "ru_tv"}, "claimant", "must name a claimant_id listed in claimants.csv", value="ru_tv"),
    RuleCase("reference-claims.source_id", "claims", "C004", {"source_id": "bbc_2024"}, "source_id", "must name a source_id listed in sources.csv", value="bbc_2024"),
    RuleCase("reference-claims.revises", "claims", "C011", {"revises": "C099"}, "revises", "must name a claim_id listed in claims.csv", value="C099"),
    RuleCase("reference-events.place_id", "events", "belgorod_strike_2024", {"place_id": "atlantis"}, "place_id", "must name a place_id listed in places.csv", value="atlantis"),
    RuleCase("reference-places.coord_source_id", "places", "lyptsi", {"coord_source_id": "wikipedia"}, "coord_source_id", "must name a source_id listed in sources.csv", value="wikipedia"),
    RuleCase("reference-places.mentioned_in", "places", "krasne", {"mentioned_in": "ukraine_military"}, "mentioned_in", "must name a source_id listed in sources.csv", value="ukraine_military"),
    RuleCase("reference-weapon_mentions.system_id", "weapon_mentions", "W001", {"system_id": "adler"}, "system_id", "must name a system_id listed in weapon_systems.csv", value="adler"),
    RuleCase("reference-weapon_mentions.claimant", "weapon_mentions", "W001", {"claimant": "ru_bloggers"}, "claimant", "must name a claimant_id listed in claimants.csv", value="ru_bloggers"),
    RuleCase("reference-weapon_mentions.part_of_claim", "weapon_mentions", "W006", {"part_of_claim": "C099"}, "part_of_claim", "must name a claim_id listed in claims.csv", value="C099"),
    RuleCase("reference-ohchr_totals.source_id", "ohchr_totals", "all_killed", {"source_id": "ohchr_2023"}, "source_id", "must name a source_id listed in sources.csv", value="ohchr_2023"),
    RuleCase("reference-ohchr_civilian_deaths_by_year.source_id", "ohchr_civilian_deaths_by_year", "2016", {"source_id": "ohchr"}, "source_id", "must name a source_id listed in sources.csv", value="ohchr"),
    RuleCase("reference-ohchr_mine_share.source_id", "ohchr_mine_share", "2016", {"source_id": "ohchr"}, "source_id", "must name a source_id listed in sources.csv", value="ohchr"),
    RuleCase("reference-sources.own_document_of", "sources", "ohchr_2022", {"own_document_of": "un"}, "own_document_of", "must name a claimant_id listed in claimants.csv"),
]  # fmt: skip

# low <= best <= high
RANGE_CASES = [
    RuleCase("range-value_low-above-value_best", "ohchr_totals", "forces_killed", {"value_low": "6500"}, "value_low", "must not be above value_best", value="6500"),
    # "17 dead, 20 injured": 17 stands in the quote, so only the order of the values is wrong
    RuleCase("range-value_high-below-value_best", "claims", "C013", {"value_high": "17"}, "value_high", "must not be below value_best", value="17"),
    RuleCase("range-value_high-below-value_low", "claims", "C013", {"value_high": "17"}, "value_high", "must not be below value_low"),
    RuleCase("range-count_high-below-count_low", "weapon_mentions", "W007", {"count_low": "4", "count_best": ""}, "count_high", "must not be below count_low"),
]  # fmt: skip

QUALIFIER_CASES = [
    RuleCase("qualifier-exact-without-value_high", "claims", "C002", {"value_high": ""}, "value_best", "qualifier 'exact' needs value_low = value_best = value_high, all given"),
    RuleCase("qualifier-exact-with-value_low-below-value_best", "claims", "C008", {"value_low": "6"}, "value_best", "qualifier 'exact' needs value_low = value_best"),
    RuleCase("qualifier-at_least-with-value_high", "claims", "C005", {"value_high": "1"}, "value_low", "qualifier 'at_least' needs value_low (and value_best equal to it, if given) and an empty value_high"),
    RuleCase("qualifier-at_least-without-value_low", "claims", "C007", {"value_low": ""}, "value_low", "qualifier 'at_least' needs value_low"),
    RuleCase("qualifier-at_least-with-value_best-unequal-to-value_low", "claims", "C014", {"value_best": "4"}, "value_low", "qualifier 'at_least' needs value_low"),
    RuleCase("qualifier-up_to-with-value_low-and-no-value_high", "claims", "C001", {"qualifier": "up_to"}, "value_high", "qualifier 'up_to' needs value_high and an empty value_low"),
    RuleCase("qualifier-up_to-with-value_low-and-value_high", "claims", "C002", {"qualifier": "up_to"}, "value_high", "qualifier 'up_to' needs value_high and an empty value_low"),
    RuleCase("qualifier-about-without-value_best", "claims", "C016", {"value_best": ""}, "value_best", "qualifier 'about' needs value_best"),
    RuleCase("qualifier-estimate-without-value_best", "ohchr_totals", "forces_killed", {"value_best": ""}, "value_best", "qualifier 'estimate' needs value_best"),
    RuleCase("qualifier-range-with-value_high-equal-to-value_low", "ohchr_totals", "all_killed", {"value_high": "14200"}, "value_low", "qualifier 'range' needs value_low below value_high, both given"),
    RuleCase("qualifier-range-without-value_high", "ohchr_totals", "all_killed", {"value_high": ""}, "value_low", "qualifier 'range' needs value_low below value_high"),
    RuleCase("qualifier-not_reported-with-a-zero-count", "weapon_mentions", "W002", {"count_best": "0"}, "count_best", "qualifier 'not_reported' means no value: leave the value columns empty (never 0)"),
    RuleCase("qualifier-not_reported-with-values", "claims", "C001", {"qualifier": "not_reported"}, "value_best", "qualifier 'not_reported' means no value"),
]  # fmt: skip

STANDS_IN_QUOTE = "must stand in the quote"

QUOTE_CASES = [
    # a quote with no number at all: each of the three values is blamed
    *[
        RuleCase(f"quote-without-the-number-{column}", "claims", "C004", {"quote": "individuals were reported hurt"}, column, "must stand in the quote (in digits or words)", value="20")
        for column in ("value_low", "value_best", "value_high")
    ],
    RuleCase("quote-with-another-number-in-digits", "claims", "C009", {"quote": "16 dead, 17 rescued"}, "value_best", STANDS_IN_QUOTE, value="15"),
    # C003's quote says "fifteen"; a different number word no longer supports the value 15
    RuleCase("quote-with-another-number-in-words", "claims", "C003", {"quote": "Russia’s emergency ministry said that sixteen people had died"}, "value_best", STANDS_IN_QUOTE, value="15"),
    # "14,000" is fourteen thousand, not 14 and 000: the value 14 is not in the quote
    RuleCase("quote-thousands-separator-joins-one-number", "claims", "C016", {"value_best": "14"}, "value_best", STANDS_IN_QUOTE, value="14"),
    RuleCase("quote-thousands-separator-needs-three-digits", "claims", "C016", {"quote": "the approximately 14,0000 persons who perished"}, "value_best", STANDS_IN_QUOTE, value="14000"),
]  # fmt: skip

SAME_EVENT_AND_METRIC = "must name a claim of the same event and metric"

REVISION_CASES = [
    RuleCase("revision-of-itself", "claims", "C011", {"revises": "C011"}, "revises", "a claim cannot revise itself", value="C011"),
    RuleCase("revision-of-another-event", "claims", "C011", {"revises": "C017"}, "revises", SAME_EVENT_AND_METRIC, value="C017"),
    RuleCase("revision-of-another-metric", "claims", "C012", {"revises": "C004"}, "revises", SAME_EVENT_AND_METRIC, value="C004"),
    RuleCase("revision-of-a-later-claim", "claims", "C003", {"revises": "C012"}, "revises", "must name a claim reported on or before this one", value="C012"),
]  # fmt: skip

COORDINATES_IN_PAIRS = "latitude and longitude go together: give both or neither"

PLACE_AND_EVENT_CASES = [
    RuleCase("coordinates-in-pairs-places", "places", "lyptsi", {"longitude": ""}, "longitude", COORDINATES_IN_PAIRS, value=None),
    RuleCase("coordinates-in-pairs-events", "events", "belgorod_strike_2024", {"longitude": ""}, "longitude", COORDINATES_IN_PAIRS, value=None),
    RuleCase("coordinates-kept-on-a-place-made-unverified", "places", "morokhovets", {"coord_status": "unverified"}, "latitude", "coordinates are kept only where verified: empty them or set coord_status to verified", value="50.2731"),
    RuleCase("coordinates-added-to-an-unverified-place", "places", "krasne", {"latitude": "50.05", "longitude": "36.25"}, "latitude", "coordinates are kept only where verified"),
    RuleCase("coordinates-verified-without-a-source", "places", "vovchansk", {"coord_source_id": ""}, "coord_source_id", "verified coordinates need the source they come from"),
    RuleCase("event-ends-before-it-starts", "events", "donbas_war_2014_2021", {"date_end": "2013-12-31"}, "date_end", "must not be before date_start", value="2013-12-31"),
]  # fmt: skip

OHCHR_CASES = [
    # all_injured (row 9) becomes a second civilians/injured: the first of the two (row 8) is not blamed
    RuleCase("ohchr-category-and-outcome-twice", "ohchr_totals", "all_injured", {"category": "civilians"}, "outcome", "each category and outcome appears once", value="injured", alone=True),
    # 2014, the first year that includes MH17, is not blamed
    RuleCase("ohchr-mh17-in-a-second-year", "ohchr_civilian_deaths_by_year", "2015", {"includes_mh17": "true"}, "includes_mh17", "only one year can include the MH17 victims", value="true", alone=True),
]  # fmt: skip

# how far a figure was checked must be earned by the row itself
WAR_PARTY = "is 'claimed' whoever relays it: never verified or secondary"
VERBATIM = "a verified figure needs a verbatim quote"
# a verbatim quote, so only the claimant's side can be blamed
AS_VERBATIM = {"quote_kind": "verbatim"}
# as_recorded, with a quote holding every table's number, so only the quote's kind can be blamed
AS_RECORDED = {"status": "verified", "quote_kind": "as_recorded", "quote": "37,000–39,000 955"}

STATUS_CASES = [
    RuleCase("status-war-party-secondary-claims", "claims", "C011", {"status": "secondary", **AS_VERBATIM}, "status", WAR_PARTY, value="secondary"),
    RuleCase("status-war-party-verified-claims", "claims", "C011", {"status": "verified", **AS_VERBATIM}, "status", WAR_PARTY, value="verified"),
    RuleCase("status-war-party-secondary-weapon_mentions", "weapon_mentions", "W005", {"status": "secondary", **AS_VERBATIM}, "status", WAR_PARTY, value="secondary"),
    RuleCase("status-war-party-verified-weapon_mentions", "weapon_mentions", "W005", {"status": "verified", **AS_VERBATIM}, "status", WAR_PARTY, value="verified"),
    # the ministry's figure relayed by a neutral outlet: still the ministry's, still 'claimed'
    RuleCase("status-war-party-relayed-by-a-neutral-outlet", "claims", "C012", {"source_id": "kyivindependent_2024", "status": "secondary"}, "status", WAR_PARTY),
    RuleCase("status-verified-as_recorded-ohchr_totals", "ohchr_totals", "all_injured", AS_RECORDED, "quote_kind", VERBATIM),
    RuleCase("status-verified-as_recorded-claims", "claims", "C016", AS_RECORDED, "quote_kind", VERBATIM),
    RuleCase("status-verified-as_recorded-ohchr_civilian_deaths_by_year", "ohchr_civilian_deaths_by_year", "2015", AS_RECORDED, "quote_kind", VERBATIM),
    RuleCase("status-verified-without-a-quote-column", "ohchr_mine_share", "2018", {"status": "verified"}, "status", "a verified figure needs a verbatim quote, and this table has no quote column"),
    # OHCHR's figure "secondary" on OHCHR's own report: nothing carried it
    RuleCase("status-secondary-on-the-producers-own-document", "claims", "C016", {"status": "secondary", "source_id": "ohchr_2022"}, "source_id", "a secondary figure needs a carrying source"),
    RuleCase("status-secondary-in-a-table-of-one-bodys-figures", "ohchr_civilian_deaths_by_year", "2020", {"status": "secondary"}, "source_id", "not the producing body's own document"),
    RuleCase("status-claimed-without-a-source", "ohchr_totals", "all_injured", {"source_id": "", "status": "claimed"}, "source_id", "a figure with no source document can only be 'unverified'"),
    RuleCase("status-derived-without-inputs", "claims", "C017", {"derived_from": ""}, "derived_from", "a derived figure must name its inputs"),
    RuleCase("status-inputs-named-by-a-figure-not-derived", "claims", "C016", {"derived_from": "C001 + C002"}, "derived_from", "only a figure with status 'derived' names the figures it is derived from"),
    RuleCase("status-derived-without-a-derived_from-column", "ohchr_totals", "mh17_killed", {"status": "derived"}, "status", "this table has no derived_from column"),
]  # fmt: skip

BARE_SITE_ROOT = "must be the document's full address, not the bare root of its site"

SOURCE_CASES = [
    RuleCase("source-url-bare-root-with-slash", "sources", "dagens_2024", {"url": "https://www.dagens.com/"}, "url", BARE_SITE_ROOT, value="https://www.dagens.com/"),
    RuleCase("source-url-bare-root-without-slash", "sources", "dagens_2024", {"url": "https://ukraine.un.org"}, "url", BARE_SITE_ROOT, value="https://ukraine.un.org"),
    RuleCase("source-url-bare-root-over-http", "sources", "dagens_2024", {"url": "http://sputnikglobe.com/"}, "url", BARE_SITE_ROOT, value="http://sputnikglobe.com/"),
    RuleCase("source-without-an-address-or-a-reason", "sources", "seed_report", {"no_url_reason": ""}, "no_url_reason", "a source without an address must say why"),
    RuleCase("source-with-an-address-and-a-reason", "sources", "dagens_2024", {"no_url_reason": "not recorded"}, "no_url_reason", "must be empty when the source has an address"),
]  # fmt: skip

RULE_CASES = [
    *REFERENCE_CASES,
    *RANGE_CASES,
    *QUALIFIER_CASES,
    *QUOTE_CASES,
    *REVISION_CASES,
    *PLACE_AND_EVENT_CASES,
    *OHCHR_CASES,
    *STATUS_CASES,
    *SOURCE_CASES,
]


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda case: case.id)
def test_rule_names_file_row_column_and_rule(data, case):
    err, row = broken(data, case.table, case.key, case.edits)
    assert_problem(err, file=f"{case.table}.csv", row=row, column=case.column, rule=case.rule, value=case.value)
    if case.alone:
        assert len(err.problems) == 1, str(err)


def test_every_qualifier_has_a_failing_example():
    # each case asserts its qualifier's own rule, so the rule names the qualifier it is an example of
    named = {re.match(r"qualifier '(\w+)'", case.rule).group(1) for case in QUALIFIER_CASES}
    assert set(QUALIFIERS) == named


# ---- exactly these problems: what a bad cell hides, and every problem of a file at once ------------


@dataclass(frozen=True)
class ProblemListCase:
    """Write ``edits`` (row key -> {column: value}) into ``table``: loading it must then report exactly
    ``problems``, as (row, column), in this order."""

    id: str
    table: str
    edits: dict[str, dict[str, str]]
    problems: list[tuple[int, str]]


PROBLEM_LIST_CASES = [
    # C011 revises C001, which has a bad status but is still listed in claims.csv: not a dangling reference
    ProblemListCase("bad-cell-keeps-its-row-a-reference-target", "claims", {"C001": {"status": "bogus"}, "C011": {"revises": "C001"}}, [(2, "status")]),
    # W005 is one of the parts of C008: their sum is not checked while a part is in doubt
    ProblemListCase("bad-cell-hides-the-breakdown-sum", "weapon_mentions", {"W005": {"status": "bogus"}}, [(6, "status")]),
    # 954 breaks the yearly sum, but the sum is not checked while a year is in doubt
    ProblemListCase("bad-cell-hides-the-yearly-sum", "ohchr_civilian_deaths_by_year", {"2015": {"killed": "954", "status": "bogus"}}, [(3, "status")]),
    ProblemListCase("every-bad-cell-of-a-file-at-once", "claims", {"C004": {"metric": "dead"}, "C014": {"status": "bogus"}}, [(5, "metric"), (15, "status")]),
    # a cell rule and a rule across rows
    ProblemListCase("cell-and-row-problems-together", "claims", {"C004": {"metric": "dead"}, "C011": {"revises": "C011"}}, [(5, "metric"), (12, "revises")]),
    ProblemListCase("unique-year-both-rows-named", "ohchr_mine_share", {"2017": {"year": "2016"}}, [(2, "year"), (3, "year")]),
]  # fmt: skip


@pytest.mark.parametrize("case", PROBLEM_LIST_CASES, ids=lambda case: case.id)
def test_exactly_these_problems_are_reported(data, case):
    for key, values in case.edits.items():
        set_cells(data, case.table, key, values)
    err = load_error(data, case.table)
    assert [(p.row, p.column) for p in err.problems] == case.problems, str(err)
    count = len(case.problems)
    first_line = str(err).splitlines()[0]
    assert first_line.endswith(f"{case.table}.csv: invalid data ({count} problem{'s' if count != 1 else ''})")


# ---- edits that break no rule: the table still loads, holding the value written --------------------


@dataclass(frozen=True)
class LoadsCase:
    """Write ``edits`` into the row ``key`` of ``table``: it must still load, the row holding ``expected``
    ({column: value}; pd.NA for an empty cell)."""

    id: str
    table: str
    key: str
    edits: dict[str, str]
    expected: dict[str, object]


LOADS_CASES = [
    LoadsCase("quote-number-in-capital-words", "claims", "C005", {"quote": "at least ONE child was listed as missing"}, {"value_low": 1}),
    LoadsCase("quote-thousands-separated-by-a-space", "claims", "C016", {"quote": "about 14 000 persons"}, {"value_best": 14000}),
    LoadsCase("quote-thousands-separated-by-a-no-break-space", "claims", "C016", {"quote": "about 14\u00a0000 persons"}, {"value_best": 14000}),
    LoadsCase("quote-thousands-not-separated", "claims", "C016", {"quote": "about 14000 persons"}, {"value_best": 14000}),
    LoadsCase("qualifier-not_reported-with-empty-values", "claims", "C001", {"value_low": "", "value_best": "", "qualifier": "not_reported"}, {"qualifier": "not_reported", "value_best": pd.NA}),
    LoadsCase("status-secondary-from-a-neutral-claimant", "claims", "C016", {"status": "secondary"}, {"status": "secondary"}),
]  # fmt: skip


@pytest.mark.parametrize("case", LOADS_CASES, ids=lambda case: case.id)
def test_harmless_edit_still_loads(data, case):
    set_cells(data, case.table, case.key, case.edits)
    frame = load_table(case.table, data)
    rows = frame.set_index(frame.columns[0])  # rows are named by their table's first column
    for column, expected in case.expected.items():
        if expected is pd.NA:
            assert rows.loc[case.key, column] is pd.NA
        else:
            assert rows.loc[case.key, column] == expected


def test_a_secondary_figure_carried_by_an_outlet_loads(data):
    # the broken half is the case status-secondary-in-a-table-of-one-bodys-figures; mended, every year loads
    set_cells(data, "ohchr_civilian_deaths_by_year", "2020", {"status": "secondary", "source_id": "dagens_2024"})
    assert len(load_table("ohchr_civilian_deaths_by_year", data)) == 8


def test_case_ids_are_unique():
    # pytest would quietly number a repeated id, and `-k` would then pick both cases
    for cases in (RULE_CASES, PROBLEM_LIST_CASES, LOADS_CASES):
        ids = [case.id for case in cases]
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


# ---- the number stands in the quote -----------------------------------------------------------------


@pytest.mark.parametrize(
    "quote, value, stands",
    [
        ("at least 15 fatalities and 20 injuries", 20, True),
        ("fifteen people", 15, True),
        ("approximately 14,000", 14000, True),
        ("51,000–54,000", 54000, True),
        ("about 14\u00a0000", 14000, True),
        ("1,000,000 people", 1000000, True),
        ("a dozen missiles", 12, True),
        ("At least ten stories", 10, True),
        ("in 2014", 2014, True),
        ("RM-70 and 2.5", 70, True),
        ("115 and 15.", 15, True),
        ("15, 20 and 30", 15, True),
        ("no number", None, True),  # a missing value needs no quote
        ("2.5 million", 2, False),
        ("2.5 million", 5, False),
        ("115 people", 15, False),
        ("14,0000", 14000, False),
        ("approximately 14,000", 14, False),
        ("fifteen people", 16, False),
        ("one hundred", 101, False),
        (None, 3, False),
    ],
)
def test_number_stands_in_its_quote(quote, value, stands):
    result = number_stands_in(pd.Series([quote], dtype="str"), pd.Series([value], dtype="Int64"))
    assert result.tolist() == [stands]


def test_a_derived_figure_need_not_stand_in_its_quote(data):
    # C008's 12 is the sum of the outlet's six, four and two: computed, not quoted.
    claims = load_table("claims", data).set_index("claim_id")
    assert claims.loc["C008", "status"] == "derived" and "12" not in claims.loc["C008", "quote"]
    err, row = broken(data, "claims", "C008", {"status": "claimed", "derived_from": ""})
    assert_problem(err, file="claims.csv", row=row, column="value_best", rule="must stand in the quote")


def stands_in_by_search(quote: str | None, value: int | None) -> bool:
    """The rule as first written, one row at a time, with Python's ``re``: the quote reduced to its runs of
    digits and commas (decimals dropped, no-break and narrow spaces made commas, a comma before a space
    dropped), searched for ' 14200 ', ' 14,200 ' and ' 14 200 '; then reduced to its words, searched for
    the number's words. ``number_stands_in`` reads the whole column in Arrow's kernels instead."""
    if value is None:
        return True
    text = (quote or "").lower() + " "
    digits = re.sub(r"[0-9]+\.[0-9]+", " ", text).replace("\u00a0", ",").replace("\u202f", ",")
    digits = " " + re.sub(r"[^0-9,]+", " ", digits.replace(", ", " ")) + " "
    forms = [str(value)] + ([f"{value:,}", f"{value:,}".replace(",", " ")] if value >= 1000 else [])
    if any(f" {form} " in digits for form in forms):
        return True
    words = " " + re.sub(r"[^a-z0-9]+", " ", text) + " "
    return any(f" {word} " in words for word, number in NUMBER_WORDS.items() if number == value)


TRICKY_PARTS = [
    "at least", "At Least", "about", "up to", "killed", "and", "-", "–", ".", ",", ", ", " ", "(", ")", "%", "/",
    "\u00a0", "\u202f", "1.5 million", "2.5", "RM-70", "Fifteen", "DOZEN", "twenty-one", "one hundred", "a",
    "ten-storey", "2014", "15th", "115", "14,0000", "1,00", "0", "00", "007", "2,5", "1 000 000", "14\u00a0200",
]  # fmt: skip


def _tricky_quotes(count: int, seed: int) -> tuple[list[str | None], list[int | None]]:
    """Quotes mixing numbers in digits (with commas, spaces, no-break spaces, decimals, ordinals, leading
    zeros, a trailing comma), number words and punctuation; each with a value that is in it, next to one
    that is, inside one that is (15 in 115), a number word, or missing."""
    rng = random.Random(seed)
    quotes: list[str | None] = []
    values: list[int | None] = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 6)):
            roll = rng.random()
            if roll < 0.45:
                n = rng.choice(
                    [rng.randint(0, 30), rng.randint(0, 2000), rng.randint(0, 10**7), rng.randint(10**9, 10**15)]
                )
                grouped = f"{n:,}"
                parts.append(
                    rng.choice([str(n), grouped, grouped.replace(",", " "), grouped.replace(",", "\u00a0"),
                                grouped.replace(",", "\u202f"), f"{n}.5", f"0{n}", f"{n}th", f"{n},", f"{n}, "])
                )  # fmt: skip
            elif roll < 0.65:
                word = rng.choice(list(NUMBER_WORDS))
                parts.append(word.upper() if rng.random() < 0.2 else word)
            else:
                parts.append(rng.choice(TRICKY_PARTS))
        quote = rng.choice(["", " ", ",", "-"]).join(parts) if parts else rng.choice(["", None])
        written = [int(x) for x in re.findall(r"[0-9]+", (quote or "").replace(",", "").replace(" ", ""))]
        written += [int(x) for x in re.findall(r"[0-9]+", quote or "")]
        words = [n for w, n in NUMBER_WORDS.items() if w in (quote or "").lower()]
        value = rng.choice(
            written * 4 + words * 2 + [rng.choice(list(NUMBER_WORDS.values())), rng.randint(0, 10**6), None]
        )
        if value is not None and rng.random() < 0.2:
            value += rng.choice([-1, 1, 1000])
        quotes.append(quote)
        values.append(value if value is not None and 0 <= value < 10**15 else None)
        if rng.random() < 0.1:  # the same quote again, as an imported dataset repeats its wordings
            quotes.append(quote)
            values.append(rng.choice([v for v in (values[-1], 12, 1000) if v is not None]))
    return quotes, values


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_number_stands_in_as_by_search_on_tricky_quotes(seed):
    quotes, values = _tricky_quotes(4000, seed)
    found = number_stands_in(pd.Series(quotes, dtype="str"), pd.Series(values, dtype="Int64")).tolist()
    expected = [stands_in_by_search(q, v) for q, v in zip(quotes, values, strict=True)]
    differ = [(q, v, f) for q, v, f, e in zip(quotes, values, found, expected, strict=True) if f != e]
    assert not differ, differ[:10]
    assert 0.2 < sum(expected) / len(expected) < 0.9  # both verdicts well represented


@pytest.mark.parametrize("slice_size", [7, 1000])
def test_number_stands_in_read_on_a_thread_in_slices_from_chunks(monkeypatch, slice_size):
    """The loader's way: the quotes as Arrow read them (several chunks, some cells missing), their numbers
    read on a thread, the distinct quotes a slice at a time; the verdicts are the rule's, row for row."""
    import pyarrow as pa

    from casualty_workbook.data import rules

    monkeypatch.setattr(rules, "_SLICE", slice_size)
    quotes, values = _tricky_quotes(3000, 4)
    chunks = [pa.array(quotes[i : i + 700], type=pa.large_string()) for i in range(0, len(quotes), 700)]
    column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks)))
    assert column.isna().any()
    text = QuoteText(column, in_background=True)
    found = number_stands_in(text, pd.Series(values, dtype="Int64")).tolist()
    assert found == [stands_in_by_search(q, v) for q, v in zip(quotes, values, strict=True)]


def test_an_error_reading_the_quotes_on_their_thread_is_raised_by_the_load(tmp_path, monkeypatch):
    from casualty_workbook.data import loading, rules

    data = copy_data(tmp_path)
    claims = pd.read_csv(data / "claims.csv", dtype=str, keep_default_na=False)
    many = claims.iloc[[i % len(claims) for i in range(12_000)]].copy()  # long enough to be read on a thread
    many["claim_id"] = [f"K{i}" for i in range(len(many))]
    many["revises"] = ""
    many.to_csv(data / "claims.csv", index=False)
    loading.TABLE_CACHE.clear()

    def broken(texts):
        raise RuntimeError("the quotes could not be read")

    monkeypatch.setattr(rules, "_digit_numbers", broken)
    with pytest.raises(RuntimeError, match="the quotes could not be read"):
        load_table("claims", data)


def test_number_stands_in_any_text_dtype_and_index():
    quotes = ["fifteen people", None, "14 000 and 12", "about 2,500"]
    values = pd.Series([15, 3, 14000, 2500], dtype="Int64", index=[7, 3, 11, 0])
    for dtype in ("str", "string", object):
        result = number_stands_in(pd.Series(quotes, dtype=dtype, index=values.index), values)
        assert result.index.equals(values.index) and result.tolist() == [True, False, True, True]
    text = QuoteText(pd.Series(quotes, dtype="str"))  # one reading of the quotes for several columns
    assert number_stands_in(text, pd.Series([None, None, 12, 2500], dtype="Int64")).tolist() == [True, True, True, True]


# ---- rules that blame more than one row, or no row -------------------------------------------------


def test_revisions_cannot_form_a_cycle(data):
    # C009 revises C003 (both 13 May); C003 revising C009 in turn closes a loop.
    err, row = broken(data, "claims", "C003", {"revises": "C009"})
    assert_problem(
        err, file="claims.csv", row=row, column="revises", value="C009", rule="revisions must not form a cycle"
    )
    assert_problem(
        err,
        file="claims.csv",
        row=row_number(data, "claims", "C009"),
        column="revises",
        value="C003",
        rule="revisions must not form a cycle",
    )
    assert len(err.problems) == 2


def test_breakdown_must_add_up(data):
    set_cells(data, "weapon_mentions", "W007", {"count_low": "4", "count_best": "4", "count_high": "4"})
    err = load_error(data, "weapon_mentions")
    rule = "the exact counts of the mentions that break a claim down must add up to its value_best"
    assert [(p.row, p.column, p.rule) for p in err.problems] == [(r, "count_best", rule) for r in (6, 7, 8)], str(err)


def test_yearly_deaths_must_add_up_to_the_total(data):
    set_cell(data, "ohchr_civilian_deaths_by_year", "2015", "killed", "954")  # the later dataset's figure
    err = load_error(data, "ohchr_civilian_deaths_by_year")
    assert_problem(
        err,
        file="ohchr_civilian_deaths_by_year.csv",
        row=None,
        column="killed",
        rule="the years must add up to OHCHR's civilians killed in ohchr_totals.csv (3404)",
        value="3403",
    )
    assert "  column killed, value '3403': the years must add up" in str(err)


def test_yearly_deaths_follow_a_changed_total(data):
    set_cells(
        data,
        "ohchr_totals",
        "civilians_killed",
        {"value_low": "3405", "value_best": "3405", "quote": "at least 3,405 civilians"},
    )
    load_table("ohchr_totals", data)  # the total itself is well formed ...
    err = load_error(data, "ohchr_civilian_deaths_by_year")  # ... but the years no longer add up to it
    assert_problem(
        err,
        file="ohchr_civilian_deaths_by_year.csv",
        row=None,
        column="killed",
        rule="must add up to OHCHR's civilians killed in ohchr_totals.csv (3405)",
        value="3404",
    )


# ---- the header, and how a bad word is typed -------------------------------------------------------


def test_header_problems_name_row_1(data):
    drop_column(data, "claims", "value_best")
    rename_column(data, "claims", "note", "notes")
    err = load_error(data, "claims")
    assert [(p.row, p.column, p.rule) for p in err.problems] == [
        (1, "value_best", "required column is missing"),
        (1, "note", "required column is missing"),
        (1, "notes", "unexpected column (expected only: " + ", ".join(TABLES["claims"].columns) + ")"),
    ]


def test_a_word_outside_the_vocabulary_is_typed_as_missing_without_warnings(data):
    # pandas deprecates (and will refuse) categoricals holding values outside their categories
    set_cell(data, "claims", "C004", "metric", "dead")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        err = load_error(data, "claims")
    assert [(p.row, p.column) for p in err.problems] == [(5, "metric")]


def test_status_and_qualifier_rules_read_categories_as_their_text():
    """The status, quote_kind and qualifier rules compare a categorical column's codes, not its text:
    the problems are those of the same column as text, missing cells included."""
    from casualty_workbook.data import rules
    from casualty_workbook.data.loading import load_all

    tables = load_all()
    claims = tables["claims"].copy()
    for column, words in {
        "status": ["verified", "secondary", "claimed", "derived", "unattributed", "unverified", None],
        "quote_kind": ["verbatim", "as_recorded", None],
        "qualifier": ["exact", "at_least", "range", "up_to", "about", "not_reported", None],
    }.items():
        values = [words[(i * 3 + i // len(words) + len(column)) % len(words)] for i in range(len(claims))]
        claims[column] = pd.Categorical(values, dtype=claims[column].dtype)
    claims.loc[claims.index[::5], "claimant"] = "nobody"
    claims.loc[claims.index[::9], "source_id"] = pd.NA
    as_text = claims.astype({"status": "string", "quote_kind": "string", "qualifier": "string"})
    with_claims = {**tables, "claims": claims}
    coded = rules.check_statuses("claims", claims, with_claims) + rules.check_values("claims", claims)
    text = rules.check_statuses("claims", as_text, with_claims) + rules.check_values("claims", as_text)
    assert coded == text
    assert {p.column for p in coded} >= {"status", "quote_kind", "source_id", "value_best"}
