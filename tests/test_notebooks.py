"""Every notebook runs with non-default parameters (an analyst's `make report`), never over figures/."""

from __future__ import annotations

import json
import re

import nbformat
import papermill as pm
import pytest
from conftest import REPO, run_cli_here, tree_digest

from casualty_workbook.core.exceptions import ParameterError
from casualty_workbook.pipeline import parameters

NOTEBOOKS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))

NON_DEFAULT = {
    "event_report": ["claimant=ru_emergencies"],
    "ohchr_2014_2021": ["include_mh17=false", "year_from=2015", "estimate=low"],
    "context": ["year_from=2018"],
    "ohchr_since_2022": ["gap_days=30", "count_event=ohchr_civilians_ukraine_since_2022-02-24"],
    "places": ["event=kharkiv_advance_2024", "reference_place=morokhovets"],
    "provenance": ["status=verified", "event=donbas_war_2014_2021"],
    "coded_events": ["metric=injured", "radius_km=100", "days=10"],
    "explore": ["claimant=ru_mod", "metric=missing", "year_from=2016", "year_to=2019"],
}


def test_every_notebook_has_a_non_default_case():
    assert sorted(NON_DEFAULT) == NOTEBOOKS


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_parameters_are_read_from_the_cell_as_papermill_reads_them(notebook):
    """The defaults the build checks and records are the ones papermill's own reading of the cell finds."""
    declared = {p.name: p for p in parameters.spec(notebook)}
    found = pm.inspect_notebook(str(REPO / "notebooks" / f"{notebook}.ipynb"))
    assert list(found) == list(declared)
    for name, info in found.items():
        assert eval(info["default"]) == declared[name].default, name  # the cell's literal default
        assert info["help"] == declared[name].help, name
        assert declared[name].help, f"{notebook}: parameter {name} has no comment explaining it"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_default_meets_its_own_constraint(notebook):
    defaults = {k: v for k, v in parameters.defaults(notebook).items() if k not in parameters.RESERVED}
    assert parameters.check(notebook, defaults) == parameters.defaults(notebook)


def _notebook_with_cell(folder, source: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})]
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "notebooks" / "event_report.ipynb")


@pytest.mark.parametrize(
    "source, message",
    [
        (
            'event = "x"  # e\nclaimant = "all"  # c\ncolour = "red"  # c\noutput_dir = None  # o',
            "'colour' has no constraint in parameters.py",
        ),
        ('event = "x"  # e\noutput_dir = None  # o', "'claimant' is constrained but not set in the cell"),
        ('event = "x"  # e\nclaimant = pick()  # c\noutput_dir = None  # o', "parameters cell, line 2"),
        ('event = "x"  # e\nclaimant = ', "parameters cell, line 2: invalid syntax"),
    ],
)
def test_a_parameters_cell_that_disagrees_with_the_constraints_is_named(tmp_path, monkeypatch, source, message):
    _notebook_with_cell(tmp_path, source)
    monkeypatch.setenv("WORKBOOK_ROOT", str(tmp_path))
    with pytest.raises(ParameterError, match=re.escape(message)):
        parameters.spec("event_report")


def test_a_changed_cell_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_ROOT", str(tmp_path))
    _notebook_with_cell(tmp_path, 'event = "a"  # e\nclaimant = "all"  # c\noutput_dir = None  # o')
    assert parameters.defaults("event_report")["event"] == "a"
    _notebook_with_cell(tmp_path, 'event = "bb"  # e\nclaimant = "all"  # c\noutput_dir = None  # o')
    assert parameters.defaults("event_report")["event"] == "bb"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_committed_notebook_has_no_outputs(notebook):
    nb = nbformat.read(REPO / "notebooks" / f"{notebook}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell is tagged 'parameters'"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_with_non_default_parameters(project, notebook):
    figures_before = tree_digest(project / "figures")
    result = run_cli_here(project, "report", notebook, *NON_DEFAULT[notebook])
    assert result.returncode == 0, result.stderr
    custom = project / "reports" / "custom"
    [executed] = list(custom.glob(f"{notebook}--*.ipynb"))
    nb = nbformat.read(executed, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert list((custom / "figures" / executed.stem).glob("*.png")), "the run saved its figures"
    assert (custom / f"{executed.stem}.html").is_file()
    assert tree_digest(project / "figures") == figures_before, "an analyst's run must not touch figures/"
    record = nb.metadata["casualty_workbook"]["parameters"]
    for word in NON_DEFAULT[notebook]:
        name, value = word.split("=")
        assert str(record[name]).lower() == value.lower()


@pytest.mark.slow
def test_excluding_mh17_takes_the_298_off_2014(project):
    result = run_cli_here(project, "report", "ohchr_2014_2021", "include_mh17=false")
    assert result.returncode == 0, result.stderr
    [executed] = list((project / "reports" / "custom").glob("ohchr_2014_2021--*.ipynb"))
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(executed, as_version=4).cells])
    assert "excluding MH17" in outputs
    assert "1,786" in outputs  # 2,084 in 2014 less the 298 aboard MH17


@pytest.mark.slow
def test_context_refuses_injured_against_deaths(project):
    # OHCHR's yearly figures are deaths: injured beside them is refused, naming the parameter
    figures_before = tree_digest(project / "figures")
    result = run_cli_here(project, "report", "context", "metric=injured")
    assert result.returncode != 0
    assert "parameter metric: 'injured' is not allowed; choose one of: killed" in result.stderr
    assert not list((project / "reports" / "custom" / "figures").glob("*/*.png"))
    assert tree_digest(project / "figures") == figures_before
