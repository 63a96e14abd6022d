"""The OHCHR tables' period, area and the words for the people they count apart come from their
metadata (.meta.yml ``coverage`` and ``counted_apart``), never from literals in the code."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from casualty_workbook.analysis import tables as analysis
from casualty_workbook.charts import chart_data as figure_data
from casualty_workbook.charts import claim_charts as charts
from casualty_workbook.data import provenance, rules
from casualty_workbook.data.loading import load_claims, load_table

# Invented words and dates: if any chart text still came from the code, it would not change with them.
COVERAGE = {"period_start": "2015-03-02", "period_end": "2019-06-30", "area": "Testland"}
APART = {"category": "civilians_mh17", "name": "X9", "who": "aboard ferry X9", "date": "2016-05-01"}


def _with_metadata(table: pd.DataFrame, **fields: object) -> pd.DataFrame:
    """A copy of the table whose metadata has the fields given replaced (None: removed)."""
    out = table.copy()
    metadata = dict(table.attrs["metadata"])  # read-only as loaded: a copy to change
    for key, value in fields.items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    out.attrs = {**table.attrs, "metadata": metadata}
    return out


def _texts(ax) -> str:
    texts = [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)]
    return " ".join(" ".join(texts).split())


@pytest.fixture(scope="module")
def totals() -> pd.DataFrame:
    return _with_metadata(load_table("ohchr_totals"), coverage=COVERAGE, counted_apart=APART)


@pytest.fixture(scope="module")
def by_year() -> pd.DataFrame:
    return _with_metadata(load_table("ohchr_civilian_deaths_by_year"), coverage=COVERAGE)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_the_data_files_describe_what_the_charts_say():
    totals = load_table("ohchr_totals").attrs["metadata"]
    assert totals["counted_apart"]["category"] == "civilians_mh17"
    assert totals["coverage"] == load_table("ohchr_civilian_deaths_by_year").attrs["metadata"]["coverage"]


def test_category_chart_takes_its_period_from_the_metadata(totals):
    ax = charts.plot_killed_by_category(analysis.killed_by_category(totals))
    assert ax.get_xlabel() == "People killed, 2 March 2015 – 30 June 2019 (best estimate)"
    undated = _with_metadata(totals, coverage=None)
    ax = charts.plot_killed_by_category(analysis.killed_by_category(undated))
    assert ax.get_xlabel() == "People killed (best estimate)"


def test_figures_taken_apart_say_who_they_are_in_the_metadata_words(totals, by_year):
    killed = analysis.killed_by_category(totals, include_mh17=False).set_index("category")
    assert killed.loc["civilians", "derived_from"] == "≥ 3,404 − 298 aboard ferry X9"
    yearly = analysis.civilian_deaths_by_year(by_year, totals, include_mh17=False)
    ax = charts.plot_civilian_deaths_by_year(yearly)
    assert "(2014: its count less the X9 victims)" in _texts(ax)
    steps = analysis.reconcile_civilians(totals, by_year, load_claims())["step"].tolist()
    assert steps[0] == "OHCHR: civilians killed, 2 March 2015 to 30 June 2019 (at least)"
    assert steps[2:4] == ["of whom aboard ferry X9, 1 May 2016", "civilians killed excluding X9"]


def test_yearly_chart_stacks_those_counted_apart_under_the_metadata_label(totals, by_year):
    yearly = analysis.civilian_deaths_by_year(by_year, totals)
    ax = charts.plot_civilian_deaths_by_year(yearly)
    assert "aboard ferry X9 (1 May 2016)" in [" ".join(t.get_text().split()) for t in ax.get_legend().get_texts()]
    rows = figure_data.yearly_rows(yearly).set_index("id")
    assert rows.loc["2014-x9", "category"] == "civilians aboard ferry X9"
    assert rows.loc["2014-x9", "drawn"] == 298 and rows.loc["2014", "drawn"] == 2084 - 298


def test_the_first_year_is_said_to_be_partial_only_when_it_is_drawn(totals, by_year):
    # The period starts on 2 March 2015 here: 2015 is a partial year, 2016 is not drawn from its start.
    drawn = charts.plot_civilian_deaths_by_year(analysis.civilian_deaths_by_year(by_year, totals))
    assert "2015 counts from 2 March." in _texts(drawn)
    later = charts.plot_civilian_deaths_by_year(analysis.civilian_deaths_by_year(by_year, totals, year_from=2016))
    assert "counts from" not in _texts(later)
    whole_years = _with_metadata(by_year, coverage={**COVERAGE, "period_start": "2015-01-01"})
    ax = charts.plot_civilian_deaths_by_year(analysis.civilian_deaths_by_year(whole_years, totals))
    assert "counts from" not in _texts(ax)


def test_context_chart_names_the_area_of_the_metadata(totals, by_year):
    claims = load_claims()
    event = claims[claims["metric"] == "killed"]["event_id"].iloc[0]
    yearly = analysis.civilian_deaths_by_year(by_year, totals, year_from=2020)
    ax = charts.plot_toll_in_context(analysis.first_and_latest(claims, event, "killed"), yearly=yearly)
    assert "yearly counts of civilians killed in Testland (" in _texts(ax)
    nowhere = analysis.civilian_deaths_by_year(_with_metadata(by_year, coverage=None), totals, year_from=2020)
    ax = charts.plot_toll_in_context(analysis.first_and_latest(claims, event, "killed"), yearly=nowhere)
    assert "yearly counts of civilians killed (" in _texts(ax)


def test_totals_without_counted_apart_are_refused_with_the_field_named(totals, by_year):
    bare = _with_metadata(totals, counted_apart=None)
    with pytest.raises(ValueError, match=r"ohchr_totals has no counted_apart in its \.meta\.yml"):
        analysis.killed_by_category(bare, include_mh17=False)
    with pytest.raises(ValueError, match="counted_apart"):
        analysis.civilian_deaths_by_year(by_year, bare)


def test_the_one_year_rule_names_them_in_the_metadata_words(totals, by_year):
    two = by_year.copy()
    two.loc[two["year"] == 2015, "includes_mh17"] = True
    tables = {"ohchr_totals": totals, "sources": load_table("sources"), "claimants": load_table("claimants")}
    problems = rules.check_table("ohchr_civilian_deaths_by_year", two, tables)
    assert "only one year can include the X9 victims" in [p.rule for p in problems]


VALID = {
    "title": "A table",
    "description": "What it holds.",
    "origin": {"producer": "P", "title": "T", "date_published": "", "url": "", "date_accessed": "2026-11-24"},
}


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"coverage": "2014-2021"}, ("coverage", "must be a mapping with the fields period_start, period_end, area")),
        ({"coverage": {**COVERAGE, "period_end": "2014-01-01"}}, ("coverage.period_end", "must not be before")),
        ({"coverage": {**COVERAGE, "area": ""}}, ("coverage.area", "must not be empty")),
        ({"coverage": {**COVERAGE, "region": "x"}}, ("coverage.region", "unexpected field")),
        ({"counted_apart": {**APART, "date": "17/07/2014"}}, ("counted_apart.date", "must be a date written")),
        ({"counted_apart": {**APART, "category": "crew"}}, ("counted_apart.category", "must be one of: all,")),
        ({"counted_apart": {k: v for k, v in APART.items() if k != "who"}}, ("counted_apart.who", "required field")),
        ({"covered": COVERAGE}, ("covered", "unexpected field (expected only: title, description, origin, coverage")),
    ],
)
def test_metadata_checks_coverage_and_counted_apart(fields, problem):
    assert provenance.check_metadata({**VALID, "coverage": COVERAGE, "counted_apart": APART}) == []
    assert provenance.check_metadata(VALID) == []  # both are optional
    found = provenance.check_metadata({**VALID, **fields})
    assert any(field == problem[0] and rule.startswith(problem[1]) for field, rule in found), found
