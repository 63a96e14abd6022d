"""A running count's computations (series.py): monthly increments that add back to the count, a step
down kept, gaps, the count as of a day from the updates either side, and which of OHCHR's counts
the context report chooses by the event's date and country."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO, copy_project, run_cli_here

import casualty_workbook as wb
from casualty_workbook.analysis import series

EVENT = "ohchr_civilians_freedonia_since_2025-01-01"
# (date, killed, injured): a step down on 3 February, nothing from 3 February to 10 March, no update in April
UPDATES = [
    ("2025-01-03", 10, 20),
    ("2025-01-20", 15, 31),
    ("2025-02-03", 14, 33),
    ("2025-03-10", 20, 40),
    ("2025-05-02", 26, 41),
]


def fictional_claims(updates=UPDATES) -> pd.DataFrame:
    rows = []
    for metric, position in (("killed", 1), ("injured", 2)):
        previous = None
        for update in updates:
            claim_id = f"{EVENT}-{metric}-{update[0]}"
            rows.append(
                {
                    "claim_id": claim_id,
                    "event_id": EVENT,
                    "metric": metric,
                    "population": "civilians",
                    "value_best": update[position],
                    "claimant": "ohchr",
                    "claimant_name": "OHCHR",
                    "publisher": "A fictional dashboard",
                    "source_id": "fictional_dashboard",
                    "reported_on": pd.Timestamp(update[0]),
                    "revises": previous,
                    "status": "secondary",
                }
            )
            previous = claim_id
    return pd.DataFrame(rows)


@pytest.fixture
def count() -> pd.DataFrame:
    return series.running_count(fictional_claims(), EVENT)


def test_the_monthly_increments_add_back_to_the_count(count: pd.DataFrame) -> None:
    for metric in ("killed", "injured"):
        increments = series.monthly_increments(count, metric, counted_from="2025-01-01")
        last = int(count[count["metric"] == metric]["value"].iloc[-1])
        assert int(increments["increment"].sum()) == last
        # each month ends at its last update as published
        assert increments["value"].tolist() == {"killed": [15, 14, 20, 26], "injured": [31, 33, 40, 41]}[metric]
    killed = series.monthly_increments(count, "killed", counted_from="2025-01-01")
    assert killed["increment"].tolist() == [15, -1, 6, 6]
    assert [str(m) for m in killed["month"]] == ["2025-01", "2025-02", "2025-03", "2025-05"]
    assert killed["months"].tolist() == [1, 1, 1, 2]  # April had no update: May's increment spans two months


def test_the_committed_series_adds_back_to_its_last_update() -> None:
    claims, events = wb.load_claims(), wb.load_table("events")
    event = series.choose_series(None, events)
    count = series.running_count(claims, event, events)
    for metric, last in (("killed", 9701), ("injured", 17748)):
        increments = series.monthly_increments(count, metric, counted_from=events.iloc[-1]["date_start"])
        assert int(increments["increment"].sum()) == last
    assert count.attrs["area"] == "Ukraine"


def test_a_step_down_is_kept_not_smoothed(count: pd.DataFrame) -> None:
    down = series.downward_steps(count)
    assert down[["metric", "before", "after", "change"]].values.tolist() == [["killed", 15, 14, -1]]
    assert count[count["metric"] == "killed"]["value"].tolist() == [10, 15, 14, 20, 26]
    february = series.monthly_increments(count, "killed", counted_from="2025-01-01").iloc[1]
    assert february["increment"] == -1 and bool(february["down"])


def test_gaps_between_updates(count: pd.DataFrame) -> None:
    gaps = series.update_gaps(count, longer_than_days=20)
    assert gaps["days"].tolist() == [35, 53]
    assert str(gaps["after"].iloc[0].date()) == "2025-02-03"


def test_the_count_as_of_a_day_from_the_updates_either_side(count: pd.DataFrame) -> None:
    exact = series.count_as_of(count, "killed", "2025-01-20")
    assert (exact.value, exact.method) == (15.0, "update")
    between = series.count_as_of(count, "injured", "2025-02-21")  # 18 of 35 days from 33 to 40
    assert between.method == "interpolated" and between.value == pytest.approx(33 + 7 * 18 / 35)
    assert "between 33 on 3 February 2025 and 40 on 10 March 2025" in between.describe()
    start = series.count_as_of(count, "killed", "2025-01-02", counted_from="2025-01-01")
    assert start.method == "from the start" and start.value == pytest.approx(5.0)
    after = series.count_as_of(count, "killed", "2025-06-01")
    assert after.value is None and "the last update is of 2 May 2025" in after.describe()


def _events(*rows: tuple[str, str, str]) -> pd.DataFrame:
    base = [(EVENT, "2025-01-01", "Freedonia")]
    return pd.DataFrame(
        [
            {"event_id": e, "name": f"Event {e}", "date_start": pd.Timestamp(d), "country": c}
            for e, d, c in base + list(rows)
        ]
    )


def test_the_context_is_chosen_by_the_events_date_and_country() -> None:
    events = _events(
        ("before", "2024-12-31", "Freedonia"),
        ("after", "2025-02-10", "Freedonia"),
        ("abroad", "2025-02-10", "Sylvania"),
    )
    before = series.choose_context("before", events)
    assert before.table == "yearly" and before.series_event is None
    after = series.choose_context("after", events)
    assert (after.table, after.series_event, after.covers_country) == ("series", EVENT, True)
    abroad = series.choose_context("abroad", events)
    assert (abroad.table, abroad.covers_country, abroad.series_country) == ("series", False, "Freedonia")
    text = series.context_text(abroad, "abroad", events, None)
    assert "OHCHR's count does not cover Sylvania" in text and "not like for like" in text


def test_an_event_in_the_count_gets_its_months_figures() -> None:
    claims = fictional_claims().assign(event_name="x")
    events = _events(("after", "2025-02-21", "Freedonia"))
    context = series.context_for("after", events, claims, "killed")
    assert context.choice.table == "series" and context.beside_count
    assert int(context.month["increment"]) == -1  # February's increment, as published
    assert context.as_of.value == pytest.approx(14 + 6 * 18 / 35)
    table = context.figures_table()
    assert table["figure"].tolist() == ["added in February 2025 (derived)", "cumulative to 21 February 2025"]


@pytest.mark.slow
def test_the_context_report_of_an_event_in_the_count_and_of_one_outside_it(tmp_path) -> None:
    """A fictional event in the count's country and period gets its month's figures beside its toll;
    the committed event outside the count's country is told so."""
    root = copy_project(tmp_path / "project", with_figures=False)
    data = root / "data"
    with (data / "sources.csv").open("a", encoding="utf-8") as f:
        f.write(
            "fictional_wire_2022,A fictional report,Fictional Wire,2022-04-09,day,https://example.org/fictional,,,news_report,2026-12-05,Made up for a test.\n"
        )
    with (data / "events.csv").open("a", encoding="utf-8") as f:
        f.write(
            "fictional_shelling_2022,Fictional market shelling,2022-04-08,2022-04-08,day,,,Fictional Oblast,Ukraine,,,Made up for a test.\n"
        )
    with (data / "claims.csv").open("a", encoding="utf-8") as f:
        f.write(
            "X901,fictional_shelling_2022,killed,all,7,7,,at_least,people,unattributed,fictional_wire_2022,2022-04-09,,unattributed,at least 7 people were killed,verbatim,,,\n"
        )
    out = tmp_path / "out"
    result = run_cli_here(
        root, "--data-dir", str(data), "report", "context", "event=fictional_shelling_2022", f"output_dir={out}"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.csv")) == ["count_in_period.csv", "toll_beside_count.csv"]
    beside = pd.read_csv(out / "toll_beside_count.csv")
    assert beside["wording"].tolist() == [
        "≥ 7",
        "1,667",
        "1,626",
    ]  # the toll, April 2022's increment, the count on 8 April
    assert beside["status"].tolist() == ["unattributed", "derived", "derived"]
    page = next((root / "reports" / "custom").glob("context--*.html")).read_text(encoding="utf-8")
    assert "not like for like" in page and "does not cover" not in page


def test_the_committed_context_report_says_the_count_does_not_cover_the_events_country() -> None:
    """The catalogue's context report is of an event in a country the count does not cover: it shows
    the count for the period, the event's day marked, and no figure of the count beside the toll."""
    figures = sorted(p.name for p in (REPO / "figures" / "context").glob("*.csv"))
    assert figures == ["count_in_period.csv"]
    claims, events = wb.load_claims(), wb.load_table("events")
    context = series.context_for("belgorod_strike_2024", events, claims, "killed")
    assert not context.choice.covers_country and not context.beside_count
    assert "OHCHR's count does not cover Russia" in context.text


def test_the_provenance_table_shows_a_running_count_by_its_latest_update() -> None:
    from casualty_workbook.analysis import tables as analysis

    table = analysis.provenance_table(wb.load_claims(), wb.load_table("ohchr_totals"), sources=wb.load_table("sources"))
    # the 2014-2021 totals stay with the event they concern, not with the running count
    totals = table[table["claim_id"] == "civilians_killed"]
    assert totals["event_id"].tolist() == ["donbas_war_2014_2021"]
    shown = series.collapse_counts(table)
    count = shown[shown["event_id"].map(series.is_running_count)]
    assert sorted(count["value_as_worded"]) == [
        "≥ 17,748 (the latest of 149 updates, from 2022-03-03)",
        "≥ 9,701 (the latest of 149 updates, from 2022-03-03)",
    ]
    assert len(shown) == len(table) - 2 * 148
