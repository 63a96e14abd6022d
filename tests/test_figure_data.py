"""Every chart ships its data: the rows it drew, one per mark, as a spreadsheet-safe, reproducible CSV."""

from __future__ import annotations

import csv
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import REPO

from casualty_workbook.analysis import tables as analysis
from casualty_workbook.charts import chart_data as figure_data
from casualty_workbook.charts import claim_charts as charts
from casualty_workbook.charts import explore
from casualty_workbook.charts.saving import save_figure
from casualty_workbook.data.loading import load_claims, load_table, load_weapon_mentions

EVENT = "belgorod_strike_2024"


@pytest.fixture(scope="module")
def tables():
    return {
        "claims": load_claims(),
        "totals": load_table("ohchr_totals"),
        "by_year": load_table("ohchr_civilian_deaths_by_year"),
        "mentions": load_weapon_mentions(),
        "places": load_table("places"),
    }


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _draw(kind: str, t: dict):
    """Each chart of the workbook, drawn from the data; returns (Axes, the number of marks it drew)."""
    if kind == "claims":
        chosen = analysis.event_claims(t["claims"], EVENT)
        return charts.plot_claims(chosen), len(chosen)
    if kind == "revisions":
        history = analysis.revision_history(t["claims"], EVENT, "killed")
        return charts.plot_toll_revisions(history), len(history)
    if kind == "weapons":
        mentions = t["mentions"][t["mentions"]["event_id"] == EVENT]
        return charts.plot_weapons(mentions), len(analysis.weapons_claimed(mentions))
    if kind == "categories":
        killed = analysis.killed_by_category(t["totals"])
        return charts.plot_killed_by_category(killed), len(killed)
    if kind == "years":
        yearly = analysis.civilian_deaths_by_year(t["by_year"], t["totals"])
        return charts.plot_civilian_deaths_by_year(yearly), len(yearly) + int((yearly["mh17"] > 0).sum())
    if kind == "context":
        first = analysis.first_and_latest(t["claims"], EVENT, "killed")
        yearly = analysis.civilian_deaths_by_year(t["by_year"], t["totals"])
        return charts.plot_toll_in_context(first, yearly=yearly), len(first) + len(yearly)
    if kind == "places":
        places = analysis.distances_from(t["places"], "belgorod")
        return charts.plot_places(places), len(places)
    if kind == "status":
        table = analysis.provenance_table(t["claims"], t["totals"])
        return charts.plot_figures_by_status(table), len(
            table.groupby(["who_said_it", "status"]).size().loc[lambda s: s > 0]
        )
    raise ValueError(kind)


KINDS = ["claims", "revisions", "weapons", "categories", "years", "context", "places", "status"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_chart_attaches_one_row_per_mark(kind, tables):
    ax, marks = _draw(kind, tables)
    table = figure_data.collect(ax.figure)
    plt.close(ax.figure)
    assert list(table.columns[: len(figure_data.COLUMNS)]) == list(figure_data.COLUMNS)
    assert len(table) == marks
    assert table["id"].astype(str).str.len().gt(0).all(), "every row names its claim or figure"
    assert table["status"].astype(str).str.len().gt(0).all(), "every row says how far it was checked"


def test_claim_rows_carry_wording_claimant_source_date_and_status(tables):
    ax, _ = _draw("claims", tables)
    rows = _rows(figure_data.csv_bytes(figure_data.collect(ax.figure)))
    plt.close(ax.figure)
    claims = tables["claims"].set_index("claim_id")
    for row in rows:
        claim = claims.loc[row["id"]]
        assert row["claimant"] == claim["claimant_name"] and row["source"] == claim["source_id"]
        assert row["status"] == str(claim["status"]) and row["qualifier"] == str(claim["qualifier"])
        assert row["date"] == f"{claim['reported_on']:%Y-%m-%d}"
        assert row["best"] == ("" if pd.isna(claim["value_best"]) else str(int(claim["value_best"])))
    at_least = [r for r in rows if r["qualifier"] == "at_least"]
    assert at_least and all(r["wording"].startswith("≥ ") and r["high"] == "" for r in at_least)


def test_a_chart_that_attached_nothing_cannot_be_saved(tmp_path):
    fig, ax = plt.subplots()
    ax.bar(["a"], [1])
    with pytest.raises(figure_data.FigureDataError, match="has no data attached"):
        save_figure(fig, "bare", tmp_path)
    plt.close(fig)
    assert list(tmp_path.iterdir()) == [], "nothing is written for a figure without its table"


def test_attach_refuses_a_table_without_the_columns():
    fig, ax = plt.subplots()
    with pytest.raises(figure_data.FigureDataError, match="lacks the column"):
        figure_data.attach(ax, pd.DataFrame({"id": ["x"]}))
    plt.close(fig)


def _one_row(**changes) -> pd.DataFrame:
    row = {c: "" for c in figure_data.COLUMNS if c != "panel"}
    row.update(
        mark="bar",
        id="X1",
        metric="killed",
        low=14200,
        best=None,
        high=14400,
        drawn=14300.0,
        qualifier="range",
        claimant="Someone",
        status="claimed",
        date=pd.Timestamp("2024-05-13"),
    )
    row.update(changes)
    return pd.DataFrame([row])


def test_csv_is_spreadsheet_safe_utf8_and_numbers_are_stable():
    table = _one_row(claimant='=HYPERLINK("http://x")', wording="≥ 15", drawn=41.25, low=15.0)
    data = figure_data.csv_bytes(table.assign(panel=1))
    row = _rows(data)[0]
    assert row["claimant"].startswith("'="), "a formula-like cell is neutralised"
    assert row["wording"] == "≥ 15", "UTF-8 text survives"
    assert (row["low"], row["best"], row["drawn"]) == ("15", "", "41.25"), "no trailing .0, missing is empty"
    assert row["date"] == "2024-05-13"
    assert (
        _rows(figure_data.csv_bytes(_one_row(date=pd.Timestamp("2024-05-12 18:46")).assign(panel=1)))[0]["date"]
        == "2024-05-12 18:46"
    ), "a time of day is kept when the data has one"


def test_the_same_chart_saves_the_same_csv_bytes(tmp_path, tables):
    outputs = []
    for folder in ("one", "two"):
        ax, _ = _draw("weapons", tables)
        paths = save_figure(ax.figure, "weapons", tmp_path / folder)
        plt.close(ax.figure)
        outputs.append([p.read_bytes() for p in paths])
    assert [p.name for p in paths] == ["weapons.png", "weapons.svg", "weapons.csv"]
    assert outputs[0] == outputs[1]


def test_a_figure_of_two_panels_numbers_them():
    from casualty_workbook.analysis import tables as analysis
    from casualty_workbook.charts import claim_charts as charts
    from casualty_workbook.data.loading import load_claims, load_table

    yearly = analysis.civilian_deaths_by_year(load_table("ohchr_civilian_deaths_by_year"), load_table("ohchr_totals"))
    ax = charts.plot_toll_in_context(analysis.first_and_latest(load_claims(), EVENT, "killed"), yearly=yearly)
    table = figure_data.collect(ax.figure)
    plt.close(ax.figure)
    assert sorted(set(table["panel"])) == [1, 2]
    assert set(table.loc[table["panel"] == 1, "id"]) >= {"2014", "2021"}
    assert set(table.loc[table["panel"] == 2, "event"]) == {EVENT}


def test_explore_draws_one_chart_per_image():
    claims = explore.draw(event=EVENT, claimant="all", metric="killed", years=(2014, 2021))
    years = explore.draw_years(years=(2014, 2021))
    try:
        assert claims.figure is not years.figure
        assert len(claims.figure.axes) == 1 and len(years.figure.axes) == 1
    finally:
        plt.close(claims.figure)
        plt.close(years.figure)


def test_every_committed_png_has_its_csv_with_the_values_drawn():
    pngs = sorted((REPO / "figures").rglob("*.png"))
    assert pngs
    for png in pngs:
        data = png.with_suffix(".csv")
        assert data.is_file(), f"{png.relative_to(REPO)} has no CSV beside it"
        header = data.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header[: len(figure_data.COLUMNS)] == list(figure_data.COLUMNS), data


def test_a_charts_csv_is_written_as_pandas_writes_the_frame_of_its_text() -> None:
    """``text_csv_bytes`` skips the frame for speed: the same bytes as ``csv_bytes`` of that frame, for
    cells that need quoting, neutralising or nothing, a lone empty cell, and no rows at all."""
    import random

    from casualty_workbook.core.spreadsheet import csv_bytes, text_csv_bytes

    pieces = ["", "a", "b c", ",", '"', "'", "\n", "\r", "=1+1", "+7", "-3", "@x", "\tt", "≥ 15", "é", " "]
    rng = random.Random(3)
    for _ in range(500):
        width, length = rng.randint(1, 4), rng.randint(0, 5)
        header = [f"c{i}" + rng.choice(["", ",", " x"]) for i in range(width)]
        columns = [[rng.choice(pieces) + rng.choice(pieces) for _ in range(length)] for _ in range(width)]
        frame = pd.DataFrame(dict(zip(header, columns, strict=True)), dtype=object)
        assert text_csv_bytes(header, columns) == csv_bytes(frame), (header, columns)
