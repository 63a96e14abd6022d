"""`workbook import ohchr-series`: each update of a running count becomes a claim of the killed and
one of the injured, revising the update before; safe to repeat; a longer file extends the chain; a
step down is kept; a bad file is refused by row and column with nothing in data/ changed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, run_cli_here, tree_digest

from casualty_workbook.data.loading import load_all

FIXTURES = Path(__file__).parent / "fixtures"
HXL = FIXTURES / "ohchr_series_fictional.hxl.csv"
SHEET = FIXTURES / "ohchr_keyfigures_fictional.csv"
OPTIONS = ("--country", "Freedonia", "--counted-from", "2025-01-01")
EVENT = "ohchr_civilians_freedonia_since_2025-01-01"


def imported(root: Path, path: Path, *options: str) -> str:
    result = run_cli_here(root, "import", "ohchr-series", str(path), *(options or OPTIONS))
    assert result.returncode == 0, result.stderr
    return result.stdout


def series_claims(root: Path) -> pd.DataFrame:
    claims = pd.read_csv(root / "data" / "claims.csv", dtype=str, keep_default_na=False)
    return claims[claims["event_id"] == EVENT].set_index("claim_id")


def test_each_update_becomes_two_claims_revising_the_update_before(root: Path) -> None:
    out = imported(root, HXL)
    assert "7 rows, 5 distinct updates" in out and "claims: 10 added" in out
    tables = load_all(root / "data")  # every rule of `workbook validate` holds
    claims = series_claims(root)
    assert sorted(claims["reported_on"].unique()) == [
        "2025-01-03",
        "2025-01-04",
        "2025-01-20",
        "2025-02-03",
        "2025-03-10",
    ]
    killed = claims[claims["metric"] == "killed"].sort_values("reported_on")
    assert killed["value_best"].tolist() == ["10", "12", "15", "14", "20"]
    assert killed["revises"].tolist() == ["", *killed.index[:-1]]  # each revises the one before
    assert set(claims["status"]) == {"secondary"} and set(claims["population"]) == {"civilians"}
    assert set(claims["claimant"]) == {"ohchr"} and set(claims["qualifier"]) == {"at_least"}
    source = tables["sources"].set_index("source_id").loc[claims["source_id"].iloc[0]]
    assert pd.isna(source["own_document_of"])  # the dashboard carries the figures: not OHCHR's own document
    event = tables["events"].set_index("event_id").loc[EVENT]
    assert event["country"] == "Freedonia" and str(event["date_start"].date()) == "2025-01-01"
    assert str(event["date_end"].date()) == "2025-03-10"


def test_a_step_down_is_kept_as_published(root: Path) -> None:
    imported(root, HXL)
    down = series_claims(root).loc[f"{EVENT}-killed-2025-02-03"]
    assert down["value_best"] == "14" and down["revises"] == f"{EVENT}-killed-2025-01-20"
    assert "kept as published" in down["note"]


def test_the_same_file_twice_changes_nothing(root: Path) -> None:
    imported(root, HXL)
    before = tree_digest(root / "data")
    assert "nothing changed" in imported(root, HXL)
    assert tree_digest(root / "data") == before


def test_the_sheet_then_a_longer_series_extends_the_chain(root: Path) -> None:
    imported(root, SHEET)
    claims = series_claims(root)
    assert len(claims) == 4
    first = claims.loc[f"{EVENT}-killed-2025-01-03"]
    assert "https://www.ohchr.org/en/news/2025/01/fictional-civilian-casualty-update-3-january" in first["note"]
    out = imported(root, HXL)
    assert "claims: 6 added" in out and "events: 0 added, 1 updated" in out
    claims = series_claims(root)
    assert claims.loc[f"{EVENT}-injured-2025-01-20", "revises"] == f"{EVENT}-injured-2025-01-04"
    load_all(root / "data")


def test_the_committed_series_is_the_shared_files_import(root: Path, tmp_path: Path) -> None:
    """data/ holds exactly what the documented commands make from the files in data/imports/."""
    committed = pd.read_csv(REPO / "data" / "claims.csv", dtype=str, keep_default_na=False)
    series = committed[committed["event_id"] == "ohchr_civilians_ukraine_since_2022-02-24"]
    assert len(series) == 298 and set(series["metric"]) == {"killed", "injured"}
    killed = series[series["metric"] == "killed"].sort_values("reported_on")
    assert (killed["value_best"].iloc[0], killed["value_best"].iloc[-1]) == ("249", "9701")
    injured = series[series["metric"] == "injured"].sort_values("reported_on")
    assert (injured["value_best"].iloc[0], injured["value_best"].iloc[-1]) == ("553", "17748")
    assert int((killed["note"].str.contains("kept as published")).sum()) == 1
    # the same commands again change nothing
    before = tree_digest(root / "data")
    for name in (
        "ocha_ukraine_keyfigures_sheet_2022-03_04.csv",
        "ohchr_ukraine_civcas_cumulative_daily_2022-2023_hxl.csv",
    ):
        out = imported(root, root / "data" / "imports" / name, "--country", "Ukraine", "--counted-from", "2022-02-24")
        assert "nothing changed" in out
    assert tree_digest(root / "data") == before


def _edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "in" / source.name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BAD = {
    "non-numeric count": (
        HXL,
        "2025-01-20,15,31",
        "2025-01-20,fifteen,31",
        "row 6, column civilians_killed_cumulative, value 'fifteen': must be a whole number",
    ),
    "bad date": (HXL, "2025-01-20,", "2025-01-32,", "row 6, column date, value '2025-01-32': must be a real date"),
    "missing HXL tag": (
        HXL,
        "#affected+injured",
        "#affected+wounded",
        "row 2, column #affected+injured: required column is missing",
    ),
    "missing sheet column": (
        SHEET,
        "Civilian casualities(OHCHR) - Killed",
        "Killed",
        "row 2, column Civilian casualities(OHCHR) - Killed: required column is missing",
    ),
    "dates out of order": (
        HXL,
        "2025-01-20,15,31",
        "2025-01-02,15,31",
        "row 6, column date, value '2025-01-02': dates must run forwards",
    ),
    "a date twice with other figures": (
        HXL,
        "2025-01-05,12,25",
        "2025-01-04,13,25",
        "row 5, column date, value '2025-01-04': row 4 has the same date with other figures",
    ),
    "before the count starts": (
        HXL,
        "2025-01-03,10,20",
        "2024-12-30,10,20",
        "must not be before the start of the count (2025-01-01)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_naming_file_row_and_column(root: Path, tmp_path: Path, case: str) -> None:
    source, old, new, message = BAD[case]
    bad = _edited(tmp_path, source, old, new)
    before = tree_digest(root / "data")
    result = run_cli_here(root, "import", "ohchr-series", str(bad), *OPTIONS)
    assert result.returncode == 2, result.stdout
    assert str(bad) in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(root / "data") == before


def test_a_published_figure_changed_later_is_refused(root: Path, tmp_path: Path) -> None:
    imported(root, HXL)
    before = tree_digest(root / "data")
    bad = _edited(tmp_path, HXL, "2025-01-20,15,31", "2025-01-20,16,31")
    result = run_cli_here(root, "import", "ohchr-series", str(bad), *OPTIONS)
    assert result.returncode == 2
    assert (
        "row 6, column civilians_killed_cumulative, value '16': killed on 2025-01-20 was imported before as 15"
        in result.stderr
    )
    assert tree_digest(root / "data") == before


def test_options_are_required(root: Path) -> None:
    result = run_cli_here(root, "import", "ohchr-series", str(HXL))
    assert result.returncode == 2 and "--country" in result.stderr
    result = run_cli_here(
        root, "import", "ohchr-series", str(HXL), "--country", "Freedonia", "--counted-from", "2025-13-01"
    )
    assert result.returncode == 2 and "--counted-from" in result.stderr
