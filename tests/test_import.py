"""`workbook import ucdp|acled`: dataset rows become events and claims, safe to repeat, a newer
release's changed figures become revisions, and a bad file is refused with nothing in data/ changed."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, run_cli_here, tree_digest

from casualty_workbook.analysis.tables import revision_history
from casualty_workbook.core.exceptions import DataValidationError
from casualty_workbook.data.loading import load_all

FIXTURES = Path(__file__).parent / "fixtures"
GED_1 = FIXTURES / "GEDEvent_v90_1_fictional.csv"
GED_2 = FIXTURES / "GEDEvent_v90_2_fictional.csv"
ACLED_1 = FIXTURES / "acled_export_fictional_1.csv"
ACLED_2 = FIXTURES / "acled_export_fictional_2.csv"


def claims(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "data" / "claims.csv", dtype=str, keep_default_na=False).set_index("claim_id")


def imported(root: Path, *args: str) -> str:
    result = run_cli_here(root, "import", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ucdp_rows_become_events_and_claims_by_ucdp(root: Path) -> None:
    out = imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    assert "4 of 4 rows selected" in out
    tables = load_all(root / "data")  # every rule of `workbook validate` holds
    table = claims(root)
    killed = table.loc["ucdp-ged-900001-killed-v90_1"]
    assert (killed["value_low"], killed["value_best"], killed["value_high"]) == ("12", "14", "19")
    assert (killed["qualifier"], killed["claimant"], killed["source_id"]) == ("estimate", "ucdp", "ucdp_ged_v90_1")
    assert killed["status"] == "unverified" and killed["reported_on"] == "2025-06-01"
    assert "Fictional regional governor" in killed["note"]  # who UCDP relied on is kept
    civilians = table.loc["ucdp-ged-900001-civilians-v90_1"]
    assert (civilians["population"], civilians["value_best"], civilians["value_low"]) == ("civilians", "14", "")
    event = tables["events"].set_index("event_id").loc["ucdp-ged-900001"]
    assert str(event["date_start"].date()) == "2024-05-12" and event["date_precision"] == "day"
    assert (event["latitude"], event["longitude"], event["region"]) == (50.6, 36.6, "Belgorod Oblast")
    assert "where_prec 1" in event["description"]
    spread = tables["events"].set_index("event_id").loc["ucdp-ged-900002"]
    assert spread["date_precision"] == "range" and str(spread["date_end"].date()) == "2024-05-11"
    source = tables["sources"].set_index("source_id").loc["ucdp_ged_v90_1"]
    assert source["kind"] == "dataset" and "90.1" in source["title"]
    assert source["own_document_of"] == "ucdp"  # the release is UCDP's own document, not an outlet carrying it


def test_a_coded_figure_is_unverified_and_its_release_is_its_producers_own_document(root: Path) -> None:
    imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    imported(root, "acled", str(ACLED_1))
    tables = load_all(root / "data")
    coded = tables["claims"][tables["claims"]["claimant"].isin(["ucdp", "acled"])]
    assert set(coded["status"]) == {"unverified"} and set(coded["quote_kind"]) == {"as_recorded"}
    owners = tables["sources"].set_index("source_id")["own_document_of"]
    assert all(owners[s] == c for s, c in zip(coded["source_id"], coded["claimant"], strict=True))
    # The release cannot make its own figure 'secondary': the status rule refuses it, naming row and column.
    path = root / "data" / "claims.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(frame.index[frame["claim_id"] == "ucdp-ged-900001-killed-v90_1"][0]) + 2
    frame.loc[frame["claim_id"] == "ucdp-ged-900001-killed-v90_1", "status"] = "secondary"
    frame.to_csv(path, index=False)
    result = run_cli_here(root, "validate")
    assert result.returncode == 2
    assert f"row {row}, column source_id" in result.stderr and "carrying source" in result.stderr, result.stderr


def test_the_same_file_twice_changes_nothing(root: Path) -> None:
    imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    imported(root, "acled", str(ACLED_1))
    before = tree_digest(root / "data")
    assert "nothing changed" in imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    assert "nothing changed" in imported(root, "acled", str(ACLED_1))
    assert tree_digest(root / "data") == before


def test_hand_made_rows_are_kept_byte_for_byte(root: Path) -> None:
    originals = {name: (REPO / "data" / name).read_bytes() for name in ("claims.csv", "events.csv", "sources.csv")}
    imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    for name, data in originals.items():
        assert (root / "data" / name).read_bytes().startswith(data), name


def test_a_newer_release_revises_the_changed_figures_only(root: Path) -> None:
    imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    out = imported(root, "ucdp", str(GED_2), "--released", "2025-07-01")
    assert "2 revised figures" in out
    load_all(root / "data")
    table = claims(root)
    assert table.loc["ucdp-ged-900001-killed-v90_2", "revises"] == "ucdp-ged-900001-killed-v90_1"
    assert table.loc["ucdp-ged-900001-killed-v90_2", "value_best"] == "17"
    assert table.loc["ucdp-ged-900001-civilians-v90_2", "revises"] == "ucdp-ged-900001-civilians-v90_1"
    assert "ucdp-ged-900002-killed-v90_2" not in table.index  # its figure did not change
    assert table.loc["ucdp-ged-900005-killed-v90_2", "revises"] == ""  # a new event
    # The revision is on the event's toll history like a hand-made one.
    history = revision_history(load_all(root / "data")["claims"], "ucdp-ged-900001", "killed")
    assert list(history["claim_id"]) == [
        "ucdp-ged-900001-civilians-v90_1",
        "ucdp-ged-900001-killed-v90_1",
        "ucdp-ged-900001-civilians-v90_2",
        "ucdp-ged-900001-killed-v90_2",
    ]


def test_a_changed_figure_under_the_same_release_is_refused(root: Path, tmp_path: Path) -> None:
    imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    before = tree_digest(root / "data")
    text = GED_1.read_text(encoding="utf-8").replace(",14,19,12,", ",15,19,12,", 1)
    changed = tmp_path / "GEDEvent_v90_1_edited.csv"
    changed.write_text(text, encoding="utf-8")
    result = run_cli_here(root, "import", "ucdp", str(changed), "--released", "2025-06-01")
    assert result.returncode == 2
    assert str(changed) in result.stderr and "row 2" in result.stderr and "newer release" in result.stderr
    assert tree_digest(root / "data") == before


def test_filters_country_dates_box_and_admin_area(root: Path) -> None:
    out = imported(
        root,
        "ucdp",
        str(GED_1),
        "--released",
        "2025-06-01",
        "--country",
        "ukraine",
        "--since",
        "2024-05-01",
        "--until",
        "2024-05-31",
    )
    assert "1 of 4 rows selected" in out
    assert set(claims(root).query("claimant == 'ucdp'")["event_id"]) == {"ucdp-ged-900002"}
    out = imported(root, "ucdp", str(GED_1), "--bbox", "36.0,50.0,37.0,51.0")  # the day recorded before
    assert "1 of 4 rows selected" in out
    out = imported(root, "acled", str(ACLED_1), "--admin1", "Belgorod")
    assert "1 of 3 rows selected" in out
    load_all(root / "data")


def test_acled_fatalities_are_a_lower_bound_and_a_newer_export_revises(root: Path) -> None:
    imported(root, "acled", str(ACLED_1))
    table = claims(root)
    first = table.loc["acled-XRU9001-killed-1715817600"]
    assert (first["qualifier"], first["value_low"], first["value_best"], first["value_high"]) == (
        "at_least",
        "13",
        "13",
        "",
    )
    assert first["reported_on"] == "2024-05-16" and "fictional test strike" in first["quote"]
    assert "Fictional Wire" in first["note"]
    out = imported(root, "acled", str(ACLED_2))
    assert "1 revised figures" in out
    load_all(root / "data")
    assert claims(root).loc["acled-XRU9001-killed-1716422400", "revises"] == "acled-XRU9001-killed-1715817600"


def test_a_release_is_never_refused_for_its_own_anomalies(root: Path, tmp_path: Path) -> None:
    # Real releases hold rows whose low is above best or high below it: imported as recorded, marked, counted.
    bad = _bad_copy(tmp_path / "in", GED_1, lambda b: b.replace(b",0,5,8,5,", b",0,5,8,7,", 1))
    out = imported(root, "ucdp", str(bad), "--released", "2025-06-01")
    assert "1 rows imported as recorded and marked: low above best" in out
    load_all(root / "data")
    marked = claims(root).loc["ucdp-ged-900004-killed-v90_1"]
    assert (marked["value_low"], marked["value_best"], marked["value_high"]) == ("", "5", "8")
    assert "(low 7, high 8)" in marked["quote"] and "low (7) is above its best (5)" in marked["note"]


def _without_column(data: bytes, column: str) -> bytes:
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False).drop(columns=[column])
    return frame.to_csv(index=False).encode("utf-8")


def _bad_copy(folder: Path, source: Path, edit) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / source.name
    path.write_bytes(edit(source.read_bytes()))
    return path


BAD_FILES = {
    "renamed column": (
        GED_1,
        lambda b: b.replace(b",best,", b",best_estimate,", 1),
        "row 1, column best: required column is missing",
    ),
    "missing column": (
        ACLED_1,
        lambda b: _without_column(b, "fatalities"),
        "row 1, column fatalities: required column is missing",
    ),
    "non-numeric count": (
        GED_1,
        lambda b: b.replace(b",0,5,8,5,", b",0,5,eight,5,", 1),
        "row 5, column high, value 'eight'",
    ),
    "date not a date": (ACLED_1, lambda b: b.replace(b"2024-05-11", b"2024-05-41", 1), "row 3, column event_date"),
    "unknown encoding": (
        GED_1,
        lambda b: b.replace(b"Fictional village (fictional", "Fictional villag\xe9 (".encode("latin-1"), 1),
        "row 3: is not UTF-8 text",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_naming_file_row_and_column(root: Path, tmp_path: Path, case: str) -> None:
    source, edit, message = BAD_FILES[case]
    bad = _bad_copy(tmp_path / "in", source, edit)
    assert bad.read_bytes() != source.read_bytes()
    before = tree_digest(root / "data")
    args = ["ucdp", str(bad), "--released", "2025-06-01"] if source.name.startswith("GED") else ["acled", str(bad)]
    result = run_cli_here(root, "import", *args)
    assert result.returncode == 2, result.stdout
    assert str(bad) in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(root / "data") == before


def test_bad_options_are_refused_before_reading(root: Path) -> None:
    for args, message in (
        (["--bbox", "36,50,35,51"], "--bbox"),
        (["--since", "2024-13-01"], "--since"),
        (["--since", "2024-06-01", "--until", "2024-05-01"], "--since"),
    ):
        result = run_cli_here(root, "import", "ucdp", str(GED_1), *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    result = run_cli_here(root, "import", "ucdp", str(FIXTURES / "acled_export_fictional_1.csv"))
    assert result.returncode == 2 and "--release" in result.stderr


def test_an_older_release_after_a_newer_one_takes_its_place_in_the_chain(root: Path) -> None:
    # Imported newest first: the older release's figures are recorded as the older release's,
    # before the newer ones, which then revise them; the current figure stays the newer release's.
    imported(root, "ucdp", str(GED_2), "--released", "2025-07-01")
    out = imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    assert "later figures now revise an older release's" in out
    tables = load_all(root / "data")
    table = claims(root)
    assert table.loc["ucdp-ged-900001-killed-v90_2", "revises"] == "ucdp-ged-900001-killed-v90_1"
    assert table.loc["ucdp-ged-900001-killed-v90_1", "revises"] == ""
    history = revision_history(tables["claims"], "ucdp-ged-900001", "killed")
    assert list(history["claim_id"])[-1] == "ucdp-ged-900001-killed-v90_2"
    # The event keeps the newer release's description.
    event = tables["events"].set_index("event_id").loc["ucdp-ged-900001"]
    assert event["description"].startswith("UCDP GED 90.2 ")
    # The older release's unchanged figure (event 900002) is recorded once, as the older release's.
    assert "ucdp-ged-900002-killed-v90_1" in table.index and "ucdp-ged-900002-killed-v90_2" in table.index
    before = tree_digest(root / "data")
    assert "nothing changed" in imported(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    assert "nothing changed" in imported(root, "ucdp", str(GED_2), "--released", "2025-07-01")
    assert tree_digest(root / "data") == before


def test_the_check_of_new_rows_sees_ids_and_rows_of_the_whole_table(root: Path) -> None:
    # Only the rows an import adds are checked cell by cell, but an id must stay unique across the
    # rows kept, and a problem names the row the file will have.
    from casualty_workbook.interchange.common import check_tables, read_table

    folder = root / "data"
    original = read_table(folder, "claims")
    first = original.iloc[0].copy()
    clash = first.copy()
    clash["quote"] = clash["quote"] + " (again)"
    broken = first.copy()
    broken["claim_id"], broken["value_best"] = "new-claim-1", "twelve"
    merged = pd.concat([original, pd.DataFrame([clash, broken])], ignore_index=True)
    with pytest.raises(DataValidationError) as caught:
        check_tables(folder, {"claims": merged}, {"claims": original})
    text = str(caught.value)
    n = len(original)
    assert f"row {n + 2}, column claim_id" in text and "must be unique" in text, text
    assert f"row {n + 3}, column value_best, value 'twelve'" in text, text
    assert "row 2," not in text  # the kept row itself is not blamed
