"""`workbook export hxl`: the claims as an HXL-tagged CSV that the standard's own library reads back."""

from __future__ import annotations

import csv
from pathlib import Path

import hxl
from conftest import run_cli_here
from hxl.input import InputOptions

from casualty_workbook.data.loading import load_table
from casualty_workbook.interchange.hxl import COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"


def read_back(path: Path) -> hxl.model.Dataset:
    return hxl.data(str(path), InputOptions(allow_local=True))


def test_libhxl_reads_every_claim_with_its_tags(root: Path) -> None:
    assert (
        run_cli_here(
            root, "import", "ucdp", str(FIXTURES / "GEDEvent_v90_1_fictional.csv"), "--released", "2025-06-01"
        ).returncode
        == 0
    )
    out = root / "out" / "claims.hxl.csv"
    result = run_cli_here(root, "export", "hxl", str(out))
    assert result.returncode == 0, result.stderr
    data = read_back(out)
    tags = [column.display_tag for column in data.columns]
    for tag in (
        "#meta+id",
        "#event+id",
        "#date+reported",
        "#adm1+name",
        "#geo+lat",
        "#geo+lon",
        "#affected+killed",
        "#affected+injured",
        "#meta+source",
        "#meta+url",
        "#meta+status",
    ):
        assert tag in tags
    rows = {row.get("#meta+id"): row for row in data}
    assert len(rows) == len(load_table("claims", root / "data"))
    first = rows["C001"]
    assert (first.get("#affected+killed"), first.get("#meta+qualifier"), first.get("#meta+status")) == (
        "15",
        "at_least",
        "claimed",
    )
    assert first.get("#org+name+source") == "Russian officials" and first.get("#adm1+name") == "Belgorod Oblast"
    assert first.get("#affected+injured") in ("", None)  # a killed figure is not an injured one
    coded = rows["ucdp-ged-900001-killed-v90_1"]
    assert (
        coded.get("#indicator+value+num+min"),
        coded.get("#indicator+value+num"),
        coded.get("#indicator+value+num+max"),
    ) == ("12", "14", "19")
    assert (coded.get("#geo+lat"), coded.get("#geo+lon"), coded.get("#meta+status")) == ("50.6", "36.6", "unverified")
    assert rows["C002"].get("#affected+injured") == "20"


def test_the_tag_row_is_under_the_header() -> None:
    tags = [tag for _, _, tag in COLUMNS if tag]
    assert all(tag.startswith("#") for tag in tags) and len(set(tags)) == len(tags)


def test_formulas_are_neutralised(root: Path) -> None:
    claims = root / "data" / "claims.csv"
    text = claims.read_text(encoding="utf-8")
    claims.write_text(
        text.replace(
            '"causing at least 15 fatalities and 20 injuries"',
            '"=15+20 causing at least 15 fatalities and 20 injuries"',
            1,
        ),
        encoding="utf-8",
    )
    out = root / "claims.hxl.csv"
    assert run_cli_here(root, "export", "hxl", str(out)).returncode == 0
    with out.open(encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells if not cell.startswith("#"))
    assert "'=15+20 causing at least 15 fatalities and 20 injuries" in cells
    quotes = {row.get("#meta+id"): row.get("#description") for row in read_back(out)}
    assert quotes["C001"].startswith("'=")


def test_invalid_data_writes_nothing(root: Path) -> None:
    claims = root / "data" / "claims.csv"
    claims.write_text(claims.read_text(encoding="utf-8").replace(",claimed,", ",made_up,", 1), encoding="utf-8")
    out = root / "claims.hxl.csv"
    result = run_cli_here(root, "export", "hxl", str(out))
    assert result.returncode == 2 and "claims.csv" in result.stderr and "column status" in result.stderr
    assert not out.exists()
