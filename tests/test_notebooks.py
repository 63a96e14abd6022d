"""Every notebook runs with non-default parameters (an analyst's `make report`), never over figures/."""

from __future__ import annotations

import json

import nbformat
import papermill as pm
import pytest

from conftest import REPO, run_cli, tree_digest
from casualty_workbook import parameters

NOTEBOOKS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))

NON_DEFAULT = {
    "event_report": ["claimant=ru_emergencies"],
    "ohchr_2014_2021": ["include_mh17=false", "year_from=2015", "estimate=low"],
    "context": ["metric=injured", "year_from=2018"],
    "kharkiv_front": ["reference_place=morokhovets"],
    "provenance": ["status=verified", "event=donbas_war_2014_2021"],
    "coded_events": ["metric=injured", "radius_km=100", "days=10"],
    "explore": ["claimant=ru_mod", "metric=missing", "year_from=2016", "year_to=2019"],
}


def test_every_notebook_has_a_non_default_case():
    assert sorted(NON_DEFAULT) == NOTEBOOKS


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_parameters_cell_matches_the_declared_parameters(notebook):
    declared = parameters.defaults(notebook)
    found = pm.inspect_notebook(str(REPO / "notebooks" / f"{notebook}.ipynb"))
    assert sorted(found) == sorted(declared)
    for name, info in found.items():
        assert eval(info["default"]) == declared[name], name  # the cell's literal default
        assert info["help"], f"{notebook}: parameter {name} has no comment explaining it"


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
    result = run_cli(project, "report", notebook, *NON_DEFAULT[notebook])
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
    result = run_cli(project, "report", "ohchr_2014_2021", "include_mh17=false")
    assert result.returncode == 0, result.stderr
    [executed] = list((project / "reports" / "custom").glob("ohchr_2014_2021--*.ipynb"))
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(executed, as_version=4).cells])
    assert "excluding MH17" in outputs
    assert "1786" in outputs  # 2,084 in 2014 less the 298 aboard MH17
