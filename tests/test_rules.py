"""Every data rule has a failing example: copy data/, break one cell, and the error names the
file, the row (spreadsheet numbering: the header is row 1), the column and the rule.

Cell rules are those of ``schemas._cell_checks`` (and pandera's empty/unique checks); the rules
across rows and tables are those of ``rules.py``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pandas as pd
import pytest
from datatools import copy_data, row_number, set_cell, set_cells

from casualty_workbook.exceptions import DataValidationError, Problem
from casualty_workbook.loading import load_table
from casualty_workbook.rules import NUMBER_WORDS, QuoteText, number_stands_in
from casualty_workbook.schemas import TABLES


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


def test_unique_year(data):
    set_cell(data, "ohchr_mine_share", "2017", "year", "2016")
    err = load_error(data, "ohchr_mine_share")
    assert [(p.row, p.column) for p in err.problems] == [(2, "year"), (3, "year")]


# ---- references ---------------------------------------------------------------------------------

REFERENCE_CASES = [
    ("claims", "C004", "event_id", "belgorod_2024", "must name a event_id listed in events.csv"),
    ("claims", "C004", "claimant", "ru_tv", "must name a claimant_id listed in claimants.csv"),
    ("claims", "C004", "source_id", "bbc_2024", "must name a source_id listed in sources.csv"),
    ("claims", "C011", "revises", "C099", "must name a claim_id listed in claims.csv"),
    ("events", "belgorod_strike_2024", "place_id", "atlantis", "must name a place_id listed in places.csv"),
    ("places", "lyptsi", "coord_source_id", "wikipedia", "must name a source_id listed in sources.csv"),
    ("places", "krasne", "mentioned_in", "ukraine_military", "must name a source_id listed in sources.csv"),
    ("weapon_mentions", "W001", "system_id", "adler", "must name a system_id listed in weapon_systems.csv"),
    ("weapon_mentions", "W001", "claimant", "ru_bloggers", "must name a claimant_id listed in claimants.csv"),
    ("weapon_mentions", "W006", "part_of_claim", "C099", "must name a claim_id listed in claims.csv"),
    ("ohchr_totals", "all_killed", "source_id", "ohchr_2023", "must name a source_id listed in sources.csv"),
    ("ohchr_civilian_deaths_by_year", "2016", "source_id", "ohchr", "must name a source_id listed in sources.csv"),
    ("ohchr_mine_share", "2016", "source_id", "ohchr", "must name a source_id listed in sources.csv"),
]


@pytest.mark.parametrize(
    ("table", "key", "column", "value", "rule"), REFERENCE_CASES, ids=[f"{c[0]}-{c[2]}" for c in REFERENCE_CASES]
)
def test_reference_must_resolve(data, table, key, column, value, rule):
    err, row = broken(data, table, key, {column: value})
    assert_problem(err, file=f"{table}.csv", row=row, column=column, rule=rule, value=value)


def test_reference_to_a_row_with_a_bad_cell_is_not_reported_as_dangling(data):
    # C001 has a bad status; C003 revises C001, which is still listed in claims.csv.
    set_cell(data, "claims", "C001", "status", "bogus")
    err = load_error(data, "claims")
    assert [(p.row, p.column) for p in err.problems] == [(2, "status")], str(err)


# ---- values: low <= best <= high, and each qualifier's requirement ---------------------------------


def test_low_above_best(data):
    err, row = broken(data, "ohchr_totals", "forces_killed", {"value_low": "6500"})
    assert_problem(
        err, file="ohchr_totals.csv", row=row, column="value_low", rule="must not be above value_best", value="6500"
    )


def test_best_above_high(data):
    err, row = broken(data, "claims", "C013", {"value_high": "17"})  # "17 dead, 20 injured": 17 stands in the quote
    assert_problem(
        err, file="claims.csv", row=row, column="value_high", rule="must not be below value_best", value="17"
    )
    assert_problem(err, file="claims.csv", row=row, column="value_high", rule="must not be below value_low")


def test_low_above_high_in_weapon_counts(data):
    err, row = broken(data, "weapon_mentions", "W007", {"count_low": "4", "count_best": ""})
    assert_problem(err, file="weapon_mentions.csv", row=row, column="count_high", rule="must not be below count_low")


QUALIFIER_CASES = [
    # (qualifier, table, key, edits, column named, rule)
    (
        "exact",
        "claims",
        "C002",
        {"value_high": ""},
        "value_best",
        "qualifier 'exact' needs value_low = value_best = value_high, all given",
    ),
    ("exact", "claims", "C008", {"value_low": "6"}, "value_best", "qualifier 'exact' needs value_low = value_best"),
    (
        "at_least",
        "claims",
        "C005",
        {"value_high": "1"},
        "value_low",
        "qualifier 'at_least' needs value_low (and value_best equal to it, if given) and an empty value_high",
    ),
    ("at_least", "claims", "C007", {"value_low": ""}, "value_low", "qualifier 'at_least' needs value_low"),
    ("at_least", "claims", "C014", {"value_best": "4"}, "value_low", "qualifier 'at_least' needs value_low"),
    (
        "up_to",
        "claims",
        "C001",
        {"qualifier": "up_to"},
        "value_high",
        "qualifier 'up_to' needs value_high and an empty value_low",
    ),
    (
        "up_to",
        "claims",
        "C002",
        {"qualifier": "up_to"},
        "value_high",
        "qualifier 'up_to' needs value_high and an empty value_low",
    ),
    ("about", "claims", "C016", {"value_best": ""}, "value_best", "qualifier 'about' needs value_best"),
    (
        "estimate",
        "ohchr_totals",
        "forces_killed",
        {"value_best": ""},
        "value_best",
        "qualifier 'estimate' needs value_best",
    ),
    (
        "range",
        "ohchr_totals",
        "all_killed",
        {"value_high": "14200"},
        "value_low",
        "qualifier 'range' needs value_low below value_high, both given",
    ),
    (
        "range",
        "ohchr_totals",
        "all_killed",
        {"value_high": ""},
        "value_low",
        "qualifier 'range' needs value_low below value_high",
    ),
    (
        "not_reported",
        "weapon_mentions",
        "W002",
        {"count_best": "0"},
        "count_best",
        "qualifier 'not_reported' means no value: leave the value columns empty (never 0)",
    ),
    (
        "not_reported",
        "claims",
        "C001",
        {"qualifier": "not_reported"},
        "value_best",
        "qualifier 'not_reported' means no value",
    ),
]


@pytest.mark.parametrize(
    ("qualifier", "table", "key", "edits", "column", "rule"),
    QUALIFIER_CASES,
    ids=[f"{c[0]}-{c[2]}-{'-'.join(c[3])}" for c in QUALIFIER_CASES],
)
def test_qualifier_requirement(data, qualifier, table, key, edits, column, rule):
    err, row = broken(data, table, key, edits)
    assert_problem(err, file=f"{table}.csv", row=row, column=column, rule=rule)


def test_every_qualifier_has_a_failing_example():
    from casualty_workbook.schemas import QUALIFIERS

    assert set(QUALIFIERS) == {c[0] for c in QUALIFIER_CASES}


def test_not_reported_with_empty_values_is_fine(data):
    set_cells(data, "claims", "C001", {"value_low": "", "value_best": "", "qualifier": "not_reported"})
    claims = load_table("claims", data)
    assert claims.loc[0, "qualifier"] == "not_reported" and claims.loc[0, "value_best"] is pd.NA


# ---- the number stands in the quote -----------------------------------------------------------------


def test_number_absent_from_quote(data):
    err, row = broken(data, "claims", "C004", {"quote": "individuals were reported hurt"})
    rule = "must stand in the quote (in digits or words)"
    for column in ("value_low", "value_best", "value_high"):
        assert_problem(err, file="claims.csv", row=row, column=column, rule=rule, value="20")


def test_quote_number_in_digits_must_match(data):
    err, row = broken(data, "claims", "C009", {"quote": "16 dead, 17 rescued"})
    assert_problem(err, file="claims.csv", row=row, column="value_best", rule="must stand in the quote", value="15")


def test_quote_number_in_words_must_match(data):
    # C003's quote says "fifteen"; a different number word no longer supports the value 15.
    err, row = broken(
        data, "claims", "C003", {"quote": "Russia’s emergency ministry said that sixteen people had died"}
    )
    assert_problem(err, file="claims.csv", row=row, column="value_best", rule="must stand in the quote", value="15")


def test_quote_number_in_words_is_accepted(data):
    set_cell(data, "claims", "C005", "quote", "at least ONE child was listed as missing")
    assert load_table("claims", data).loc[4, "value_low"] == 1


def test_quote_number_with_thousands_separator_is_one_number(data):
    # "14,000" is fourteen thousand, not 14 and 000: the value 14 is not in the quote.
    err, row = broken(data, "claims", "C016", {"value_best": "14"})
    assert_problem(err, file="claims.csv", row=row, column="value_best", rule="must stand in the quote", value="14")


def test_quote_thousands_separator_needs_three_digits(data):
    err, row = broken(data, "claims", "C016", {"quote": "the approximately 14,0000 persons who perished"})
    assert_problem(err, file="claims.csv", row=row, column="value_best", rule="must stand in the quote", value="14000")


@pytest.mark.parametrize("quote", ["about 14 000 persons", "about 14\u00a0000 persons", "about 14000 persons"])
def test_quote_thousands_separators_accepted(data, quote):
    set_cell(data, "claims", "C016", "quote", quote)
    assert load_table("claims", data).loc[15, "value_best"] == 14000


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


def test_a_missing_value_needs_no_quote():
    assert number_stands_in(pd.Series(["no number"]), pd.Series([None], dtype="Int64")).tolist() == [True]


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


def test_number_stands_in_any_text_dtype_and_index():
    quotes = ["fifteen people", None, "14 000 and 12", "about 2,500"]
    values = pd.Series([15, 3, 14000, 2500], dtype="Int64", index=[7, 3, 11, 0])
    for dtype in ("str", "string", object):
        result = number_stands_in(pd.Series(quotes, dtype=dtype, index=values.index), values)
        assert result.index.equals(values.index) and result.tolist() == [True, False, True, True]
    text = QuoteText(pd.Series(quotes, dtype="str"))  # one reading of the quotes for several columns
    assert number_stands_in(text, pd.Series([None, None, 12, 2500], dtype="Int64")).tolist() == [True, True, True, True]


# ---- revisions ----------------------------------------------------------------------------------


def test_revision_cannot_revise_itself(data):
    err, row = broken(data, "claims", "C011", {"revises": "C011"})
    assert_problem(err, file="claims.csv", row=row, column="revises", rule="a claim cannot revise itself", value="C011")


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


def test_revision_of_another_event(data):
    err, row = broken(data, "claims", "C011", {"revises": "C017"})
    assert_problem(
        err,
        file="claims.csv",
        row=row,
        column="revises",
        rule="must name a claim of the same event and metric",
        value="C017",
    )


def test_revision_of_another_metric(data):
    err, row = broken(data, "claims", "C012", {"revises": "C004"})
    assert_problem(
        err,
        file="claims.csv",
        row=row,
        column="revises",
        rule="must name a claim of the same event and metric",
        value="C004",
    )


def test_revision_of_a_later_claim(data):
    err, row = broken(data, "claims", "C003", {"revises": "C012"})
    assert_problem(
        err,
        file="claims.csv",
        row=row,
        column="revises",
        rule="must name a claim reported on or before this one",
        value="C012",
    )


# ---- breakdowns, coordinates, dates ----------------------------------------------------------------


def test_breakdown_must_add_up(data):
    set_cells(data, "weapon_mentions", "W007", {"count_low": "4", "count_best": "4", "count_high": "4"})
    err = load_error(data, "weapon_mentions")
    rule = "the exact counts of the mentions that break a claim down must add up to its value_best"
    assert [(p.row, p.column, p.rule) for p in err.problems] == [(r, "count_best", rule) for r in (6, 7, 8)], str(err)


def test_breakdown_not_reported_when_a_part_has_a_bad_cell(data):
    set_cell(data, "weapon_mentions", "W005", "status", "bogus")
    err = load_error(data, "weapon_mentions")
    assert [(p.row, p.column) for p in err.problems] == [(6, "status")], str(err)


@pytest.mark.parametrize("table,key", [("places", "lyptsi"), ("events", "belgorod_strike_2024")])
def test_coordinates_go_in_pairs(data, table, key):
    err, row = broken(data, table, key, {"longitude": ""})
    assert_problem(
        err,
        file=f"{table}.csv",
        row=row,
        column="longitude",
        rule="latitude and longitude go together: give both or neither",
        value=None,
    )


def test_coordinates_only_where_verified(data):
    err, row = broken(data, "places", "morokhovets", {"coord_status": "unverified"})
    assert_problem(
        err,
        file="places.csv",
        row=row,
        column="latitude",
        rule="coordinates are kept only where verified: empty them or set coord_status to verified",
        value="50.2731",
    )


def test_coordinates_on_unverified_place(data):
    err, row = broken(data, "places", "krasne", {"latitude": "50.05", "longitude": "36.25"})
    assert_problem(err, file="places.csv", row=row, column="latitude", rule="coordinates are kept only where verified")


def test_verified_coordinates_need_a_source(data):
    err, row = broken(data, "places", "vovchansk", {"coord_source_id": ""})
    assert_problem(
        err,
        file="places.csv",
        row=row,
        column="coord_source_id",
        rule="verified coordinates need the source they come from",
    )


def test_event_cannot_end_before_it_starts(data):
    err, row = broken(data, "events", "donbas_war_2014_2021", {"date_end": "2013-12-31"})
    assert_problem(
        err, file="events.csv", row=row, column="date_end", rule="must not be before date_start", value="2013-12-31"
    )


# ---- OHCHR tables -------------------------------------------------------------------------------


def test_ohchr_category_and_outcome_appear_once(data):
    err, row = broken(data, "ohchr_totals", "all_injured", {"category": "civilians"})
    assert row == 9
    assert_problem(
        err,
        file="ohchr_totals.csv",
        row=9,
        column="outcome",
        rule="each category and outcome appears once",
        value="injured",
    )
    assert len(err.problems) == 1  # the first of the two (row 8) is not blamed


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


def test_yearly_sum_skipped_while_a_year_has_a_bad_cell(data):
    set_cells(data, "ohchr_civilian_deaths_by_year", "2015", {"killed": "954", "status": "bogus"})
    err = load_error(data, "ohchr_civilian_deaths_by_year")
    assert [(p.row, p.column) for p in err.problems] == [(3, "status")], str(err)


def test_only_one_year_includes_mh17(data):
    err, row = broken(data, "ohchr_civilian_deaths_by_year", "2015", {"includes_mh17": "true"})
    assert_problem(
        err,
        file="ohchr_civilian_deaths_by_year.csv",
        row=row,
        column="includes_mh17",
        rule="only one year can include the MH17 victims",
        value="true",
    )
    assert len(err.problems) == 1  # 2014, the first, is not blamed


# ---- every problem of a file at once ----------------------------------------------------------------


def test_all_problems_of_a_file_are_reported_at_once(data):
    set_cell(data, "claims", "C004", "metric", "dead")
    set_cell(data, "claims", "C014", "status", "bogus")
    err = load_error(data, "claims")
    assert [(p.row, p.column) for p in err.problems] == [(5, "metric"), (15, "status")], str(err)
    assert str(err).splitlines()[0].endswith("claims.csv: invalid data (2 problems)")


def test_cell_problems_and_rule_problems_are_reported_together(data):
    set_cell(data, "claims", "C004", "metric", "dead")  # a cell rule
    set_cell(data, "claims", "C011", "revises", "C011")  # a rule across rows
    err = load_error(data, "claims")
    assert [(p.row, p.column) for p in err.problems] == [(5, "metric"), (12, "revises")], str(err)


def test_header_problems_name_row_1(data):
    from datatools import drop_column, rename_column

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
    import warnings

    set_cell(data, "claims", "C004", "metric", "dead")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        err = load_error(data, "claims")
    assert [(p.row, p.column) for p in err.problems] == [(5, "metric")]


# ---- statuses: how far a figure was checked must be earned by the row itself ------------------------

WAR_PARTY = "is 'claimed' whoever relays it: never verified or secondary"


@pytest.mark.parametrize("status", ["secondary", "verified"])
@pytest.mark.parametrize(("table", "key"), [("claims", "C011"), ("weapon_mentions", "W005")])
def test_a_war_partys_figure_is_never_verified_or_secondary(data, table, key, status):
    # a verbatim quote, so only the claimant's side can be blamed
    err, row = broken(data, table, key, {"status": status, "quote_kind": "verbatim"})
    assert_problem(err, file=f"{table}.csv", row=row, column="status", rule=WAR_PARTY, value=status)


def test_a_war_partys_figure_stays_claimed_whoever_relays_it(data):
    # The same claim relayed by a neutral outlet: still the ministry's figure, still 'claimed'.
    err, row = broken(data, "claims", "C012", {"source_id": "kyivindependent_2024", "status": "secondary"})
    assert_problem(err, file="claims.csv", row=row, column="status", rule=WAR_PARTY)


def test_a_neutral_claimants_figure_may_be_secondary(data):
    set_cells(data, "claims", "C016", {"status": "secondary"})
    assert load_table("claims", data).set_index("claim_id").loc["C016", "status"] == "secondary"


@pytest.mark.parametrize(
    ("table", "key"), [("ohchr_totals", "all_injured"), ("claims", "C016"), ("ohchr_civilian_deaths_by_year", "2015")]
)
def test_verified_needs_a_verbatim_quote(data, table, key):
    err, row = broken(
        data, table, key, {"status": "verified", "quote_kind": "as_recorded", "quote": "37,000–39,000 955"}
    )
    assert_problem(
        err, file=f"{table}.csv", row=row, column="quote_kind", rule="a verified figure needs a verbatim quote"
    )


def test_verified_needs_a_quote_column(data):
    err, row = broken(data, "ohchr_mine_share", "2018", {"status": "verified"})
    assert_problem(
        err,
        file="ohchr_mine_share.csv",
        row=row,
        column="status",
        rule="a verified figure needs a verbatim quote, and this table has no quote column",
    )


def test_secondary_needs_a_carrying_source_not_the_producers_own_document(data):
    # OHCHR's figure "secondary" on OHCHR's own report: nothing carried it.
    err, row = broken(data, "claims", "C016", {"status": "secondary", "source_id": "ohchr_2022"})
    assert_problem(
        err, file="claims.csv", row=row, column="source_id", rule="a secondary figure needs a carrying source"
    )


def test_secondary_in_a_table_of_one_bodys_figures_needs_a_carrier(data):
    err, row = broken(data, "ohchr_civilian_deaths_by_year", "2020", {"status": "secondary"})
    assert_problem(
        err,
        file="ohchr_civilian_deaths_by_year.csv",
        row=row,
        column="source_id",
        rule="not the producing body's own document",
    )
    set_cell(data, "ohchr_civilian_deaths_by_year", "2020", "source_id", "dagens_2024")  # an outlet carries it
    assert len(load_table("ohchr_civilian_deaths_by_year", data)) == 8


def test_a_figure_without_a_source_is_unverified(data):
    err, row = broken(data, "ohchr_totals", "all_injured", {"source_id": "", "status": "claimed"})
    assert_problem(
        err,
        file="ohchr_totals.csv",
        row=row,
        column="source_id",
        rule="a figure with no source document can only be 'unverified'",
    )


def test_derived_needs_its_inputs(data):
    err, row = broken(data, "claims", "C017", {"derived_from": ""})
    assert_problem(err, file="claims.csv", row=row, column="derived_from", rule="a derived figure must name its inputs")


def test_only_a_derived_figure_names_inputs(data):
    err, row = broken(data, "claims", "C016", {"derived_from": "C001 + C002"})
    assert_problem(
        err,
        file="claims.csv",
        row=row,
        column="derived_from",
        rule="only a figure with status 'derived' names the figures it is derived from",
    )


def test_derived_needs_a_derived_from_column(data):
    err, row = broken(data, "ohchr_totals", "mh17_killed", {"status": "derived"})
    assert_problem(err, file="ohchr_totals.csv", row=row, column="status", rule="this table has no derived_from column")


def test_a_derived_figure_need_not_stand_in_its_quote(data):
    # C008's 12 is the sum of the outlet's six, four and two: computed, not quoted.
    claims = load_table("claims", data).set_index("claim_id")
    assert claims.loc["C008", "status"] == "derived" and "12" not in claims.loc["C008", "quote"]
    err, row = broken(data, "claims", "C008", {"status": "claimed", "derived_from": ""})
    assert_problem(err, file="claims.csv", row=row, column="value_best", rule="must stand in the quote")


@pytest.mark.parametrize("url", ["https://www.dagens.com/", "https://ukraine.un.org", "http://sputnikglobe.com/"])
def test_a_source_address_is_never_a_bare_site_root(data, url):
    err, row = broken(data, "sources", "dagens_2024", {"url": url})
    assert_problem(
        err,
        file="sources.csv",
        row=row,
        column="url",
        rule="must be the document's full address, not the bare root of its site",
        value=url,
    )


def test_a_source_without_an_address_says_why(data):
    err, row = broken(data, "sources", "seed_report", {"no_url_reason": ""})
    assert_problem(
        err, file="sources.csv", row=row, column="no_url_reason", rule="a source without an address must say why"
    )


def test_a_source_with_an_address_gives_no_reason_for_lacking_one(data):
    err, row = broken(data, "sources", "dagens_2024", {"no_url_reason": "not recorded"})
    assert_problem(
        err, file="sources.csv", row=row, column="no_url_reason", rule="must be empty when the source has an address"
    )


def test_own_document_names_a_claimant(data):
    err, row = broken(data, "sources", "ohchr_2022", {"own_document_of": "un"})
    assert_problem(
        err,
        file="sources.csv",
        row=row,
        column="own_document_of",
        rule="must name a claimant_id listed in claimants.csv",
    )


def test_status_and_qualifier_rules_read_categories_as_their_text():
    """The status, quote_kind and qualifier rules compare a categorical column's codes, not its text:
    the problems are those of the same column as text, missing cells included."""
    from casualty_workbook import rules
    from casualty_workbook.loading import load_all

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
