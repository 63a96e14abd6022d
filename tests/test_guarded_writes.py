"""Every command that writes a file refuses data/, figures/, the build state, and a link, device, FIFO or
folder it would replace, naming the path and why, with nothing written; messages, not tracebacks, for
the file system's errors and for options given in an odd place."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from conftest import run_cli_here, tree_digest

from casualty_workbook import cli
from casualty_workbook.core import files
from casualty_workbook.core.files import UnsafeDestination, atomic_write
from casualty_workbook.core.paths import Layout
from casualty_workbook.pipeline.build_lock import build_lock, run_lock
from casualty_workbook.pipeline.build_state import load_state


def export(project: Path, target: str | Path):
    return run_cli_here(project, "export", "hxl", str(target))


def assert_refused(result, *texts: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.stderr
    for text in texts:
        assert text in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("data/claims.csv", "is inside the data folder"),
        ("data/new.csv", "is inside the data folder"),
        ("figures/provenance/figures_by_status.csv", "is inside the committed figures"),
        (".build-state/x.csv", "is inside the build's state"),
    ],
)
def test_export_refuses_the_protected_folders(project, where, why):
    before = tree_digest(project)
    result = export(project, project / where)
    assert_refused(result, f"export hxl FILE: {project / where}", why, "nothing was written")
    assert tree_digest(project) == before


def test_export_refuses_a_relative_path_into_data_and_a_link_leading_there(project, tmp_path):
    before = tree_digest(project / "data")
    assert_refused(export(project, "data/claims.csv"), "is inside the data folder")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "into-data").symlink_to(project / "data")
    assert_refused(export(project, tmp_path / "elsewhere" / "into-data" / "claims.csv"), "is inside the data folder")
    assert tree_digest(project / "data") == before


def test_export_refuses_a_folder_a_fifo_a_link_and_a_device(project, tmp_path):
    assert_refused(export(project, tmp_path), f"{tmp_path} is a folder: give a file name inside it")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert_refused(export(project, fifo), "is a FIFO (named pipe)")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    target = tmp_path / "real.csv"
    target.write_text("mine")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert_refused(export(project, link), "is a symbolic link", "would replace the link")
    assert link.is_symlink() and target.read_text() == "mine"
    assert_refused(export(project, "/dev/null"), "/dev/null is a device")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_export_to_an_ordinary_file_still_works_and_takes_the_umask(project, tmp_path):
    result = export(project, tmp_path / "sub" / "claims.hxl.csv")
    assert result.returncode == 0, result.stderr
    mode = stat.S_IMODE(os.stat(tmp_path / "sub" / "claims.hxl.csv").st_mode)
    assert mode == files.FILE_MODE == 0o666 & ~_umask(), oct(mode)
    assert mode != 0o600 or _umask() == 0o077


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_atomic_write_refuses_what_is_not_a_regular_file(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "target")
    with pytest.raises(UnsafeDestination, match="is a symbolic link"):
        atomic_write(link, b"x")
    assert link.is_symlink() and not (tmp_path / "target").exists()
    with pytest.raises(UnsafeDestination, match="is a folder"):
        atomic_write(tmp_path, b"x")
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("folder", "why"),
    [
        ("data", "is inside the data folder"),
        ("data/sub", "is inside the data folder"),
        (".build-state", "is inside the build's state"),
        ("figures", "is inside the committed figures"),
    ],
)
def test_report_output_dir_refuses_the_protected_folders(project, folder, why):
    before = tree_digest(project)
    result = run_cli_here(
        project, "report", "places", "event=kharkiv_advance_2024", "reference_place=belgorod", f"output_dir={folder}"
    )
    assert_refused(result, "parameter output_dir:", why)
    assert "Running" not in result.stdout, "refused before any kernel starts"
    assert tree_digest(project) == before


def test_report_options_may_follow_the_notebook_name(project):
    """`report explore --timeout 60 k=v` reached argparse's 'unrecognized arguments'; now the parameter is checked."""
    result = run_cli_here(project, "report", "explore", "--timeout", "60", "nosuch=1")
    assert result.returncode == 2
    assert "unknown parameter 'nosuch' for notebook explore" in result.stderr
    assert "unrecognized arguments" not in result.stderr
    result = run_cli_here(project, "report", "explore", "--nosuch-option")
    assert result.returncode == 2 and "unrecognized arguments: --nosuch-option" in result.stderr


@pytest.mark.parametrize("address", ["foo", "tcp://host", "http://a b:1"])
def test_a_scheduler_address_without_a_port_is_a_message(project, address):
    result = run_cli_here(project, "build", "--executor", "dask", "--scheduler", address)
    assert_refused(result, f"--scheduler {address!r}: expected a Dask scheduler's address with its port")


@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "null", '{"version": 1, "reports": [1]}', "\xff\xfe"])
def test_a_build_state_of_another_shape_is_no_state(tmp_path, text):
    layout = Layout(tmp_path, tmp_path / "figures", tmp_path / "reports")
    layout.state_dir.mkdir()
    (layout.state_dir / "state.json").write_bytes(text.encode("latin-1"))
    assert load_state(layout) == {"version": 1, "reports": {}}


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EROFS, "the file system is read-only"),
        (errno.ENOSPC, "the disk is full"),
        (errno.EACCES, "permission denied"),
        (errno.ENAMETOOLONG, "the file name is too long"),
    ],
)
def test_errors_of_the_file_system_are_one_message(project, monkeypatch, code, words):
    import casualty_workbook.interchange.hxl as hxl

    def fails(out, data_dir=None):
        raise OSError(code, os.strerror(code), str(out))

    monkeypatch.setattr(hxl, "export_hxl", fails)
    result = run_cli_here(project, "export", "hxl", str(project.parent / "x.csv"))
    assert result.returncode == 1
    assert f"error: {project.parent / 'x.csv'}: {words}" in result.stderr and "Traceback" not in result.stderr


def test_clean_waits_for_no_one_it_stops_while_a_build_or_report_runs(project):
    layout = Layout(project, project / "figures", project / "reports")
    (project / "reports").mkdir()
    (project / "reports" / "index.html").write_text("<html></html>")
    with build_lock(layout):
        result = run_cli_here(project, "clean")
        assert result.returncode == 3 and "a build is running" in result.stderr
        second = run_cli_here(project, "build")
        assert second.returncode == 3 and "another build is running" in second.stderr
    with run_lock(layout, what="report"):
        result = run_cli_here(project, "clean")
        assert result.returncode == 3 and "a build or report is running" in result.stderr
    assert (project / "reports" / "index.html").is_file(), "nothing removed while a run was under way"
    result = run_cli_here(project, "clean")
    assert result.returncode == 0, result.stderr
    assert not (project / "reports").exists()
    assert sorted(p.name for p in layout.state_dir.iterdir()) == ["build.lock", "run.lock"]


def test_main_turns_unsafe_destination_into_a_message(monkeypatch, capsys, project):
    monkeypatch.setattr(cli, "_run", lambda args: (_ for _ in ()).throw(UnsafeDestination(Path("/x"), "is a FIFO")))
    assert cli.main(["validate"]) == 2
    assert "error: /x: is a FIFO; nothing was written" in capsys.readouterr().err


@pytest.mark.parametrize(("what", "why"), [("folder", "is a folder, not a file"), ("/dev/zero", "is a device")])
def test_an_import_given_a_folder_or_a_device_says_so(project, tmp_path, what, why):
    target = tmp_path if what == "folder" else Path(what)
    before = tree_digest(project / "data")
    result = run_cli_here(project, "import", "acled", str(target))
    assert_refused(result, f"import acled FILE: {target} {why}")
    assert tree_digest(project / "data") == before


def test_a_custom_run_s_name_fits_in_a_file_name():
    from casualty_workbook.pipeline.custom_run import MAX_NAME, custom_report_name

    assert custom_report_name("context", "year_from=2016") == "context--year_from=2016"
    long = custom_report_name("context", "event=" + "é" * 300)
    assert len(long.encode("utf-8")) <= MAX_NAME and long.startswith("context--event=é")
    assert long != custom_report_name("context", "event=" + "é" * 299), "the hash tells two long names apart"


def test_a_figure_table_writes_the_year_1_as_0001():
    import pandas as pd

    from casualty_workbook.charts.chart_data import _date

    assert _date(pd.Timestamp("0001-01-01")) == "0001-01-01"
    assert _date(pd.Timestamp("0999-12-31 06:10")) == "0999-12-31 06:10"
    assert _date(pd.Timestamp("2024-05-12")) == "2024-05-12"
