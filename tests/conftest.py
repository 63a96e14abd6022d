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

from casualty_workbook.core.startup import skip_unused_imports

# As the command line does: the test processes read notebooks without building jsonschema's iri
# parsers (a second of CPU in each test process, before the first test).
skip_unused_imports()

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("notebooks", "catalogue.yml", "data", "requirements.lock")

# The modules that take longest (each 30-45 s on two cores), run first: `make test` hands whole modules
# to its workers in collection order (--no-loadscope-reorder), so the quick ones fill in around these
# at the end instead of one worker finishing a long module alone. Only the order changes.
RUN_FIRST = (
    "test_browser.py",
    "test_faults.py",
    "test_dask.py",
    "test_build.py",
    "test_build_guards.py",
    "test_explore_batch.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return RUN_FIRST.index(name) if name in RUN_FIRST else len(RUN_FIRST)

    items.sort(key=rank)  # stable: the tests of a module keep their order


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


@pytest.fixture(scope="session", autouse=True)
def warm_kernels():
    """One set of warm kernels for the whole session (in each xdist worker): every build run in this process
    (``run_cli_here``) forks its kernels from them, instead of starting servers of its own for each build."""
    from casualty_workbook.pipeline.warm import WarmKernels

    with WarmKernels() as kernels:
        yield kernels


def run_cli_here(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """``workbook ARGS`` through the same entry point as ``run_cli``, inside this process.

    The exit code and the printed messages are the command's own, without paying a fresh
    interpreter's imports of pandas and pandera for each case; builds and reports run here fork
    their kernels from the session's warm kernels (``warm_kernels``), started once for the whole session. What
    only a real process shows (signals, the console script, tracebacks on stderr, a Dask cluster's
    worker processes) is tested with ``run_cli``.
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
def root(tmp_path: Path) -> Path:
    """A folder holding a copy of data/ to import into (the import tests' data folder)."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    return tmp_path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project with the committed figures and no build state."""
    return copy_project(tmp_path / "project")


def network_isolation_problem() -> str | None:
    """Why this machine cannot run a command without network (None when it can): ``unshare -n``."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "unshare or ip not found"
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"cannot create a network namespace here: {probe.stderr.strip()}"


def _build_once(root: Path) -> dict:
    """Build the catalogue at ``root`` from scratch, without network where the machine allows it."""
    problem = network_isolation_problem()
    if problem:
        result = run_cli(root, "build", timeout=900)
    else:
        # Inside a network namespace with only loopback: first prove no address outside is reachable.
        script = (
            "ip link set lo up && "
            f'{sys.executable} -c "import socket,sys; s=socket.socket(); s.settimeout(2); '
            "sys.exit(0 if s.connect_ex(('1.1.1.1', 80)) != 0 else 'network reachable')\" && "
            f"{sys.executable} -m casualty_workbook.cli build"
        )
        result = subprocess.run(
            ["unshare", "-n", "sh", "-c", script],
            cwd=root,
            env=cli_env(root),
            capture_output=True,
            text=True,
            timeout=900,
        )
    return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr, "offline": problem}


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The catalogue built once from scratch (no committed figures to start from), without network.

    One build serves the whole session: the test workers share it through a folder beside their
    own temporary folders; the first to arrive builds (under a file lock), the others wait and
    read. Tests that change it work on a copy (``built_copy``).
    """
    import fcntl
    import json

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder every worker's temporary folder sits in
    root = shared / "built-once" / "project"
    record = shared / "built-once" / "result.json"
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(shared / "built-once.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            copy_project(root, with_figures=False)
            record.write_text(json.dumps(_build_once(root)))
    ran = json.loads(record.read_text())
    result = subprocess.CompletedProcess(["workbook", "build"], ran["returncode"], ran["stdout"], ran["stderr"])
    result.offline_problem = ran["offline"]  # why the build had network (None: it ran without)
    return root, result


@pytest.fixture
def built_copy(built_project, tmp_path: Path) -> Path:
    """A private copy of the built project (state included) that a test may change."""
    root, result = built_project
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "project"
    shutil.copytree(root, copy)
    return copy
