"""Exports are safe in spreadsheets; reports show data as text, never run it."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from conftest import run_cli_here

from casualty_workbook.core.spreadsheet import export_csv, neutralise_formulas


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"])
def test_formula_cells_are_neutralised(tmp_path, cell):
    path = export_csv(pd.DataFrame({"quote": [cell, "plain text"], "n": [1, -5]}), "out", tmp_path)
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert rows[0]["quote"] == "'" + cell
    assert rows[1]["quote"] == "plain text"
    assert rows[1]["n"] == "-5", "numbers are numbers, not formulas: left alone"


def test_neutralising_keeps_missing_values_and_the_frame():
    frame = pd.DataFrame({"a": pd.array(["=1", None], dtype="string")})
    safe = neutralise_formulas(frame)
    assert safe["a"].iloc[0] == "'=1" and pd.isna(safe["a"].iloc[1])
    assert frame["a"].iloc[0] == "=1"


def test_export_to_none_writes_nothing(tmp_path):
    assert export_csv(pd.DataFrame({"a": [1]}), "out", None) is None
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_html_reports_escape_strings_from_data(project):
    claims = project / "data" / "claims.csv"
    text = claims.read_text()
    claims.write_text(
        text.replace(
            '"20 individuals were reported hurt"', '"<script>alert(1)</script> 20 individuals were reported hurt"'
        )
    )
    catalogue = project / "catalogue.yml"
    catalogue.write_text(
        catalogue.read_text().replace(
            'title: "Provenance: every figure, who said it and who published it"', 'title: "<b>Provenance</b>"'
        )
    )
    result = run_cli_here(project, "build", "--only", "provenance")
    assert result.returncode == 0, result.stderr
    page = (project / "reports" / "provenance.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, "the quote is shown as text"
    assert "<script>alert(1)</script>" not in page, "the quote never runs"
    index = (project / "reports" / "index.html").read_text()
    assert "&lt;b&gt;Provenance&lt;/b&gt;" in index and "<b>Provenance</b>" not in index
    exported = (project / "reports" / "provenance" / "figures_provenance.csv").read_text()
    assert "<script>alert(1)</script> 20 individuals" in exported
