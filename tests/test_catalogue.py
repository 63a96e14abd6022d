"""Catalogue entries that expand into one report per value: every event, or a listed set."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import REPO

from casualty_workbook.core.exceptions import CatalogueError
from casualty_workbook.pipeline.catalogue import read_catalogue

EVENTS_HEADER = "event_id,name,date_start\n"


def write(tmp_path: Path, catalogue: str, events: str | None = None) -> tuple[Path, Path]:
    path = tmp_path / "catalogue.yml"
    path.write_text(textwrap.dedent(catalogue))
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    if events is not None:
        (data / "events.csv").write_text(EVENTS_HEADER + events)
    return path, data


EVERY_EVENT = """
    reports:
      - id: event_report
        notebook: event_report
        title: "{name}: as claimed"
        for_each: {parameter: event, over: events.event_id}
        parameters: {claimant: all}
"""


def test_an_entry_expands_over_every_event_in_the_data(tmp_path):
    path, data = write(tmp_path, EVERY_EVENT, "alpha_2031,Alpha flood,2031-01-01\nbeta_2032,Beta fire,2032-02-02\n")
    reports = read_catalogue(path, REPO / "notebooks", data)
    assert [r.id for r in reports] == ["event_report--alpha_2031", "event_report--beta_2032"]
    assert [r.title for r in reports] == ["Alpha flood: as claimed", "Beta fire: as claimed"]
    assert reports[0].parameters == {"event": "alpha_2031", "claimant": "all"}
    assert {r.group for r in reports} == {"event_report"}


def test_adding_an_event_adds_its_report_with_no_catalogue_edit(tmp_path):
    path, data = write(tmp_path, EVERY_EVENT, "alpha_2031,Alpha flood,2031-01-01\n")
    assert len(read_catalogue(path, REPO / "notebooks", data)) == 1
    with (data / "events.csv").open("a") as handle:
        handle.write("gamma_2033,Gamma storm,2033-03-03\n")
    assert [r.id for r in read_catalogue(path, REPO / "notebooks", data)][-1] == "event_report--gamma_2033"


def test_an_entry_expands_over_a_listed_set(tmp_path):
    path, data = write(
        tmp_path,
        """
        reports:
          - id: context
            notebook: context
            title: "Context: {value}"
            for_each: {parameter: event, values: [alpha_2031, beta_2032]}
    """,
    )
    reports = read_catalogue(path, REPO / "notebooks", data)
    assert [(r.id, r.title, r.parameters) for r in reports] == [
        ("context--alpha_2031", "Context: alpha_2031", {"event": "alpha_2031"}),
        ("context--beta_2032", "Context: beta_2032", {"event": "beta_2032"}),
    ]


def test_plain_entries_are_unchanged(tmp_path):
    path, data = write(
        tmp_path,
        """
        reports:
          - {id: provenance, notebook: provenance, title: Provenance, parameters: {}}
    """,
    )
    (report,) = read_catalogue(path, REPO / "notebooks", data)
    assert (report.id, report.group, report.parameters) == ("provenance", None, {})


@pytest.mark.parametrize(
    ("catalogue", "events", "message"),
    [
        (EVERY_EVENT, "", "gives no reports"),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: []}}
     """,
            None,
            "gives no reports",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: [a, a]}}
     """,
            None,
            "listed twice",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: [a]}}
          - {id: event_report--a, notebook: provenance}
     """,
            None,
            "must not contain '--'",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: [a]}}
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: [b]}}
     """,
            None,
            "'event_report' is used twice",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, over: events.event_id, values: [a]}}
     """,
            "a,A,2031-01-01\n",
            "exactly one of",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, over: events}}
     """,
            "a,A,2031-01-01\n",
            "table.column",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, over: events.nope}}
     """,
            "a,A,2031-01-01\n",
            "no column 'nope'",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, title: "{place}", for_each: {parameter: event, over: events.event_id}}
     """,
            "a,A,2031-01-01\n",
            "title uses {place}",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, title: "{}", for_each: {parameter: event, values: [a]}}
     """,
            None,
            "name each field",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: [a]}, parameters: {event: b}}
     """,
            None,
            "remove it from 'parameters'",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: ["Not An Id"]}}
     """,
            None,
            "cannot name a report",
        ),
        (
            """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: [a], where: x}}
     """,
            None,
            "unknown field(s) where",
        ),
    ],
    ids=[
        "empty-data",
        "empty-list",
        "listed-twice",
        "separator-in-id",
        "entry-twice",
        "over-and-values",
        "over-not-table-column",
        "over-unknown-column",
        "title-unknown-field",
        "title-positional-field",
        "parameter-set-twice",
        "value-not-an-id",
        "unknown-for-each-field",
    ],
)
def test_a_bad_expansion_is_refused_naming_the_entry(tmp_path, catalogue, events, message):
    path, data = write(tmp_path, catalogue, events)
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path, REPO / "notebooks", data)
    assert message in str(caught.value)
    assert "report 1 (event_report)" in str(caught.value) or "report 2 (event_report" in str(caught.value)


def test_a_listed_value_missing_from_the_data_is_refused_before_any_kernel(tmp_path):
    import pandas as pd

    from casualty_workbook.pipeline.catalogue import check_parameters

    path, data = write(
        tmp_path,
        """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, values: [alpha_2031, zulu_2099]}}
    """,
    )
    reports = read_catalogue(path, REPO / "notebooks", data)
    tables = {"events": pd.DataFrame({"event_id": ["alpha_2031"]}), "claimants": pd.DataFrame({"claimant_id": ["x"]})}
    with pytest.raises(CatalogueError) as caught:
        check_parameters(reports, path, tables)
    assert "report event_report--zulu_2099" in str(caught.value)
    assert "'zulu_2099' is not allowed" in str(caught.value)
    assert "alpha_2031:" not in str(caught.value)


def test_the_projects_catalogue_has_one_event_report_per_event():
    import csv

    with (REPO / "data" / "events.csv").open(encoding="utf-8-sig", newline="") as handle:
        events = [row["event_id"] for row in csv.DictReader(handle)]
    reports = read_catalogue(REPO / "catalogue.yml", REPO / "notebooks", REPO / "data")
    expanded = [r for r in reports if r.group == "event_report"]
    assert sorted(r.parameters["event"] for r in expanded) == sorted(events)
    assert all(r.id == f"event_report--{r.parameters['event']}" and r.notebook == "event_report" for r in expanded)
    # Their committed figures live in one folder per event; no folder is left from a removed report.
    folders = {p.name for p in (REPO / "figures").iterdir() if p.is_dir()}
    assert folders <= {r.id for r in reports}, folders - {r.id for r in reports}


def test_the_index_groups_expanded_reports_under_their_entry(tmp_path):
    from types import SimpleNamespace

    from casualty_workbook.publish.index_page import render_index

    path, data = write(
        tmp_path,
        EVERY_EVENT
        + """
      - {id: provenance, notebook: provenance, title: Provenance}
""",
        "alpha_2031,Alpha flood,2031-01-01\nbeta_2032,Beta fire,2032-02-02\n",
    )
    reports = read_catalogue(path, REPO / "notebooks", data)
    layout = SimpleNamespace(reports=tmp_path / "reports", figures=tmp_path / "figures")
    html = render_index(reports, {"reports": {}}, layout, data_dir=data)
    group = html[html.index('<div class="group" id="group-event_report">') : html.index("</div>")]
    assert "One report per event, from the catalogue entry <code>event_report</code>" in group
    assert 'id="report-event_report--alpha_2031"' in group and 'id="report-event_report--beta_2032"' in group
    assert 'id="report-provenance"' not in group and 'id="report-provenance"' in html


def test_an_expansion_over_a_missing_table_names_the_file_as_the_data_check_does(tmp_path):
    from casualty_workbook.core.exceptions import DataValidationError

    path, data = write(
        tmp_path,
        """
        reports:
          - {id: event_report, notebook: event_report, for_each: {parameter: event, over: nothere.event_id}}
        """,
    )
    with pytest.raises(DataValidationError) as caught:
        read_catalogue(path, REPO / "notebooks", data)
    assert "nothere.csv" in str(caught.value) and "file not found" in str(caught.value)
