"""A build records what its notebooks read as they read it, and no notebook changes the data or
another report's figures unnoticed; a report run beside a build works in a scratch folder of its own.

Each build here runs one or two reports of the catalogue (``--only``, ``--jobs 1``)."""

from __future__ import annotations

import subprocess

import nbformat
import pytest
from conftest import REPO, run_cli_here, tree_digest
from test_faults import insert_cell, only, read_until, start_build

pytestmark = pytest.mark.slow


def before_last_cell(root, notebook: str, source: str) -> None:
    """A cell after every cell that reads data, before the provenance cell (the last)."""
    cells = nbformat.read(root / "notebooks" / f"{notebook}.ipynb", as_version=4).cells
    insert_cell(root, notebook, source, position=len(cells) - 1)


def git_commit_all(root) -> None:
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_a_data_file_edited_while_a_report_runs_makes_it_stale_for_the_next_build(project):
    reached, go = project.parent / "reached", project.parent / "go"
    before_last_cell(
        project,
        "provenance",
        f"import pathlib, time\npathlib.Path({str(reached)!r}).touch()\nfor _ in range(1200):\n"
        f"    if pathlib.Path({str(go)!r}).exists():\n        break\n    time.sleep(0.1)",
    )
    build = start_build(project, *only("provenance"), "--jobs", "1")
    for _ in range(1200):
        if reached.exists() or build.poll() is not None:
            break
        subprocess.run(["sleep", "0.1"])
    assert reached.exists(), "the report never reached its waiting cell"
    claims = project / "data" / "claims.csv"
    claims.write_bytes(claims.read_bytes() + b"\n")  # a blank line at the end: valid, but other bytes
    go.touch()
    out, err = build.communicate(timeout=600)
    # It read the old claims: not published as if it were up to date (before, the state recorded the
    # new file's hash and the next build skipped it).
    assert build.returncode == 1 and "[1/1] FAILED provenance" in out, out + err
    assert f"{claims} was changed" in err and "if you edited a file yourself meanwhile, build again" in err
    assert claims.read_bytes().endswith(b"\n\n"), "an edit by hand is never undone without git"
    again = run_cli_here(project, "build", *only("provenance"), "--jobs", "1")
    assert again.returncode == 0, again.stderr
    assert "Building 1 of 1 report" in again.stdout, "the report read the old claims: it must run again"
    third = run_cli_here(project, "build", *only("provenance"))
    assert "All 1 report is up to date" in third.stdout


def test_a_notebook_that_deletes_a_data_file_fails_naming_it(project):
    before_last_cell(project, "context", "import os\nos.remove('../data/sources.meta.yml')")
    figures = tree_digest(project / "figures")
    result = run_cli_here(project, "build", *only("context"), "--jobs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[1/1] FAILED context" in result.stdout
    assert f"{project / 'data' / 'sources.meta.yml'} was deleted" in result.stderr
    assert (
        "files no report may change (the data, other reports' figures) changed while it ran" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert tree_digest(project / "figures") == figures, "nothing of the report was published"
    assert not (project / "reports" / "context.html").exists()


def test_a_notebook_that_appends_to_data_and_to_another_report_s_figure_fails_and_git_restores_them(project):
    other = "figures/provenance/figures_by_status.csv"
    before_last_cell(
        project,
        "context",
        "with open('../data/claimants.csv', 'a') as f:\n    f.write('x,y\\n')\n"
        f"with open('../{other}', 'a') as f:\n    f.write('1,2\\n')",
    )
    git_commit_all(project)
    data = tree_digest(project / "data")
    result = run_cli_here(project, "build", *only("context"), "--jobs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    kept = project / ".build-state" / "changed"
    assert (
        f"{project / 'data' / 'claimants.csv'} was changed, restored from git (what it held is kept in "
        f"{kept / 'data' / 'claimants.csv'})" in result.stderr
    )
    assert f"{project / other} was changed, restored from git" in result.stderr
    assert (kept / "data" / "claimants.csv").read_bytes().endswith(b"x,y\n")
    assert tree_digest(project / "data") == data
    assert tree_digest(project / "figures") == tree_digest(REPO / "figures")


def test_a_report_run_beside_a_build_uses_its_own_scratch_folder_and_both_finish(project):
    """Both used .build-state/staging: each removed the other's runs ('output folder … doesn't exist')."""
    go = project.parent / "go"
    insert_cell(
        project,
        "provenance",
        f"import pathlib, time\nfor _ in range(1200):\n    if pathlib.Path({str(go)!r}).exists():\n"
        "        break\n    time.sleep(0.1)",
    )
    build = start_build(project, *only("provenance"), "--jobs", "1")
    assert read_until(build, "Building"), "the build never got going"
    report = run_cli_here(project, "report", "context", "year_from=2016")
    go.touch()
    out, err = build.communicate(timeout=600)
    assert report.returncode == 0, report.stdout + report.stderr
    assert build.returncode == 0, err
    assert "[1/1] ok " in out
    assert not list((project / ".build-state" / "staging").iterdir()), "each run removed its own scratch folder"


def test_the_state_keys_a_report_by_the_hashes_its_notebook_saw_not_the_files_at_record_time(project):
    """A report that read claims.csv before an edit is recorded with the old hash: stale for the next build."""
    from casualty_workbook.core.files import sha256_file
    from casualty_workbook.core.paths import Layout
    from casualty_workbook.pipeline.build import _StateRecorder
    from casualty_workbook.pipeline.build_state import code_hash, plan
    from casualty_workbook.pipeline.catalogue import read_catalogue
    from casualty_workbook.pipeline.publish_outputs import Outcome

    layout = Layout(project, project / "figures", project / "reports")
    report = next(r for r in read_catalogue(layout.catalogue, layout.notebooks) if r.id == "provenance")
    data = project / "data"
    seen = {"claims.csv": sha256_file(data / "claims.csv")}
    (data / "claims.csv").write_bytes((data / "claims.csv").read_bytes() + b"\n")  # edited after the read
    state = {"version": 1, "reports": {}}
    code = code_hash(layout)
    recorder = _StateRecorder(layout, state, code, data, {})
    out = project / "figures" / "provenance" / "figures_by_status.csv"
    outputs = {"figures/provenance/figures_by_status.csv": sha256_file(out)}
    recorder.record(Outcome(report, True, 1.0, record={"data": seen}, outputs=outputs))
    assert plan([report], layout, state, data, code) == [report]


@pytest.mark.parametrize(("code", "words"), [(30, "Read-only file system"), (28, "No space left on device")])
def test_a_read_only_or_full_disk_fails_the_report_with_a_message(project, monkeypatch, code, words):
    """Errno 30 and 28 while publishing were a traceback (after a misleading 'Invalid cross-device link')."""
    import casualty_workbook.pipeline.publish_outputs as publish_module

    target = project / "figures" / "context" / "count_in_period.png"

    def fails(*args, **kwargs):
        raise OSError(code, words, str(target))

    monkeypatch.setattr(publish_module, "publish", fails)
    figures = tree_digest(project / "figures")
    result = run_cli_here(project, "build", *only("context"), "--jobs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"context: its outputs could not be written: {target}: {words} (errno {code})" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(project / "figures") == figures


def test_a_link_in_an_output_dir_in_the_place_of_a_figure_is_refused_and_nothing_is_written(project, tmp_path):
    """output_dir=FOLDER holding a symbolic link named like a figure: the rename would replace the link."""
    mine = tmp_path / "mine"
    mine.mkdir()
    victim = tmp_path / "victim.csv"
    victim.write_text("mine, not a figure's")
    (mine / "count_in_period.csv").symlink_to(victim)
    result = run_cli_here(project, "report", "context", f"output_dir={mine}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{mine / 'count_in_period.csv'}: is a symbolic link" in result.stderr
    assert "Traceback" not in result.stderr
    assert (mine / "count_in_period.csv").is_symlink() and victim.read_text() == "mine, not a figure's"
    assert sorted(p.name for p in mine.iterdir()) == ["count_in_period.csv"], "no figure written beside it"


def test_a_build_refuses_to_replace_a_report_page_that_is_a_link(project, tmp_path):
    root = project
    (root / "reports").mkdir()
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text("not the build's")
    (root / "reports" / "provenance.html").symlink_to(elsewhere)
    result = run_cli_here(root, "build", "--only", "provenance")
    assert result.returncode == 1
    assert f"{root / 'reports' / 'provenance.html'}: is a symbolic link" in result.stderr
    assert elsewhere.read_text() == "not the build's"
