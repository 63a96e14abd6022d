"""`workbook export hxl` of a folder a verdict vouches for: the same bytes as the checked export, and a
verdict used only for the exact content and rules it was made for (data/verdicts.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, cli_env, run_cli_here, tree_digest

import casualty_workbook.interchange.hxl as hxl
from casualty_workbook.data import verdicts

FIXTURES = Path(__file__).parent / "fixtures"


def verdict_files(root: Path) -> list[Path]:
    return sorted((root / ".build-state" / "verdicts").glob("*.json"))


def forget_verdicts(root: Path) -> None:
    shutil.rmtree(root / ".build-state" / "verdicts", ignore_errors=True)


@pytest.fixture
def checked_loads(monkeypatch) -> list[str]:
    """Records each export that loaded and checked the tables (the path without a verdict)."""
    calls: list[str] = []
    frame = hxl.hxl_frame

    def spy(data_dir=None):
        calls.append(str(data_dir))
        return frame(data_dir)

    monkeypatch.setattr(hxl, "hxl_frame", spy)
    return calls


def export(root: Path, name: str) -> bytes:
    out = root / "out" / name
    result = run_cli_here(root, "export", "hxl", str(out))
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def both_paths(root: Path, checked_loads: list[str]) -> tuple[bytes, bytes]:
    """The export loaded and checked (no verdict), then read straight from the files (the verdict the
    first one left)."""
    forget_verdicts(root)
    checked = export(root, "checked.hxl.csv")
    assert len(checked_loads) == 1 and len(verdict_files(root)) == 1
    fast = export(root, "fast.hxl.csv")
    assert len(checked_loads) == 1, "the second export read the files a verdict vouches for"
    return checked, fast


def test_the_repository_data_exports_the_same_bytes_either_way(root: Path, checked_loads: list[str]) -> None:
    checked, fast = both_paths(root, checked_loads)
    assert checked == fast


def test_imported_datasets_export_the_same_bytes_either_way(root: Path, checked_loads: list[str]) -> None:
    for args in (
        ("ucdp", str(FIXTURES / "GEDEvent_v90_1_fictional.csv"), "--released", "2025-06-01"),
        ("ucdp", str(FIXTURES / "GEDEvent_v90_2_fictional.csv"), "--released", "2025-09-01"),
        ("acled", str(FIXTURES / "acled_export_fictional_1.csv")),
    ):
        result = run_cli_here(root, "import", *args)
        assert result.returncode == 0, result.stderr
    # The first import checked the small folder whole, each import carried the verdict to what it wrote.
    carried = export(root, "carried.hxl.csv")
    assert not checked_loads, "the imports left a verdict for the tables they wrote"
    checked, fast = both_paths(root, checked_loads)
    assert checked == fast == carried
    assert b"ucdp-ged-" in fast and b"acled" in fast.lower()


def _quirky(data: Path) -> None:
    """Valid cells written as people and spreadsheets write them: spaces around cells, a BOM and CRLF,
    a count with leading zeros, coordinates with a sign and trailing zeros, a formula-like quote."""
    claims = data / "claims.csv"
    text = claims.read_text(encoding="utf-8")
    text = text.replace(
        "C001,belgorod_strike_2024,killed,all,15,15,", " C001 ,belgorod_strike_2024 , killed,all,015,15,", 1
    )
    text = text.replace(
        '"causing at least 15 fatalities and 20 injuries"', '"  =15 causing at least 15 fatalities "', 1
    )
    claims.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    events = data / "events.csv"
    text = events.read_text(encoding="utf-8")
    events.write_text(text.replace(",Russia,50.60,36.60,", ",Russia,+50.600, -36.60 ,", 1), encoding="utf-8")


def test_cells_as_spreadsheets_write_them_export_the_same_bytes_either_way(
    root: Path, checked_loads: list[str]
) -> None:
    _quirky(root / "data")
    assert run_cli_here(root, "validate").returncode == 0
    checked, fast = both_paths(root, checked_loads)
    assert checked == fast
    assert b'"C001","belgorod_strike_2024"' in fast and b'"\'-36.6"' in fast and b"\"'=15 causing" in fast


def test_validate_leaves_a_verdict_outside_the_data_folder(root: Path) -> None:
    before = tree_digest(root / "data")
    assert run_cli_here(root, "validate").returncode == 0
    assert tree_digest(root / "data") == before
    [verdict] = verdict_files(root)
    document = json.loads(verdict.read_text())
    assert document["data_dir"] == str((root / "data").resolve())
    assert {"claims.csv", "claims.meta.yml", "events.csv", "weapon_mentions.csv"} <= set(document["files"])


def test_a_claim_edited_after_the_verdict_is_checked_and_refused(root: Path, checked_loads: list[str]) -> None:
    assert run_cli_here(root, "validate").returncode == 0
    claims = root / "data" / "claims.csv"
    claims.write_text(claims.read_text(encoding="utf-8").replace(",claimed,", ",made_up,", 1), encoding="utf-8")
    out = root / "claims.hxl.csv"
    result = run_cli_here(root, "export", "hxl", str(out))
    assert result.returncode == 2 and "claims.csv" in result.stderr and "column status" in result.stderr
    assert not out.exists() and checked_loads


def test_a_verdict_of_other_rules_is_not_used(root: Path, checked_loads: list[str], monkeypatch) -> None:
    assert run_cli_here(root, "validate").returncode == 0
    monkeypatch.setattr(verdicts, "rules_fingerprint", lambda: "other rules")
    export(root, "claims.hxl.csv")
    assert len(checked_loads) == 1


def test_a_verdict_of_another_content_is_not_used(root: Path, checked_loads: list[str]) -> None:
    assert run_cli_here(root, "validate").returncode == 0
    places = root / "data" / "places.csv"
    places.write_bytes(places.read_bytes() + b"\n")  # a blank line: the same table, other bytes
    export(root, "claims.hxl.csv")
    assert len(checked_loads) == 1


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\xff\xfe not text",
        b"[1, 2]",
        b'{"version": 1}',
        b'{"version": 1, "data_dir": "/elsewhere", "rules": "x", "files": {"claims.csv": "0"}}',
        b'{"version": 1, "data_dir": "DATA", "rules": "RULES", "files": {"../claims.csv": "0"}}',
        b'{"version": 1, "data_dir": "DATA", "rules": "RULES", "files": {"claims.csv": 1}}',
        b'{"version": 1, "data_dir": "DATA", "rules": "RULES", "files": {}}',
    ],
)
def test_a_garbled_verdict_is_no_verdict(root: Path, checked_loads: list[str], garbage: bytes) -> None:
    expected = export(root, "expected.hxl.csv")
    [verdict] = verdict_files(root)
    data = str((root / "data").resolve()).encode()
    verdict.write_bytes(garbage.replace(b"DATA", data).replace(b"RULES", verdicts.rules_fingerprint().encode()))
    checked_loads.clear()
    assert export(root, "again.hxl.csv") == expected
    assert checked_loads, "a garbled verdict vouches for nothing"


def test_no_place_for_a_verdict_fails_nothing(root: Path) -> None:
    (root / ".build-state").write_text("a file where the state folder would be")
    assert run_cli_here(root, "validate").returncode == 0
    assert run_cli_here(root, "export", "hxl", str(root / "claims.hxl.csv")).returncode == 0


def test_the_export_of_a_vouched_folder_loads_neither_pandera_nor_the_loader(root: Path) -> None:
    assert run_cli_here(root, "validate").returncode == 0
    code = (
        "import sys; from casualty_workbook import cli; code = cli.main(sys.argv[1:]); "
        "print(sorted(m for m in ('pandera', 'casualty_workbook.data.loading') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "export", "hxl", str(root / "claims.hxl.csv")],
        cwd=REPO,
        env=cli_env(root),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_both_paths_record_the_same_files_as_read(root: Path, checked_loads: list[str], monkeypatch) -> None:
    from casualty_workbook.data.read_log import READ_LOG

    monkeypatch.setenv("WORKBOOK_ROOT", str(root))
    reads = []
    for name in ("checked.hxl.csv", "fast.hxl.csv"):
        READ_LOG.clear()
        hxl.export_hxl(root / name, root / "data")
        reads.append(READ_LOG.by_name())
    READ_LOG.clear()
    assert len(checked_loads) == 1
    assert reads[0] == reads[1] and "claims.csv" in reads[0] and "events.meta.yml" in reads[0]


def test_files_arrow_reads_otherwise_are_loaded_and_checked(root: Path, checked_loads: list[str], monkeypatch) -> None:
    import pyarrow as pa

    from casualty_workbook.interchange import hxl_fast

    expected = export(root, "expected.hxl.csv")
    checked_loads.clear()

    def unreadable(data_dir, columns):
        raise pa.ArrowInvalid("a file Arrow reads otherwise than the loader")

    monkeypatch.setattr(hxl_fast, "hxl_table", unreadable)
    assert export(root, "again.hxl.csv") == expected
    assert checked_loads, "the checked path decided"
