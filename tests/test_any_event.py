"""Any event, not one article: a fictional event added as the README's recipe says gets reports of its own.

The fixture (tests/fixtures/fictional_event/) holds the rows an analyst would add, table by
table. They are appended to a copy of the project's data; every notebook that takes `event`
runs on the new event, and none of its figures (their SVG text) or its HTML page may mention
another event's name, place or weapon. Those words are read from data/, never written here.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import REPO, copy_project, run_cli_here

from casualty_workbook.analysis import narrative
from casualty_workbook.analysis.series import is_running_count
from casualty_workbook.pipeline import parameters

FIXTURE = REPO / "tests" / "fixtures" / "fictional_event"
SVG = "{http://www.w3.org/2000/svg}"
EVENT_NOTEBOOKS = sorted(name for name, constraints in parameters.CONSTRAINTS.items() if "event" in constraints)


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def add_fixture(data: Path) -> None:
    """Append the fixture's rows to each table of ``data``, column by column (missing optional cells empty)."""
    for part in sorted(FIXTURE.glob("*.csv")):
        target = data / part.name
        columns, existing = _rows(target)
        _, added = _rows(part)
        unknown = set(added[0]) - set(columns)
        assert not unknown, f"{part.name}: the fixture has columns the table lacks: {unknown}"
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(existing + [{c: row.get(c, "") for c in columns} for row in added])


def fixture_event() -> tuple[str, str]:
    _, [event] = _rows(FIXTURE / "events.csv")
    return event["event_id"], event["name"]


def other_events_words() -> list[str]:
    """Names of the project's events, places and weapons (from data/): none may leak into the new event's report."""
    words = set()
    for row in _rows(REPO / "data" / "events.csv")[1]:
        if is_running_count(row["event_id"]):  # a country's running count is context for any event, not another event
            continue
        words |= {row["name"], row["region"]}
    for row in _rows(REPO / "data" / "places.csv")[1]:
        words |= {row["name"], row.get("name_russian") or "", row["admin_area"]}
    for row in _rows(REPO / "data" / "weapon_systems.csv")[1]:
        words |= {row["canonical_name"], *(n.strip() for n in (row.get("other_names") or "").split(";"))}
    words |= {row["name_as_reported"] for row in _rows(REPO / "data" / "weapon_mentions.csv")[1]}
    return sorted(w for w in words if w)


def mentions(text: str, words: list[str]) -> list[str]:
    """The words that stand in ``text`` as whole words (case as written, so an id like 'x_2024' is no name)."""
    return [w for w in words if re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", text)]


def svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()
    return "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


@pytest.fixture(scope="module")
def fictional_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("any_event") / "project", with_figures=False)
    add_fixture(root / "data")
    return root


def test_the_words_to_keep_out_come_from_the_data():
    words = other_events_words()
    _event_id, name = fixture_event()
    assert len(words) > 10 and name not in words
    assert not mentions(" ".join(p.read_text(encoding="utf-8") for p in FIXTURE.glob("*.csv")), words), (
        "the fixture must be clearly fictional, sharing no name with the project's events"
    )
    assert mentions("a report on Zed-9 and zed-9", ["Zed-9"]) == ["Zed-9"]
    assert mentions("zed_9_2024", ["Zed"]) == []


def test_the_fixture_is_valid_data_added_to_the_project(fictional_project):
    result = run_cli_here(fictional_project, "validate")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_added_event_gets_its_own_report_in_the_catalogue(fictional_project):
    from casualty_workbook.pipeline.catalogue import read_catalogue

    reports = read_catalogue(
        fictional_project / "catalogue.yml", fictional_project / "notebooks", fictional_project / "data"
    )
    event_id, name = fixture_event()
    [report] = [r for r in reports if r.parameters.get("event") == event_id]
    assert report.id == f"event_report--{event_id}" and report.group == "event_report" and name in report.title


def test_the_default_event_is_chosen_by_a_rule_over_the_data():
    events = pd.DataFrame(
        {"event_id": ["a", "b", "c"], "date_end": pd.to_datetime(["2024-01-02", "2024-01-02", "2023-05-01"])}
    )
    claims = pd.DataFrame({"event_id": ["b", "b", "a", "c", "c", "c"]})
    assert narrative.choose_event(None, events, claims) == "b"  # latest end, then most claims
    assert narrative.choose_event("c", events, claims) == "c"
    with pytest.raises(ValueError, match="not an event_id"):
        narrative.choose_event("z", events, claims)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", EVENT_NOTEBOOKS)
def test_every_event_notebook_speaks_only_of_the_new_event(fictional_project, notebook):
    event_id, name = fixture_event()
    result = run_cli_here(fictional_project, "report", notebook, f"event={event_id}")
    assert result.returncode == 0, result.stderr
    custom = fictional_project / "reports" / "custom"
    [executed] = [p for p in custom.glob(f"{notebook}--*.ipynb") if event_id in p.stem]
    nb = nbformat.read(executed, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    svgs = sorted((custom / "figures" / executed.stem).glob("*.svg"))
    assert svgs, "the run saved its figures"
    words = other_events_words()
    for svg in svgs:
        leaked = mentions(svg_text(svg), words)
        assert not leaked, f"{svg.name} mentions {leaked}"
    page = (custom / f"{executed.stem}.html").read_text(encoding="utf-8")
    leaked = mentions(page, words)
    assert not leaked, f"{executed.stem}.html mentions {leaked}"
    if notebook == "event_report":
        figures = {svg.stem: svg_text(svg) for svg in svgs}
        assert sorted(figures) == ["injured_claimed", "killed_claimed", "toll_revisions", "weapons_by_system"]
        assert name in figures["killed_claimed"] and name in figures["injured_claimed"]
        weapons = " ".join(figures["weapons_by_system"].split())
        # The axis says what was counted (the claim's metric), the caption what the reported name means.
        assert "Munitions claimed launched (count)" in weapons
        assert "'Gale', as reported, is the Zephyr long-range multiple rocket launcher system" in weapons
        assert name in page


def test_a_systems_note_is_shown_only_when_a_mention_uses_the_name_it_explains():
    from casualty_workbook.data.loading import load_claims, load_table, load_weapon_mentions

    mentions, systems, claims = load_weapon_mentions(), load_table("weapon_systems"), load_claims()
    explained = {
        name
        for _, row in systems.iterrows()
        if pd.notna(row["note"])
        for name in str(row["other_names"]).split("; ")
        if name and name in str(row["note"])
    }
    assert explained, "the data holds at least one note explaining a reported name"
    name = sorted(explained)[0]
    using = mentions[mentions["name_as_reported"] == name]
    assert any(f"'{name}', as reported" in n for n in narrative.naming_notes(using, systems))
    others = mentions[(mentions["name_as_reported"] != name) & (mentions["system_id"].isin(using["system_id"]))]
    assert not any(f"'{name}'" in n for n in narrative.naming_notes(others, systems))
    # The axis names what was counted from the metric of the claim the counts break down.
    counted = mentions[mentions["count_best"].notna() & mentions["part_of_claim"].notna()]
    metric = str(claims.set_index("claim_id").loc[counted["part_of_claim"].iloc[0], "metric"])
    assert (
        narrative.munitions_axis_label(counted, claims)
        == f"Munitions claimed {narrative.MUNITION_VERBS[metric]} (count)"
    )
    assert narrative.munitions_axis_label(counted, None) == "Munitions claimed (count)"


def test_the_readme_gallery_and_recipe_match_the_project():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"\]\((figures/[^)]+\.png)\)", text)
    assert images and all((REPO / image).is_file() for image in images), "every gallery image exists"
    recipe = text[text.index("## Add your own event") :]
    event_id, _ = fixture_event()
    assert event_id in recipe and "tests/fixtures/fictional_event/" in recipe
    for step in ("make validate", "make report", "make figures", "git add data/ figures/"):
        assert step in recipe, step
    for notebook in sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb")):
        assert f"| `{notebook}` |" in text, f"the README's notebook table lacks {notebook}"


def test_event_dates_are_as_precise_as_recorded():
    row = {"date_start": pd.Timestamp("2025-03-14"), "date_end": pd.Timestamp("2025-03-14"), "date_precision": "day"}
    assert narrative.event_dates(pd.Series(row)) == "14 March 2025"
    assert narrative.event_dates(pd.Series({**row, "date_precision": "approximate"})) == "about 14 March 2025"
    assert (
        narrative.event_dates(pd.Series({**row, "date_end": pd.Timestamp("2026-01-02"), "date_precision": "range"}))
        == "14 March 2025 to 2 January 2026"
    )
    assert narrative.event_dates(pd.Series({**row, "date_precision": "month"})) == "March 2025"


def test_an_event_without_weapons_revisions_or_places_says_so():
    from casualty_workbook.data.loading import load_claims, load_table, load_weapon_mentions

    claims, events, places = load_claims(), load_table("events"), load_table("places")
    # An event of the data whose region holds no recorded place and which has no weapon mention.
    mentioned = set(load_weapon_mentions()["event_id"].astype(str))
    regions = set(places["admin_area"].astype(str))
    [bare, *_] = [
        e
        for e in events.itertuples()
        if str(e.event_id) not in mentioned and str(e.region) not in regions and pd.isna(e.place_id)
    ]
    event = str(bare.event_id)
    assert narrative.event_places(places, events, event).empty
    assert "no map to draw" in narrative.places_intro(event, events, places.iloc[0:0], load_table("sources"))
    assert "no chart is drawn" in narrative.weapons_intro(load_weapon_mentions().iloc[0:0], None, claims)
    history = claims[(claims["event_id"] == event) & (claims["metric"] == "killed")].assign(revises=pd.NA)
    assert not narrative.has_revisions(history)
    assert "no revision to chart" in narrative.revisions_intro(history) or history.empty
    intro = narrative.event_intro(event, events, claims)
    assert intro.startswith(f"# {bare.name}") and str(bare.description) in intro


def test_an_events_places_are_its_own_place_its_region_and_the_reference():
    from casualty_workbook.data.loading import load_table

    events, places = load_table("events"), load_table("places")
    for e in events.itertuples():
        chosen = narrative.event_places(places, events, str(e.event_id))
        assert set(chosen["admin_area"].astype(str)) <= {str(e.region)} | set(
            places.loc[places["place_id"] == e.place_id, "admin_area"].astype(str)
        )
        if pd.notna(e.place_id):
            assert e.place_id in set(chosen["place_id"])
            assert narrative.reference_place(None, events, str(e.event_id), places) in (e.place_id, None)
    other = str(places["place_id"].iloc[-1])
    first = str(events["event_id"].iloc[0])
    assert other in set(narrative.event_places(places, events, first, other)["place_id"])


def test_place_colours_and_legend_come_from_the_countries_in_the_data():
    import matplotlib

    matplotlib.use("Agg")
    from casualty_workbook.charts import claim_charts as charts

    places = pd.DataFrame(
        {
            "place_id": ["a", "b", "c"],
            "name": ["Alpha", "A place whose name runs on for a long while", "Gamma"],
            "admin_area": ["North", "North", "South"],
            "country": ["Freedonia", "Sylvania", "Freedonia"],
            "latitude": pd.array([1.0, 1.5, None], dtype="Float64"),
            "longitude": pd.array([2.0, 2.5, None], dtype="Float64"),
            "coord_status": ["verified", "verified", "unverified"],
            "coord_source_id": ["atlas", "atlas", None],
            "mentioned_in": ["gazette", None, "gazette"],
        }
    )
    ax = charts.plot_places(places, title="t")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Freedonia", "Sylvania"]
    texts = [t.get_text() for t in ax.texts]
    assert any("A place whose name runs\non for a long while" in t for t in texts), "long names wrap"
    assert any("Gamma (South)" in t for t in texts), "a place without coordinates is listed, not placed"
    assert len(set(charts.country_colours(places["country"]).values())) == 2
