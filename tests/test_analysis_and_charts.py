"""Analysis helpers compute from data; charts say what each figure is and where it comes from."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from casualty_workbook import analysis, charts  # noqa: E402
from casualty_workbook.loading import load_claims, load_table, load_weapon_mentions  # noqa: E402


@pytest.fixture(scope="module")
def claims():
    return load_claims()


@pytest.fixture(scope="module")
def totals():
    return load_table("ohchr_totals")


@pytest.fixture(scope="module")
def by_year():
    return load_table("ohchr_civilian_deaths_by_year")


@pytest.mark.parametrize("low, best, high, qualifier, text", [
    (15, 15, None, "at_least", "≥ 15"), (20, 20, 20, "exact", "20"), (None, 14000, None, "about", "≈ 14,000"),
    (14200, None, 14400, "range", "14,200–14,400"), (None, None, 12, "up_to", "≤ 12"),
    (4400, 4400, 4400, "estimate", "est. 4,400"), (None, None, None, "not_reported", "not reported"),
])
def test_format_value_keeps_the_wording(low, best, high, qualifier, text):
    assert analysis.format_value(low, best, high, qualifier) == text


def test_excluding_mh17_gives_the_reports_3106(totals, by_year):
    killed = analysis.killed_by_category(totals, include_mh17=False).set_index("category")
    assert killed.loc["civilians", "value_low"] == 3404 - 298 == 3106
    yearly = analysis.civilian_deaths_by_year(by_year, totals, include_mh17=False)
    assert int(yearly["killed"].sum()) == 3106
    assert int(yearly.set_index("year").loc[2014, "killed"]) == 2084 - 298


def test_year_range_filters(by_year, totals):
    yearly = analysis.civilian_deaths_by_year(by_year, totals, year_from=2019, year_to=2021)
    assert list(yearly["year"]) == [2019, 2020, 2021]


def test_reconciliation_is_computed_from_the_tables(totals, by_year, claims):
    table = analysis.reconcile_civilians(totals, by_year, claims)
    assert list(table["people"]) == [3404, 3404, 298, 3106, 3106]


def test_civilian_share_is_a_range(totals):
    low, high = analysis.civilian_share(totals)
    assert round(low, 4) == round(3404 / 14400, 4) and round(high, 4) == round(3404 / 14200, 4)


def test_estimate_choice_picks_low_best_or_high(totals):
    everyone = {e: analysis.killed_by_category(totals, estimate=e).set_index("category").loc["all", "drawn"]
                for e in ("low", "best", "high")}
    assert everyone == {"low": 14200, "best": 14300, "high": 14400}


def test_revision_history_runs_15_16_17(claims):
    history = analysis.revision_history(claims, "belgorod_strike_2024", "killed")
    chain = history.set_index("claim_id")
    assert chain.loc["C011", "revises"] == "C003" and chain.loc["C012", "revises"] == "C011"
    assert list(analysis.latest_figures(history)["value_best"]) == [15, 17]


def test_first_and_latest(claims):
    picked = analysis.first_and_latest(claims, "belgorod_strike_2024", "killed")
    assert list(picked["claim_id"]) == ["C001", "C012"]


def test_weapons_map_adler_to_vilkha_and_keep_counts_missing_when_not_given():
    weapons = analysis.weapons_claimed(load_weapon_mentions(), "belgorod_strike_2024").set_index("canonical_name")
    assert "Adler" in weapons.loc["Vilkha", "names_as_reported"]
    assert dict(weapons["count_claimed"]) == {"Tochka-U": 6, "RM-70 Vampire": 4, "Vilkha": 2}
    assert weapons["count_claimed"].sum() == 12


def test_distances_only_where_coordinates_are_verified():
    places = analysis.distances_from(load_table("places"), "belgorod").set_index("place_id")
    assert places.loc["morokhovets", "distance_km"] == pytest.approx(37.9, abs=0.5)
    assert pd.isna(places.loc["hatyshche", "distance_km"])
    with pytest.raises(ValueError, match="no verified coordinates"):
        analysis.distances_from(load_table("places"), "krasne")


def _texts(ax):
    return [t.get_text() for t in ax.texts] + [c.get_text() for c in ax.get_children() if hasattr(c, "get_text")]


def test_claims_chart_draws_lower_bounds_and_names_its_sources(claims):
    chosen = analysis.event_claims(claims, "belgorod_strike_2024", metrics=("killed", "injured", "missing"))
    ax = charts.plot_claims(chosen, title="t")
    texts = "\n".join(_texts(ax))
    assert "≥ 15" in texts and "≥ 1" in texts
    assert "Source: Russia's emergency ministry, via Sputnik, 13 May 2024" in texts
    assert "not an established fact" in texts
    arrows = [c for c in ax.get_children() if getattr(c, "arrow_patch", None) is not None]
    assert len(arrows) == int((chosen["qualifier"] == "at_least").sum()), "one open-ended arrow per lower bound"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("claimed by a party" in t for t in legend)
    assert ax.get_xlabel() == "Number claimed (people)"


def test_yearly_chart_marks_unverified_years(by_year, totals):
    ax = charts.plot_civilian_deaths_by_year(analysis.civilian_deaths_by_year(by_year, totals), by_year)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "unverified" in legend and any("MH17" in t for t in legend)
    assert any(t.startswith("Source: OHCHR (2022)") for t in _texts(ax))


def test_places_chart_lists_unlocated_places_instead_of_guessing():
    ax = charts.plot_places(analysis.distances_from(load_table("places"), "belgorod"))
    texts = "\n".join(_texts(ax))
    assert "No verified coordinates" in texts and "Hatyshche" in texts
    plotted = sum(len(c.get_offsets()) for c in ax.collections)
    assert plotted == 4  # Belgorod, Morokhovets, Lyptsi, Vovchansk


def test_charts_say_so_when_nothing_matches(claims):
    ax = charts.plot_claims(claims.iloc[0:0], title="empty")
    assert any("No claims match" in t for t in _texts(ax))


def test_context_chart_carries_its_caveat(claims, by_year, totals):
    ax = charts.plot_toll_in_context(analysis.first_and_latest(claims, "belgorod_strike_2024", "killed"),
                                     analysis.civilian_deaths_by_year(by_year, totals), by_year)
    texts = "\n".join(_texts(ax))
    assert "Not like for like" in texts and "Claims:" in texts and ax.get_xscale() == "log"
