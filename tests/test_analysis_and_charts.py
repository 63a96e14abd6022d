"""Analysis helpers compute from data; charts say what each figure is and where it comes from."""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from casualty_workbook.analysis import narrative
from casualty_workbook.analysis import tables as analysis
from casualty_workbook.charts import chart_data as figure_data
from casualty_workbook.charts import claim_charts as charts
from casualty_workbook.charts import coded_events as coded
from casualty_workbook.charts import style
from casualty_workbook.data import provenance, schemas
from casualty_workbook.data.loading import load_claims, load_table, load_weapon_mentions


@pytest.fixture(scope="module")
def claims():
    return load_claims()


@pytest.fixture(scope="module")
def totals():
    return load_table("ohchr_totals")


@pytest.fixture(scope="module")
def by_year():
    return load_table("ohchr_civilian_deaths_by_year")


@pytest.mark.parametrize(
    "low, best, high, qualifier, text",
    [
        (15, 15, None, "at_least", "≥ 15"),
        (20, 20, 20, "exact", "20"),
        (None, 14000, None, "about", "≈ 14,000"),
        (14200, None, 14400, "range", "14,200–14,400"),
        (None, None, 12, "up_to", "≤ 12"),
        (4400, 4400, 4400, "estimate", "est. 4,400"),
        (None, None, None, "not_reported", "not reported"),
    ],
)
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
    everyone = {
        e: analysis.killed_by_category(totals, estimate=e).set_index("category").loc["all", "drawn"]
        for e in ("low", "best", "high")
    }
    assert everyone == {"low": 14200, "best": 14300, "high": 14400}


def test_revision_history_runs_hour_by_hour(claims):
    history = analysis.revision_history(claims, "belgorod_strike_2024", "killed")
    # in the order reported; within a day a revision comes after what it revises
    assert list(history["claim_id"]) == [
        "C018",
        "C019",
        "C020",
        "C001",
        "C023",
        "C021",
        "C022",
        "C003",
        "C009",
        "C011",
        "C012",
        "C025",
    ]
    assert list(history["label"].iloc[:3]) == ["6", "11", "13"]
    assert history["when"].iloc[0] == "12 May 2024, 18:46 (UTC+03:00)" and history["when"].iloc[3] == "13 May 2024"
    position = {c: i for i, c in enumerate(history["claim_id"])}
    for claim, revised in history[history["revises"].notna()][["claim_id", "revises"]].itertuples(index=False):
        assert position[revised] < position[claim], (claim, revised)
    # the unrevised figures: the officials' at least 15, IANS's at least 14, and the two 17s of 14 May
    assert sorted(analysis.latest_figures(history)["claim_id"]) == ["C001", "C012", "C023", "C025"]


def test_report_times_sort_in_utc():
    frame = pd.DataFrame(
        {
            "claim_id": ["a", "b"],
            "revises": [pd.NA, pd.NA],
            "reported_on": pd.to_datetime(["2024-05-12", "2024-05-12"]),
            "reported_time": ["18:00+03:00", "16:30+00:00"],
        }
    )  # 15:00 UTC, then 16:30 UTC
    assert list(analysis.order_reported(frame.iloc[::-1])["claim_id"]) == ["a", "b"]


def test_claims_sort_by_day_revision_untimed_utc_and_id_whatever_order_they_come_in():
    """Many claims of a few days, some timed (offsets east and west of UTC), some not, a chain of
    revisions: every shuffle sorts to the order the rules say, checked against a sort of the keys."""
    import random

    rng = random.Random(5)
    ids = [f"c{i:02d}" for i in range(40)]
    times = [pd.NA, "00:30+03:00", "23:30-02:00", "12:00+00:00", "12:00+05:30", "09:15-10:00", "01:00+14:00"]
    frame = pd.DataFrame(
        {
            "claim_id": ids,
            "revises": [pd.NA] * 30 + [f"c{i:02d}" for i in range(10)],  # c30..c39 revise c00..c09
            "reported_on": pd.to_datetime([f"2024-05-{rng.randint(12, 14)}" for _ in ids]),
            "reported_time": [rng.choice(times) for _ in ids],
        }
    )

    def utc(t) -> float:
        if pd.isna(t):
            return 0.0
        sign = 1 if t[5] == "+" else -1
        return int(t[:2]) * 60 + int(t[3:5]) - sign * (int(t[6:8]) * 60 + int(t[9:11]))

    depth = {c: int(pd.notna(r)) for c, r in zip(frame["claim_id"], frame["revises"], strict=True)}  # chains of one
    expected = sorted(
        frame.itertuples(index=False),
        key=lambda r: (r.reported_on, depth[r.claim_id], pd.isna(r.reported_time), utc(r.reported_time), r.claim_id),
    )
    for seed in range(20):
        shuffled = frame.sample(frac=1, random_state=seed)
        got = analysis.order_reported(shuffled)
        assert list(got["claim_id"]) == [r.claim_id for r in expected]
        assert list(got.index) == list(range(len(frame)))


def test_a_claims_revision_depth_counts_the_claims_above_it_in_the_table_whatever_the_order():
    """Depth: 0 for a claim that revises nothing in the table (or a claim outside it), else its parent's plus one.
    Random forests of chains in shuffled order, one chain thousands long, against the definition followed
    claim by claim."""
    import random

    from casualty_workbook.analysis.tables import _revision_depth

    rng = random.Random(11)
    for size in (1, 2, 15, 200, 3000):
        ids = [f"k{i:05d}" for i in range(size)]
        # each claim revises an earlier one, nothing, a claim outside the table, or (for 3000) the one before
        revises = [
            (ids[i - 1] if i else pd.NA)
            if size == 3000
            else rng.choice([pd.NA, "outside", ids[rng.randrange(i)] if i else pd.NA, ids[i - 1] if i else pd.NA])
            for i in range(size)
        ]
        frame = pd.DataFrame({"claim_id": ids, "revises": pd.array(revises, dtype="string")})
        frame = frame.sample(frac=1, random_state=size).reset_index(drop=True)
        parent = dict(zip(frame["claim_id"], frame["revises"], strict=True))

        def depth_of(claim_id: str, parent: dict = parent) -> int:
            depth = 0
            while isinstance(parent.get(claim_id), str) and parent[claim_id] in parent:
                claim_id, depth = parent[claim_id], depth + 1
            return depth

        assert list(_revision_depth(frame)) == [depth_of(c) for c in frame["claim_id"]]
    assert max(_revision_depth(frame)) == 2999
    looped = pd.DataFrame({"claim_id": ["a", "b", "c"], "revises": ["c", "a", "b"]})  # refused on load; still ends
    assert sorted(_revision_depth(looped)) == [0, 1, 2]


def test_first_and_latest(claims):
    picked = analysis.first_and_latest(claims, "belgorod_strike_2024", "killed")
    assert list(picked["value_best"]) == [6, 17]


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
    # Twenty claims from many outlets: the source line sums them up in two lines, the CSV lists them.
    assert "Sources: 6 claimants via 9 outlets, each listed in the chart's data (CSV) and its Sources tab." in " ".join(
        texts.split()
    )
    few = charts.plot_claims(chosen[chosen["claim_id"].isin(["C012", "C024"])], title="t")
    assert "Source: A Russian emergency official, via SocialNews.XYZ (IANS), 13 May 2024; Russia's Emergencies " in (
        " ".join(" ".join(_texts(few)).split())
    )
    assert "Status of the figures drawn: 2 attributed to no one; 18 claimed." in " ".join(texts.split())
    assert "not an established fact" in " ".join(texts.split())
    arrows = [c for c in ax.get_children() if getattr(c, "arrow_patch", None) is not None]
    assert len(arrows) == int((chosen["qualifier"] == "at_least").sum()), "one open-ended arrow per lower bound"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("claimed by a party" in t for t in legend)
    assert ax.get_xlabel() == "Number claimed (people)"


def test_yearly_chart_marks_unverified_years(by_year, totals):
    ax = charts.plot_civilian_deaths_by_year(analysis.civilian_deaths_by_year(by_year, totals))
    legend = [" ".join(t.get_text().split()) for t in ax.get_legend().get_texts()]
    assert "not matched to a quote yet" in legend and any("MH17" in t for t in legend)
    assert any(t.startswith("Source: OHCHR (2022)") for t in _texts(ax))


def test_places_chart_lists_unlocated_places_instead_of_guessing():
    places = analysis.distances_from(load_table("places"), "belgorod")
    ax = charts.plot_places(analysis.places_with_sources(places, load_table("sources")), reference="belgorod")
    texts = "\n".join(_texts(ax))
    assert "coordinates (verified) from Wikipedia (English);" in " ".join(texts.split())
    # the entries each coordinate came from are in the chart's data
    rows = figure_data.attached(ax)
    located = rows[rows["mark"] == "point"]
    assert set(located["category"]) == {"Belgorod", "Lyptsi", "Morokhovets", "Vovchansk"}
    assert located["source"].astype(str).str.startswith("wikipedia_").all()
    assert "No verified coordinates" in texts and "Hatyshche" in texts
    plotted = sum(len(c.get_offsets()) for c in ax.collections)
    assert plotted == 4  # Belgorod, Morokhovets, Lyptsi, Vovchansk


def test_charts_say_so_when_nothing_matches(claims):
    ax = charts.plot_claims(claims.iloc[0:0], title="empty")
    assert any("No claims match" in t for t in _texts(ax))


def test_context_chart_carries_its_caveat(claims, by_year, totals):
    ax = charts.plot_toll_in_context(
        analysis.first_and_latest(claims, "belgorod_strike_2024", "killed"),
        yearly=analysis.civilian_deaths_by_year(by_year, totals),
    )
    texts = "\n".join(_texts(ax))
    assert "not like for like" in texts and "Claims:" in texts
    # Two panels, each with bars from zero on a linear axis: never bars on a log axis.
    panels = ax.figure.axes
    assert len(panels) == 2 and all(p.get_xscale() == "linear" and p.get_xlim()[0] == 0 for p in panels)
    assert "scales differ" in " ".join(texts.split())


# ---- captions and labels follow the data --------------------------------------------------------------


def test_status_caption_says_what_the_rows_say(by_year, totals):
    yearly = analysis.civilian_deaths_by_year(by_year, totals)
    assert (
        analysis.status_caption(yearly["status"], yearly["year"])
        == "2021 verified; 2014–2020 not matched to a quote yet"
    )
    assert analysis.status_caption(pd.Series(["claimed", "derived", "claimed"])) == "2 claimed; 1 derived"


def test_yearly_caption_is_computed_and_never_calls_unverified_years_verified(by_year, totals):
    ax = charts.plot_civilian_deaths_by_year(analysis.civilian_deaths_by_year(by_year, totals))
    texts = "\n".join(_texts(ax))
    assert "Status: 2021 verified; 2014–2020 not matched to a quote yet." in " ".join(texts.split())


def test_excluding_mh17_takes_the_298_off_every_total_that_includes_them(totals, by_year):
    killed = analysis.killed_by_category(totals, include_mh17=False).set_index("category")
    assert (killed.loc["all", "value_low"], killed.loc["all", "value_high"]) == (13902, 14102)
    assert killed.loc["civilians", "value_low"] == 3106
    assert killed.loc[["all", "civilians"], "status"].tolist() == ["derived", "derived"]
    assert killed.loc[["ukrainian_forces", "armed_groups"], "status"].tolist() == ["verified", "verified"]
    ax = charts.plot_killed_by_category(killed.reset_index())
    texts = "\n".join(_texts(ax))
    assert "All killed: 13,902–14,102 = 14,200–14,400 − 298 aboard MH17 (derived)" in " ".join(texts.split())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("derived") for t in legend)
    yearly = analysis.civilian_deaths_by_year(by_year, totals, include_mh17=False).set_index("year")
    assert yearly.loc[2014, "status"] == "derived" and yearly.loc[2014, "killed"] == 2084 - 298


def test_context_refuses_a_metric_that_is_not_deaths(claims, by_year, totals):
    injured = analysis.first_and_latest(claims, "belgorod_strike_2024", "injured")
    with pytest.raises(ValueError, match=r"parameter metric='injured': OHCHR's yearly figures count civilians killed"):
        charts.plot_toll_in_context(injured, yearly=analysis.civilian_deaths_by_year(by_year, totals))
    with pytest.raises(ValueError, match="metric='injured'"):
        analysis.check_comparable_with_ohchr_deaths("injured")
    analysis.check_comparable_with_ohchr_deaths("killed")


def test_context_caption_names_the_statuses_drawn(claims, by_year, totals):
    yearly = analysis.civilian_deaths_by_year(by_year, totals, year_from=2020)
    ax = charts.plot_toll_in_context(analysis.first_and_latest(claims, "belgorod_strike_2024", "killed"), yearly=yearly)
    texts = "\n".join(_texts(ax))
    texts = " ".join(texts.split())
    assert "(2021 verified; 2020 not matched to a quote yet)" in texts and "(2 claimed)" in texts
    assert ax.get_xlabel() == "Civilians killed in the year (people, OHCHR)"
    assert ax.figure.axes[1].get_xlabel() == "People killed (as claimed)"


def test_revision_chart_gives_every_report_its_own_row(claims):
    history = analysis.revision_history(claims, "belgorod_strike_2024", "injured")
    ax = charts.plot_toll_revisions(history, title="t")
    points = [tuple(p) for c in ax.collections for p in c.get_offsets()]
    assert len(points) == len(history) == len(set(points))  # 17, 20, 20, 20, 30, 20, ≥ 27: none on another
    legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert "Russia's health minister" in legend and "Unattributed" in legend  # colour tells who said it
    assert ax.get_xlabel() == "Injured (people)"


def test_revision_chart_draws_an_up_to_figure_at_its_high_and_keeps_a_row_without_a_number(claims):
    history = analysis.with_labels(analysis.revision_history(claims, "belgorod_strike_2024", "injured"))
    up_to = history.index[1]
    history.loc[up_to, ["value_low", "value_best", "drawn"]] = pd.NA
    history.loc[up_to, "qualifier"] = "up_to"
    blank = history.index[2]
    history.loc[blank, ["value_low", "value_best", "value_high", "drawn"]] = pd.NA
    ax = charts.plot_toll_revisions(history, title="t")
    points = [tuple(p) for c in ax.collections for p in c.get_offsets()]
    assert (float(history.loc[up_to, "value_high"]), 1.0) in points
    assert len(points) == len(history) - 1  # the row with no number keeps its line, with no mark
    assert len(ax.get_yticklabels()) == len(history)


def test_weapon_types_are_named_not_coded():
    mentions = load_weapon_mentions()
    ax = charts.plot_weapons(
        mentions[mentions["event_id"] == "belgorod_strike_2024"],
        systems=load_table("weapon_systems"),
        claims=load_claims(),
    )
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any("MLRS" in t for t in labels) and not any("mlrs" in t for t in labels)
    texts = "\n".join(_texts(ax))
    texts = " ".join(texts.split())
    assert "as claimed by Russia's Defence Ministry" in texts and "'Adler', as reported, is the Vilkha system" in texts


def test_figures_by_status_counts_every_figure(claims, totals):
    table = analysis.provenance_table(claims, totals, sources=load_table("sources"))
    ax = charts.plot_figures_by_status(table)
    drawn = sum(p.get_width() for p in ax.patches if p.get_width() > 0 and p.get_height() < 1)
    assert drawn == len(table)  # derived figures too
    assert any(t.get_text().startswith("derived") for t in ax.get_legend().get_texts())
    row = table.set_index("claim_id").loc["C008"]
    assert row["status"] == "derived" and row["derived_from"].startswith("W005 + W006 + W007")


# ---- charts in seaborn's shape, their sources taken from the data drawn -----------------------------------


CHART_FUNCTIONS = [
    f for module in (charts, coded) for name, f in vars(module).items() if name.startswith("plot_") and callable(f)
]


@pytest.mark.parametrize("plot", CHART_FUNCTIONS, ids=lambda f: f.__name__)
def test_every_chart_takes_its_data_first_and_the_rest_by_keyword(plot):
    parameters = list(inspect.signature(plot).parameters.values())
    assert parameters[0].name == "data" and parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:]), plot.__name__
    named = {p.name: p.default for p in parameters[1:]}
    assert named["ax"] is None and named["title"] is None
    assert inspect.signature(plot).return_annotation in (Axes, "Axes")


def test_no_chart_writes_a_colour_of_its_own():
    for module in (charts, coded):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert not re.findall(r"#[0-9A-Fa-f]{6}\b", source), f"{module.__name__}: colours come from style.py"


def test_vocabularies_have_one_home_and_every_status_its_colour_hatch_and_label():
    assert set(schemas.METRIC_LABELS) == set(schemas.METRICS)
    for table in (style.STATUS_COLOURS, style.STATUS_HATCHES, schemas.STATUS_LABELS):
        assert tuple(table) == schemas.STATUSES
    assert set(style.STATUS_COLOURS.values()) <= set(style.OKABE_ITO.values())
    assert narrative.status_summary(pd.Series(["derived", "claimed"])).endswith(
        "1 derived (computed from other figures)"
    )


def test_analysis_steps_keep_the_tables_origin_for_the_source_line(totals, by_year):
    for include in (True, False):
        assert analysis.killed_by_category(totals, include_mh17=include).attrs["metadata"] == totals.attrs["metadata"]
        yearly = analysis.civilian_deaths_by_year(by_year, totals, include_mh17=include)
        assert yearly.attrs["metadata"] == by_year.attrs["metadata"]
    assert analysis.civilian_deaths_by_year(by_year, totals)["year"].tolist() == sorted(by_year["year"])


def test_a_tables_source_line_and_captions_come_from_its_origin(by_year, totals, claims):
    yearly = analysis.civilian_deaths_by_year(by_year, totals)
    yearly.attrs = {"metadata": {"origin": {"producer": "Example Body", "date_published": "2030-01-02", "title": "T"}}}
    ax = charts.plot_civilian_deaths_by_year(yearly)
    assert "Source: Example Body (2030), T." in " ".join(" ".join(_texts(ax)).split())
    assert ax.get_title(loc="left") == "Civilians killed, by year (Example Body)"
    rows = figure_data.attached(ax)
    assert set(rows["claimant"]) == {"Example Body"} and set(rows["date"]) == {"2030-01-02"}
    plt.close(ax.figure)
    ax = charts.plot_toll_in_context(analysis.first_and_latest(claims, "belgorod_strike_2024", "killed"), yearly=yearly)
    texts = " ".join(" ".join(_texts(ax)).split())
    assert ax.get_title(loc="left") == "Example Body's civilian deaths per year"
    assert "Source: Example Body (2030), T. Claims:" in texts and "OHCHR" not in texts
    plt.close(ax.figure)


def test_a_map_cites_the_sources_joined_to_its_places():
    places = load_table("places")
    joined = analysis.places_with_sources(places, load_table("sources"))
    assert joined.loc[joined["place_id"] == "belgorod", "coord_source_id_publisher"].item() == "Wikipedia (English)"
    cited = " ".join(" ".join(_texts(charts.plot_places(joined))).split())
    # four places' coordinates and a report's names run past two lines: the publishers are named, the
    # entries are listed in the chart's data
    assert "Sources: coordinates (verified) from Wikipedia (English); places as named in 1 report;" in cited
    bare = " ".join(" ".join(_texts(charts.plot_places(places))).split())
    assert "Source: places.csv (coordinates from the source in coord_source_id" in bare
    plt.close("all")


@pytest.mark.parametrize("include_mh17", [True, False])
def test_a_range_label_stands_clear_of_its_error_bar_cap(totals, include_mh17):
    ax = charts.plot_killed_by_category(analysis.killed_by_category(totals, include_mh17=include_mh17))
    renderer = ax.figure.canvas.get_renderer()
    caps = [line for line in ax.lines if isinstance(line, Line2D) and line.get_marker() == "|"]
    assert caps, "the range is drawn with capped error bars"
    cap_right = max(c.get_window_extent(renderer).x1 for c in caps)
    label = next(t for t in ax.texts if "–" in t.get_text() and t.get_text()[0].isdigit())
    # two pixels at least between the cap's right edge and the label's first letter
    assert label.get_window_extent(renderer).x0 >= cap_right + 2
    plt.close(ax.figure)


def test_every_place_label_stays_inside_the_maps_frame():
    places = analysis.distances_from(load_table("places"), "belgorod")
    ax = charts.plot_places(places, reference="belgorod")
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if getattr(t, "xycoords", None) == "data" and t.get_text()]
    assert len(labels) >= 3
    for label in labels:
        box = label.get_window_extent(renderer)
        inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
        assert inside, f"{label.get_text()!r} leaves the map's frame"


def test_a_source_line_is_at_most_two_lines_and_says_where_the_full_list_is(claims):
    chosen = analysis.event_claims(claims, "belgorod_strike_2024")
    full = provenance.claim_source_line(chosen)
    assert len(textwrap.wrap(full, charts.SOURCE_WIDTH)) > charts.SOURCE_LINES  # long enough to be summed up
    short = charts.source_line(chosen)
    assert len(textwrap.wrap(short, charts.SOURCE_WIDTH)) <= charts.SOURCE_LINES
    claimants, outlets = chosen["claimant_name"].nunique(), chosen["publisher"].nunique()
    assert short == (
        f"Sources: {claimants} claimants via {outlets} outlets, each listed in the chart's data (CSV) and its Sources tab."
    )
    few = chosen[chosen["claim_id"] == "C012"]
    assert charts.source_line(few) == provenance.claim_source_line(few)  # a short one is kept whole


def test_the_source_line_names_each_claimant_outlet_and_day_once_in_order_whatever_the_rows(claims):
    """The real claims and random picks of them (repeats, shuffles, a day or a name missing) give the line
    that pandas' drop_duplicates and sort_values give, the missing last."""
    import random

    def by_pandas(frame: pd.DataFrame) -> str:
        parts = (
            frame.assign(_date=frame["reported_on"].map(provenance._format_date))[
                ["claimant_name", "publisher", "_date"]
            ]
            .drop_duplicates()
            .sort_values(["claimant_name", "publisher", "_date"])
        )
        text = "; ".join(f"{c}, via {p}, {d}" for c, p, d in parts.itertuples(index=False))
        return f"Source: {text}." if text else ""

    assert provenance.claim_source_line(claims) == by_pandas(claims)
    assert provenance.claim_source_line(claims.iloc[:0]) == ""
    rng = random.Random(8)
    for seed in range(30):
        picked = claims.sample(n=rng.randint(1, 40), replace=True, random_state=seed).reset_index(drop=True)
        if seed % 3 == 0:
            picked.loc[rng.randrange(len(picked)), "reported_on"] = pd.NaT
        if seed % 5 == 0:
            picked.loc[rng.randrange(len(picked)), "publisher"] = pd.NA
        assert provenance.claim_source_line(picked) == by_pandas(picked), seed


def test_every_label_names_its_population_where_it_is_not_everyone(claims):
    missing = analysis.event_claims(claims, "belgorod_strike_2024", metrics=("missing",))
    assert set(missing["population"]) == {"children"}
    ax = charts.plot_claims(missing, title="t")
    assert all(t.get_text().startswith("Missing (children) · ") for t in ax.get_yticklabels())
    donbas = analysis.event_claims(claims, "donbas_war_2014_2021", metrics=("killed",))
    ticks = [t.get_text() for t in charts.plot_claims(donbas, title="t").get_yticklabels()]
    assert sorted(t.split(" · ")[0] for t in ticks) == ["Killed (all people)", "Killed (civilians)"]
    plt.close("all")


def test_a_report_table_has_no_index_no_na_and_speaks_in_words(claims):
    shown = narrative.table(
        analysis.with_labels(claims[claims["claim_id"].isin(["C013", "C016"])]),
        ["claimant_name", "reported_on", "status", "metric", "label", "revises"],
    ).data
    assert "<NA>" not in shown and "nan" not in shown
    assert "<th>Who said it</th>" in shown and "<th>Status</th>" in shown
    assert "attributed to no one" in shown and "13 May 2024" in shown and "≈ 14,000" in shown
    assert "<tbody>\n    <tr>\n      <td>" in shown.replace("\r", ""), "rows start with a cell, not an index heading"
    assert narrative.table(claims.iloc[0:0], empty=None) is None


def test_a_claimant_name_of_thousands_of_characters_keeps_the_chart_a_page_wide(tmp_path):
    """A 2,000-character claimant name made an 18,843 px wide chart: names in labels are cut, the CSV keeps them whole."""
    from PIL import Image

    from casualty_workbook.charts.saving import save_figure

    claims = analysis.with_labels(analysis.event_claims(load_claims(), "belgorod_strike_2024", metrics=("killed",)))
    long_name = "Ministry " * 250  # 2,250 characters
    claims["claimant_name"] = claims["claimant_name"].astype(str).where(claims.index != claims.index[0], long_name)
    ax = charts.plot_claims(claims, title="t")
    labels = " ".join(t.get_text() for t in ax.get_yticklabels()) + " ".join(
        t.get_text() for t in (ax.get_legend().get_texts() if ax.get_legend() else [])
    )
    assert "Ministry Ministry" in labels and long_name.strip() not in labels
    assert charts.short_name(long_name).endswith("…") and len(charts.short_name(long_name)) == charts.NAME_CHARS
    save_figure(ax.figure, "long", tmp_path, formats=("png",))
    width, _ = Image.open(tmp_path / "long.png").size
    assert width < 2500, width
    assert long_name.strip() in (tmp_path / "long.csv").read_text(encoding="utf-8")
    plt.close(ax.figure)
