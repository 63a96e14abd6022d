"""The build's watch over data/ and figures/: every file it must see, and only those."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from casualty_workbook.pipeline.data_watch import InputsWatch, _digests


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / ".scratch").mkdir()
    (root / "outside").mkdir()
    (root / "top.csv").write_bytes(b"top")
    (root / "a" / "mid.csv").write_bytes(b"mid")
    (root / "a" / "b" / "deep.png").write_bytes(b"deep")
    (root / ".hidden.swp").write_bytes(b"swap")
    (root / ".scratch" / "x.csv").write_bytes(b"scratch")
    (root / "outside" / "far.csv").write_bytes(b"far")


def test_every_regular_file_by_its_path_under_the_folder(tmp_path):
    _tree(tmp_path)
    assert _digests(tmp_path) == {
        "top.csv": _sha(b"top"),
        "a/mid.csv": _sha(b"mid"),
        "a/b/deep.png": _sha(b"deep"),
        "outside/far.csv": _sha(b"far"),
    }


def test_hidden_names_skipped_unless_asked(tmp_path):
    _tree(tmp_path)
    assert ".scratch/x.csv" not in _digests(tmp_path)
    everything = _digests(tmp_path, skip_hidden=False)
    assert everything[".scratch/x.csv"] == _sha(b"scratch") and everything[".hidden.swp"] == _sha(b"swap")


def test_a_link_to_a_file_is_hashed_a_link_to_a_folder_is_not_followed_a_broken_one_is_left_out(tmp_path):
    _tree(tmp_path)
    watched = tmp_path / "watched"
    watched.mkdir()
    (watched / "own.csv").write_bytes(b"own")
    os.symlink(tmp_path / "top.csv", watched / "linked.csv")
    os.symlink(tmp_path / "outside", watched / "linked_folder")
    os.symlink(tmp_path / "gone.csv", watched / "broken.csv")
    assert _digests(watched) == {"own.csv": _sha(b"own"), "linked.csv": _sha(b"top")}


def test_a_missing_folder_has_no_files(tmp_path):
    assert _digests(tmp_path / "nowhere") == {}
    (tmp_path / "a_file").write_bytes(b"x")
    assert _digests(tmp_path / "a_file") == {}


def test_the_watch_names_a_file_changed_added_or_deleted_in_a_nested_folder(tmp_path):
    data, figures = tmp_path / "data", tmp_path / "figures"
    _tree(data)
    (figures / "report_a").mkdir(parents=True)
    (figures / "report_a" / "chart.png").write_bytes(b"png")
    watch = InputsWatch(data, figures, tmp_path / "kept")
    assert watch.changes("report_b") == ""
    (data / "a" / "b" / "deep.png").write_bytes(b"changed, and longer")
    (figures / "report_a" / "chart.png").unlink()
    (data / "a" / "new.csv").write_bytes(b"new")
    message = watch.changes("report_b")
    assert f"{data / 'a' / 'b' / 'deep.png'} was changed" in message
    assert f"{figures / 'report_a' / 'chart.png'} was deleted" in message
    assert f"{data / 'a' / 'new.csv'} was added" in message
    assert watch.changes("report_b") == ""  # what was not restored is what the next report is measured against
