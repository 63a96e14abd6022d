"""The field's files as users download them: every UCDP GED layout since 19.1 (real rows, committed
as short excerpts) and every ACLED layout since 2019 (the real header lines, fictional rows); a
release's own anomalies marked, never refused; releases in order; encodings; and an HXL export
whose ``#affected+killed`` adds up to the current figures."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import hxl
import pandas as pd
from conftest import REPO, run_cli_here, tree_digest
from hxl.input import InputOptions

from casualty_workbook.data.loading import load_all
from casualty_workbook.interchange.ucdp import release_from_name

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "real"
GED_191 = REAL / "ged191_myanmar_bangladesh_excerpt.csv"  # GED 19.1, the 42-column layout
GED_API = REAL / "ucdp_ged_api_ukraine_excerpt.csv"  # the 49-column layout as the UCDP API writes it
GED_1 = FIXTURES / "GEDEvent_v90_1_fictional.csv"
GED_2 = FIXTURES / "GEDEvent_v90_2_fictional.csv"
ACLED_API_2022 = FIXTURES / "acled_api_2022_fictional.csv"
ACLED_TOOL_2022 = FIXTURES / "acled_export_tool_2022_fictional.csv"
ACLED_CURRENT = FIXTURES / "acled_export_fictional_1.csv"
ACLED_OLD = FIXTURES / "acled_before_2019_fictional.csv"


def ok(root: Path, *args: str) -> str:
    result = run_cli_here(root, "import", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(root: Path, *args: str) -> str:
    before = tree_digest(root / "data")
    result = run_cli_here(root, "import", *args)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert tree_digest(root / "data") == before  # nothing in data/ changed
    return result.stderr


def claims(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "data" / "claims.csv", dtype=str, keep_default_na=False).set_index("claim_id")


def frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write(frame_: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame_.to_csv(path, index=False)
    return path


# ---- UCDP GED: every layout since 19.1 --------------------------------------------------------


def test_ged_19_1_the_42_column_layout_imports_with_its_anomalies_marked(root: Path) -> None:
    out = ok(root, "ucdp", str(GED_191), "--release", "19.1", "--released", "2019-06-01")
    assert "11 of 11 rows selected" in out
    assert "3 rows imported as recorded and marked: high below best" in out
    load_all(root / "data")  # every rule of `workbook validate` holds
    table = claims(root)
    # GED row 71686: low 0, best 3, high 0 — best kept, the contradicting high left out, the quote as stated.
    marked = table.loc["ucdp-ged-71686-killed-v19_1"]
    assert (marked["value_low"], marked["value_best"], marked["value_high"]) == ("0", "3", "")
    assert "(low 0, high 0)" in marked["quote"] and "high (0) is below its best (3)" in marked["note"]
    first = table.loc["ucdp-ged-209980-killed-v19_1"]
    assert (first["value_low"], first["value_best"], first["value_high"]) == ("1", "1", "30")
    assert "Outlets: Democratic Voice of Burma" in first["note"]


def test_ged_api_csv_iso_datetimes_and_true_false_import(root: Path) -> None:
    out = ok(root, "ucdp", str(GED_API), "--release", "22.1", "--released", "2022-06-01")
    assert "15 of 15 rows selected" in out
    assert "2 rows imported as recorded and marked: high below best" in out
    assert "2 rows imported as recorded and marked: low above best" in out
    tables = load_all(root / "data")
    event = tables["events"].set_index("event_id").loc["ucdp-ged-147997"]
    assert str(event["date_start"].date()) == "2014-01-22"  # written 2014-01-22T00:00:00
    assert (event["side_a"], event["side_b"]) == ("Government of Ukraine", "Maidan")
    assert event["event_type"] == "state-based conflict"


def test_a_candidate_release_with_midnight_times_and_other_booleans(root: Path, tmp_path: Path) -> None:
    # A Candidate release has the 49-column layout; its name gives the version, dates may carry
    # a midnight time and booleans may be written True or 1.
    rows = frame(GED_API)
    rows["active_year"] = ["True" if i % 2 else "1" for i in range(len(rows))]
    for column in ("date_start", "date_end"):
        rows[column] = rows[column].str.replace("T00:00:00", " 00:00:00.000", regex=False)
    candidate = write(rows, tmp_path / "in" / "GEDEvent_v24_0_3.csv")
    assert release_from_name(candidate) == "24.0.3"
    ok(root, "ucdp", str(candidate), "--released", "2024-04-20")
    assert "ucdp-ged-147997-killed-v24_0_3" in claims(root).index
    load_all(root / "data")


def test_columns_the_mapping_does_not_use_are_never_required(root: Path, tmp_path: Path) -> None:
    unused = ["active_year", "conflict_dset_id", "dyad_new_id", "gwnoa", "gwnob", "geom_wkt", "priogrid_gid"]
    unused += ["relid", "code_status", "where_description"]  # the columns GED 20 added: read when present
    trimmed = write(frame(GED_API).drop(columns=unused), tmp_path / "in" / "trimmed.csv")
    ok(root, "ucdp", str(trimmed), "--release", "22.1", "--released", "2022-06-01")
    load_all(root / "data")


def test_a_missing_needed_column_or_a_count_not_a_number_is_refused(root: Path, tmp_path: Path) -> None:
    missing = write(frame(GED_API).drop(columns=["deaths_civilians"]), tmp_path / "in" / "missing.csv")
    err = refused(root, "ucdp", str(missing), "--release", "22.1", "--released", "2022-06-01")
    assert str(missing) in err and "row 1, column deaths_civilians: required column is missing" in err
    rows = frame(GED_API)
    rows.loc[3, "best"] = "about 5"
    bad = write(rows, tmp_path / "in" / "bad.csv")
    err = refused(root, "ucdp", str(bad), "--release", "22.1", "--released", "2022-06-01")
    assert str(bad) in err and "row 5, column best, value 'about 5'" in err


# ---- releases in order --------------------------------------------------------------------------


def test_a_release_without_a_known_day_is_refused(root: Path, tmp_path: Path) -> None:
    err = refused(root, "ucdp", str(GED_API), "--release", "22.1")
    assert "--released" in err
    # The day in the file's name is the release's day; a repeat import finds the day recorded.
    dated = tmp_path / "in" / "ged_ukraine_2022-06-01.csv"
    dated.parent.mkdir()
    shutil.copy(GED_API, dated)
    ok(root, "ucdp", str(dated), "--release", "22.1")
    assert set(claims(root).query("claimant == 'ucdp'")["reported_on"]) == {"2022-06-01"}
    assert "nothing changed" in ok(root, "ucdp", str(GED_API), "--release", "22.1")


def test_an_event_missing_from_a_newer_release_is_withdrawn_in_it(root: Path, tmp_path: Path) -> None:
    ok(root, "ucdp", str(GED_API), "--release", "22.1", "--released", "2022-06-01")
    newer = frame(GED_API)
    dropped = newer.loc[0, "id"]
    newer = newer.drop(index=0)
    newer.loc[1, "best"], newer.loc[1, "high"] = "3", "3"  # a changed figure: a revision
    later = write(newer, tmp_path / "in" / "GEDEvent_v23_1.csv")
    out = ok(root, "ucdp", str(later), "--released", "2023-06-01")
    assert "2 figures of events an earlier release listed and this one does not are recorded as withdrawn" in out
    load_all(root / "data")
    table = claims(root)
    gone = table.loc[f"ucdp-ged-{dropped}-killed-v23_1"]
    assert gone["qualifier"] == "not_reported" and gone["value_best"] == ""
    assert gone["revises"] == f"ucdp-ged-{dropped}-killed-v22_1" and "Withdrawn" in gone["note"]
    # A file of other countries withdraws nothing it does not cover.
    withdrawn = claims(root)["note"].str.startswith("Withdrawn").sum()
    out = ok(root, "ucdp", str(GED_191), "--release", "24.1", "--released", "2024-06-01")
    assert "withdrawn" not in out and claims(root)["note"].str.startswith("Withdrawn").sum() == withdrawn


# ---- HXL that adds up ------------------------------------------------------------------------


def exported(root: Path) -> list[dict[str, str]]:
    out = root / "claims.hxl.csv"
    result = run_cli_here(root, "export", "hxl", str(out))
    assert result.returncode == 0, result.stderr
    data = hxl.data(str(out), InputOptions(allow_local=True))
    tags = [c.display_tag for c in data.columns if c.display_tag]
    return [{tag: row.get(tag) for tag in tags} for row in data]


def test_affected_killed_sums_to_the_current_figures(root: Path, tmp_path: Path) -> None:
    ok(root, "ucdp", str(GED_1), "--released", "2025-06-01")
    ok(root, "ucdp", str(GED_2), "--released", "2025-07-01")
    rows = [r for r in exported(root) if r["#event+id"].startswith("ucdp-ged-")]
    killed = [int(r["#affected+killed"]) for r in rows if r["#affected+killed"]]
    latest = pd.to_numeric(frame(GED_2)["best"]).sum()  # the newer release lists every event
    assert sum(killed) == latest and len(killed) == len(frame(GED_2))
    # Superseded figures and the civilians keep their values under #indicator+value only.
    old = next(r for r in rows if r["#meta+id"] == "ucdp-ged-900001-killed-v90_1")
    assert (old["#affected+killed"] or "", old["#indicator+value+num"], old["#meta+current"]) == ("", "14", "false")
    civilians = next(r for r in rows if r["#meta+id"] == "ucdp-ged-900001-civilians-v90_2")
    assert not civilians["#affected+killed"] and civilians["#meta+population"] == "civilians"


def test_hxl_names_place_area_type_sides_and_outlets(root: Path) -> None:
    ok(root, "ucdp", str(GED_191), "--release", "19.1", "--released", "2019-06-01")
    ok(root, "acled", str(ACLED_API_2022))
    rows = {r["#meta+id"]: r for r in exported(root)}
    ged = rows["ucdp-ged-209980-killed-v19_1"]
    assert (ged["#loc+name"], ged["#adm1+name"], ged["#adm2+name"]) == (
        "Laukkaing Town",
        "Shan State",
        "Laukkaing District",
    )
    assert (ged["#event+type"], ged["#group+name+first"], ged["#group+name+second"]) == (
        "state-based conflict",
        "Government of Myanmar (Burma)",
        "MNDAA",
    )
    assert ged["#meta+source+outlets"] == "Democratic Voice of Burma"
    acled = rows["acled-XFR9101-killed-1650394649"]
    assert (acled["#country+code"], acled["#event+type"], acled["#loc+name"]) == ("XFR", "Battles", "Fictional town")
    assert acled["#meta+source+outlets"] == "Fictional Wire; Fictional Daily" and acled["#affected+killed"] == "4"
    assert not rows["acled-XFR9102-killed-1650394649"]["#affected+killed"]  # ACLED's 0: no figure


# ---- ACLED: every layout since 2019 ----------------------------------------------------------


def test_acled_2022_api_layout_imports_and_zero_is_no_fatalities_reported(root: Path) -> None:
    out = ok(root, "acled", str(ACLED_API_2022))
    assert "3 of 3 rows selected" in out
    load_all(root / "data")
    table = claims(root)
    zero = table.loc["acled-XFR9102-killed-1650394649"]
    assert (zero["qualifier"], zero["value_low"], zero["value_best"]) == ("not_reported", "", "")
    assert "no fatalities reported" in zero["quote"]
    four = table.loc["acled-XFR9101-killed-1650394649"]
    assert (four["qualifier"], four["value_low"], four["value_best"], four["value_high"]) == ("at_least", "4", "4", "")


def test_acled_export_tool_dates_give_the_same_rows(root: Path) -> None:
    ok(root, "acled", str(ACLED_API_2022))
    # The export tool writes '15 April 2022': the same events, the same export, nothing new.
    assert "nothing changed" in ok(root, "acled", str(ACLED_TOOL_2022))


def test_acled_api_column_order_and_the_current_layout(root: Path, tmp_path: Path) -> None:
    rows = frame(ACLED_CURRENT)
    shuffled = write(rows[list(reversed(rows.columns))], tmp_path / "in" / "api_order.csv")
    ok(root, "acled", str(ACLED_CURRENT))
    assert "nothing changed" in ok(root, "acled", str(shuffled))
    events = load_all(root / "data")["events"].set_index("event_id")
    assert "Political violence / Explosions/Remote violence" in events.loc["acled-xru9001", "description"]
    assert "civilian_targeting: Civilian targeting" in events.loc["acled-xru9001", "description"]


def test_acled_source_depends_on_the_file_not_the_filter(root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(REPO / "data", other / "data")
    ok(root, "acled", str(ACLED_API_2022), "--event-type", "Protests")
    ok(other, "acled", str(ACLED_API_2022), "--admin1", "Other Fictional Oblast")
    sources = [{s for s in claims(r)["source_id"] if s.startswith("acled")} for r in (root, other)]
    assert sources == [{"acled_export_20220419"}, {"acled_export_20220419"}]


def test_event_type_filter_and_types_recorded(root: Path) -> None:
    out = ok(root, "acled", str(ACLED_API_2022), "--event-type", "protests", "--event-type", "Battles")
    assert "2 of 3 rows selected" in out
    out = ok(root, "ucdp", str(GED_191), "--release", "19.1", "--released", "2019-06-01", "--event-type", "3")
    assert "of 11 rows selected" in out
    events = load_all(root / "data")["events"].set_index("event_id")
    recorded = events.loc["acled-xfr9102", ["event_type", "place_name", "admin2", "country_code", "side_a", "side_b"]]
    assert recorded.fillna("").tolist() == [
        "Protests",
        "Fictional town",
        "Fictional raion",
        "XFR",
        "Protesters (Freedonia)",
        "",
    ]


def test_acled_before_2019_is_refused_by_its_layout(root: Path) -> None:
    err = refused(root, "acled", str(ACLED_OLD))
    assert str(ACLED_OLD) in err and "ACLED's layout from before 2019" in err


# ---- encodings and ambiguous dates --------------------------------------------------------------


def test_a_file_saved_by_excel_is_refused_saying_how_to_import_it(root: Path, tmp_path: Path) -> None:
    text = ACLED_CURRENT.read_text(encoding="utf-8").replace("Fictional village", "Fictional villagé")
    excel = tmp_path / "in" / "acled_excel.csv"
    excel.parent.mkdir()
    excel.write_bytes(text.encode("cp1252"))
    err = refused(root, "acled", str(excel))
    assert "row 3: is not UTF-8 text" in err and "--encoding cp1252" in err and "CSV UTF-8" in err
    ok(root, "acled", str(excel), "--encoding", "cp1252")
    assert "Fictional villagé" in load_all(root / "data")["events"].set_index("event_id").loc["acled-xua9002", "name"]


def test_an_ambiguous_date_is_refused_never_guessed(root: Path, tmp_path: Path) -> None:
    rows = frame(ACLED_CURRENT)
    rows.loc[1, "event_date"] = "03/04/2024"
    bad = write(rows, tmp_path / "in" / "acled_dates.csv")
    err = refused(root, "acled", str(bad))
    assert "row 3, column event_date, value '03/04/2024': is ambiguous" in err


def test_the_real_excerpts_are_real_rows() -> None:
    # The committed excerpts are rows of the files as downloaded: their layouts and their ids.
    with GED_191.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert len(header) == 42 and "relid" not in header
    api = frame(GED_API)
    assert len(api.columns) == 49 and api.loc[0, "date_start"] == "2014-01-22T00:00:00"
    assert set(api["active_year"]) == {"true", "false"}
    assert "CC BY 4.0" in (REAL / "README.md").read_text(encoding="utf-8")


def test_coded_events_name_the_place_and_the_event_date(root: Path) -> None:
    import matplotlib.pyplot as plt

    from casualty_workbook.analysis import tables as analysis
    from casualty_workbook.charts import coded_events as coded
    from casualty_workbook.data.loading import load_claims, load_table

    ok(root, "acled", str(ACLED_CURRENT))
    everything, events = load_claims(root / "data"), load_table("events", root / "data")
    near = coded.coded_near(everything, events, "belgorod_strike_2024", days=5)
    claimed = analysis.event_claims(everything, "belgorod_strike_2024", metrics=("killed",))
    ax = coded.plot_coded_beside_claims(claimed, coded=near)
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    plt.close(ax.figure)
    [label] = [text for text in labels if "ACLED" in text]
    # Its place and the day of the event (12 May), not the day ACLED last changed the row (16 May).
    assert "Shelling/artillery/missile attack: Belgorod, 12 May 2024" in label and "reported 16 May 2024" in label
