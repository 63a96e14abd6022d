"""Shared fixtures: a throw-away copy of the project to build in, and a way to run the CLI on it."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("notebooks", "catalogue.yml", "data", "requirements.lock")


def copy_project(root: Path, *, with_figures: bool = True) -> Path:
    """A copy of what a build reads (and, optionally, the committed figures) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            shutil.copy2(src, root / name)
    if with_figures:
        shutil.copytree(REPO / "figures", root / "figures")
    return root


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBOOK_") and k != "DEBUG"}
    env.update(
        WORKBOOK_ROOT=str(root),
        WORKBOOK_DATA_DIR=str(root / "data"),
        WORKBOOK_FIGURES_DIR=str(root / "figures"),
        WORKBOOK_REPORTS_DIR=str(root / "reports"),
    )
    env.update(extra)
    return env


def run_cli(root: Path, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    """Run ``workbook ARGS`` against the project copy at ``root``."""
    return subprocess.run(
        [sys.executable, "-m", "casualty_workbook.cli", *args],
        cwd=root,
        env=cli_env(root, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def _as_if_launched(root: Path, env: dict[str, str]):
    """This process with ``env`` as its whole environment and ``root`` as its working folder, restored after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.chdir(root):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_cli_here(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """``workbook ARGS`` through the same entry point as ``run_cli``, inside this process.

    For commands that stop before any kernel starts (bad data, bad parameters, bad catalogue):
    the exit code and the printed messages are the command's own, without paying a fresh
    interpreter's imports of pandas and pandera for each case. What only a real process shows
    (signals, the console script, tracebacks on stderr) is tested with ``run_cli``.
    """
    from casualty_workbook import cli

    out, err = io.StringIO(), io.StringIO()
    with (
        _as_if_launched(root, cli_env(root, **extra)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = cli.main(list(args))
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code if isinstance(stop.code, int) else 1
    return subprocess.CompletedProcess(["workbook", *args], code, out.getvalue(), err.getvalue())


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path → SHA-256); empty when the folder is absent."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project with the committed figures and no build state."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The catalogue built once from scratch (no committed figures to start from)."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project", with_figures=False)
    result = run_cli(root, "build")
    return root, result


@pytest.fixture
def built_copy(built_project, tmp_path: Path) -> Path:
    """A private copy of the built project (state included) that a test may change."""
    root, result = built_project
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "project"
    shutil.copytree(root, copy)
    return copy
