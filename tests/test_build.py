"""The build runner: a clean build reproduces the committed figures; unchanged inputs are skipped."""

from __future__ import annotations

import json
import re

import nbformat
from conftest import REPO, run_cli_here, tree_digest

from casualty_workbook.pipeline.catalogue import read_catalogue

# The reports the build makes, entries with for_each expanded (one event report per event).
REPORTS = {r.id: r for r in read_catalogue(REPO / "catalogue.yml", REPO / "notebooks", REPO / "data")}
REPORT_IDS = list(REPORTS)


def rerun_ids(output: str) -> set[str]:
    return set(re.findall(r"^\[\d+/\d+\] ok\s+(\S+)", output, flags=re.M))


def test_clean_build_succeeds(built_project):
    _root, result = built_project
    assert result.returncode == 0, result.stderr
    assert rerun_ids(result.stdout) == set(REPORT_IDS)
    assert f"Built {len(REPORT_IDS)} report(s)" in result.stdout


def test_clean_build_reproduces_committed_figures_byte_for_byte(built_project):
    """This is how CI regenerates figures: any committed figure that differs fails the suite."""
    root, _ = built_project
    from casualty_workbook.publish.drift import compare, format_drift

    drifts = compare(REPO / "figures", root / "figures")
    assert not drifts, format_drift(drifts)  # the changed numbers first, then the images


def test_every_report_has_notebook_html_and_figures(built_project):
    root, _ = built_project
    for report_id in REPORT_IDS:
        assert (root / "reports" / f"{report_id}.ipynb").is_file()
        html = (root / "reports" / f"{report_id}.html").read_text()
        assert html.rstrip().endswith("</html>")
        if "no chart is drawn" in html and not (root / "figures" / report_id).exists():
            continue  # an event with nothing to chart says so instead of drawing an empty chart
        assert list((root / "figures" / report_id).glob("*.png")), report_id
        assert list((root / "figures" / report_id).glob("*.svg")), report_id


def test_index_links_every_report_and_figure(built_project):
    root, _ = built_project
    index = (root / "reports" / "index.html").read_text()
    for report_id in REPORT_IDS:
        assert f'href="{report_id}.html"' in index
        for png in (root / "figures" / report_id).glob("*.png"):
            assert f'src="{report_id}/{png.name}"' in index  # a copy in reports/, never ../figures/


def test_executed_reports_record_parameters_data_versions_and_commit(built_project):
    root, _ = built_project
    for report_id in REPORT_IDS:
        record = nbformat.read(root / "reports" / f"{report_id}.ipynb", as_version=4).metadata["casualty_workbook"]
        assert record["parameters"] == REPORTS[report_id].parameters
        assert "claims.csv" in record["data"] or report_id == "kharkiv_front" or record["data"], record["data"]
        for name, digest in record["data"].items():
            assert tree_digest(root / "data")[name] == digest
        assert record["packages"]["pandas"] and record["packages"]["matplotlib"]
        assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?|unknown", record["git_commit"])


def test_ohchr_report_reconciles_3106_with_3404_in_its_output(built_project):
    root, _ = built_project
    nb = nbformat.read(root / "reports" / "ohchr_2014_2021.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "3,404 \\u2212 298 = 3,106; the report says 3,106: they agree." in text


def test_nothing_changed_skips_every_report(built_copy):
    result = run_cli_here(built_copy, "build")
    assert result.returncode == 0, result.stderr
    assert f"All {len(REPORT_IDS)} reports are up to date" in result.stdout
    assert rerun_ids(result.stdout) == set()


def _reports_reading(root, filename: str) -> set[str]:
    return {
        rid
        for rid in REPORT_IDS
        if filename
        in nbformat.read(root / "reports" / f"{rid}.ipynb", as_version=4).metadata["casualty_workbook"]["data"]
    }


def test_changing_one_data_file_reruns_exactly_the_reports_that_read_it(built_copy):
    expected = _reports_reading(built_copy, "ohchr_mine_share.csv")
    assert expected == {"ohchr_2014_2021", "ohchr_2014_2021_excluding_mh17"}
    path = built_copy / "data" / "ohchr_mine_share.csv"
    path.write_text(
        path.read_text().replace(
            "Mines and explosive remnants of war as a share", "Mines and other explosive remnants of war as a share"
        )
    )
    result = run_cli_here(built_copy, "build")
    assert result.returncode == 0, result.stderr
    assert rerun_ids(result.stdout) == expected


def test_changing_weapons_reruns_only_the_event_report(built_copy):
    expected = _reports_reading(built_copy, "weapon_systems.csv")
    # Every event's report reads the weapons (an event without any says so); no other report does.
    events = ("belgorod_strike_2024", "kharkiv_advance_2024", "donbas_war_2014_2021")
    running_count = "ohchr_civilians_ukraine_since_2022-02-24"  # an event too, though a count, not an incident
    assert expected == {f"event_report--{e}" for e in (*events, running_count)}
    path = built_copy / "data" / "weapon_systems.csv"
    path.write_text(
        path.read_text().replace("The report calls it a Soviet-era missile.", "Soviet-era according to the report.")
    )
    result = run_cli_here(built_copy, "build")
    assert rerun_ids(result.stdout) == expected, result.stdout + result.stderr


def test_changing_a_notebook_reruns_only_its_reports(built_copy):
    nb_path = built_copy / "notebooks" / "ohchr_2014_2021.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\n\nA sentence added by an analyst."
    nbformat.write(nb, nb_path)
    result = run_cli_here(built_copy, "build")
    assert rerun_ids(result.stdout) == {"ohchr_2014_2021", "ohchr_2014_2021_excluding_mh17"}, result.stdout


def test_a_deleted_figure_is_rebuilt(built_copy):
    (built_copy / "figures" / "context" / "count_in_period.png").unlink()
    result = run_cli_here(built_copy, "build")
    assert rerun_ids(result.stdout) == {"context"}, result.stdout
    assert tree_digest(built_copy / "figures") == tree_digest(REPO / "figures")


def test_force_and_only_rebuild_just_the_named_report(built_copy):
    result = run_cli_here(built_copy, "build", "--force", "--only", "provenance")
    assert result.returncode == 0, result.stderr
    assert rerun_ids(result.stdout) == {"provenance"}


def test_only_with_an_unknown_report_is_an_error(built_copy):
    result = run_cli_here(built_copy, "build", "--only", "nope")
    assert result.returncode == 2
    assert "unknown report(s) nope" in result.stderr and "Traceback" not in result.stderr


LITERAL = r"Officials (cost $5 and $6) $\undefinedcmd$"


def test_text_with_dollar_signs_is_drawn_literally_on_every_text_path():
    """The house style turns mathtext off: titles, labels, ticks, legends, annotations and free text alike."""
    import io

    import matplotlib.pyplot as plt

    from casualty_workbook.charts.style import use_house_style

    use_house_style()
    fig, ax = plt.subplots()
    try:
        ax.bar([LITERAL], [1], label=LITERAL)
        ax.set_title(LITERAL)
        ax.set_xlabel(LITERAL)
        ax.set_ylabel(LITERAL)
        ax.legend(title=LITERAL)
        ax.annotate(LITERAL, xy=(0, 0), xytext=(0, -30), textcoords="offset points")
        ax.text(0, 0.5, LITERAL)
        fig.suptitle(LITERAL)
        svg = io.BytesIO()
        fig.savefig(svg, format="svg")
        fig.savefig(io.BytesIO(), format="png")
    finally:
        plt.close(fig)
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_parse_math")) if t.get_text() == LITERAL]
    assert len(texts) >= 8 and not any(t.get_parse_math() for t in texts)
    assert svg.getvalue().decode().count(LITERAL) >= 8


def test_names_and_quotes_with_dollar_signs_build_and_are_drawn_as_written(project):
    from datatools import set_cell

    set_cell(project / "data", "claimants", "ru_officials", "name", LITERAL)
    set_cell(
        project / "data", "claims", "C001", "quote", r"causing at least 15 fatalities and 20 injuries $\undefinedcmd$"
    )
    validated = run_cli_here(project, "validate")
    assert validated.returncode == 0, validated.stderr
    reports = ("event_report--belgorod_strike_2024", "context", "provenance", "explore")
    result = run_cli_here(project, "build", "--jobs", "2", *[a for r in reports for a in ("--only", r)])
    assert result.returncode == 0, result.stdout + result.stderr
    drawn = [p for r in reports for p in (project / "figures" / r).glob("*.svg") if LITERAL in p.read_text()]
    assert drawn, "the claimant's name, as written, appears in no figure"


def test_metadata_is_an_input_of_every_report_that_reads_its_table(built_copy):
    """The source line of a figure is drawn from the table's .meta.yml: editing it reruns those reports."""
    expected = _reports_reading(built_copy, "ohchr_mine_share.meta.yml")
    assert (
        expected
        == _reports_reading(built_copy, "ohchr_mine_share.csv")
        == {"ohchr_2014_2021", "ohchr_2014_2021_excluding_mh17"}
    )
    assert _reports_reading(built_copy, "ohchr_totals.meta.yml") >= {"ohchr_2014_2021", "context"}
    path = built_copy / "data" / "ohchr_mine_share.meta.yml"
    path.write_text(path.read_text().replace("update as of 31 March 2021", "update as of 31 March 2021 (rev.)"))
    result = run_cli_here(built_copy, "build")
    assert result.returncode == 0, result.stderr
    assert rerun_ids(result.stdout) == expected


def test_broken_metadata_stops_even_a_build_with_nothing_else_changed(built_copy):
    path = built_copy / "data" / "ohchr_totals.meta.yml"
    path.write_text(path.read_text().replace("title: OHCHR totals", "title: 'OHCHR totals", 1))
    result = run_cli_here(built_copy, "build")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "up to date" not in result.stdout and "Traceback" not in result.stderr
    assert "ohchr_totals.meta.yml: invalid data" in result.stderr and "is not valid YAML at line" in result.stderr
    path.unlink()
    result = run_cli_here(built_copy, "build", "--force")
    assert (
        result.returncode == 2
        and "ohchr_totals.meta.yml" in result.stderr
        and "metadata file not found" in result.stderr
    )
    assert tree_digest(built_copy / "figures") == tree_digest(REPO / "figures")


def test_a_folder_or_a_link_out_of_the_data_folder_stops_a_build_that_has_state(built_copy, tmp_path):
    """With a previous build's state the runner hashes the data files first: a folder in place of one is no
    crash, and a link to the same bytes outside the data folder is refused, not taken as up to date."""
    claims = built_copy / "data" / "claims.csv"
    saved = tmp_path / "claims.csv"
    claims.rename(saved)
    claims.mkdir()
    result = run_cli_here(built_copy, "build")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{claims}: invalid data" in result.stderr and "file: is a folder, not a file" in result.stderr
    assert "Traceback" not in result.stderr
    claims.rmdir()
    claims.symlink_to(saved)
    result = run_cli_here(built_copy, "build")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "up to date" not in result.stdout
    assert f"{claims}: invalid data" in result.stderr and f"file: is a symbolic link to {saved}" in result.stderr
    assert tree_digest(built_copy / "figures") == tree_digest(REPO / "figures")


def test_the_build_state_is_saved_as_reports_are_published_not_only_at_the_end(tmp_path, monkeypatch):
    """Every few seconds during a build (and once more at its end, or when it is stopped), so that a build
    stopped part-way leaves only the rest of the reports to build."""
    from casualty_workbook.core.paths import Layout
    from casualty_workbook.pipeline.build import _StateRecorder
    from casualty_workbook.pipeline.catalogue import Report
    from casualty_workbook.pipeline.publish_outputs import Outcome

    layout = Layout(tmp_path, tmp_path / "figures", tmp_path / "reports")
    saved = layout.state_dir / "state.json"
    recorder = _StateRecorder(layout, {"version": 1, "reports": {}}, "code", tmp_path / "data")

    def published(report_id: str) -> Outcome:
        return Outcome(Report(report_id, "nb", report_id.upper()), True, 1.0, record={"data": {}}, outputs={"o": "h"})

    monkeypatch.setattr(_StateRecorder, "SAVE_EVERY", 0.0)
    recorder.record(published("a"))
    assert sorted(json.loads(saved.read_text())["reports"]) == ["a"]
    monkeypatch.setattr(_StateRecorder, "SAVE_EVERY", 3600.0)
    recorder.record(published("b"))
    recorder.record(Outcome(Report("a", "nb", "A"), False, 1.0, "failed"))
    assert sorted(json.loads(saved.read_text())["reports"]) == ["a"], "not rewritten after every report"
    recorder.save()
    assert sorted(json.loads(saved.read_text())["reports"]) == ["b"], "a failed report's record is dropped"


def test_an_ended_process_left_a_zombie_counts_as_stopped():
    """On Ctrl-C the runner stops its kernels and waits for them; a kernel whose warm server ended first
    is reaped by init, and may stay a zombie a while: waiting for it to vanish would delay the exit."""
    import subprocess
    import sys
    import time

    import psutil

    from casualty_workbook.pipeline.build import _still_running

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        assert _still_running(psutil.Process(sleeper.pid))
        zombie = psutil.Process(ended.pid)
        deadline = time.monotonic() + 30
        while zombie.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.02)  # ended, not yet reaped (nobody has waited for it)
        assert zombie.status() == psutil.STATUS_ZOMBIE
        assert not _still_running(zombie)
    finally:
        sleeper.kill()
        sleeper.wait()
        ended.wait()
    assert not _still_running(zombie), "reaped: no such process"
