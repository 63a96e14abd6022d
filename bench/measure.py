"""Measuring: running a command with its wall and CPU time, summary statistics, the project snapshot.

Everything the benchmark times runs on a copy of the project in a temporary folder, chosen
with WORKBOOK_ROOT, WORKBOOK_DATA_DIR, WORKBOOK_FIGURES_DIR, WORKBOOK_REPORTS_DIR and
PYTHONPATH, so the repository's figures/, data/, reports/ and .build-state/ are never
touched, and edits made to src/ while the benchmark runs do not change what it measures.
"""

from __future__ import annotations

import math
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # .venv/bin when run as `make bench` or `.venv/bin/python bench/bench.py`
TIMEOUT = 1800  # seconds any one command may take before the benchmark gives up (it never hangs CI)
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "JOBS")


class BenchError(RuntimeError):
    """Something the benchmark ran failed (as opposed to a target being missed)."""


def log(message: str) -> None:
    print(message, flush=True)


def fmt_s(seconds: float) -> str:
    if seconds != seconds:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


@dataclass
class Stats:
    """Repeated measurements of one thing: median, min and max of its values."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else math.nan

    @property
    def min(self) -> float:
        return min(self.values) if self.values else math.nan

    @property
    def max(self) -> float:
        return max(self.values) if self.values else math.nan

    def seconds(self) -> str:
        """'1.20 s (1.10 s–1.31 s)': the median of times, with their range when there are several."""
        if not self.n:
            return "–"
        if self.n == 1:
            return fmt_s(self.median)
        return f"{fmt_s(self.median)} ({fmt_s(self.min)}–{fmt_s(self.max)})"


@dataclass(frozen=True)
class Ran:
    """One command run to completion."""

    seconds: float  # wall time
    output: str  # stdout and stderr
    cpu: float  # user + system seconds of the command and everything it started, once reaped


def cpu_of_children() -> float:
    """User + system CPU seconds of every finished (reaped) descendant so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# The host's own speed: the machine is shared, and the same code's CPU time moved by up to half between
# runs of one evening (300,000 GED rows imported in 9.8 s of CPU, then 14.0 s, 25 minutes apart). A fixed
# workload timed beside each section is a rough reading of how fast the host was, for comparing runs. It is
# small and single-threaded: contention it does not feel (the other core, memory bandwidth) it misses.
PROBE_LOOPS = 1_500_000
PROBE_BYTES = bytes(range(256)) * 4096  # 1 MiB, the same every time
PROBE_TRIES = 3


def host_speed() -> float:
    """CPU seconds of a fixed workload (a Python loop, zlib): the least of a few tries; lower is faster."""
    import zlib

    best = math.inf
    for _ in range(PROBE_TRIES):
        start = time.process_time()
        total = 0
        for i in range(PROBE_LOOPS):
            total += i * i % 7
        for level in (1, 6, 9):
            zlib.compress(PROBE_BYTES + total.to_bytes(8, "little"), level)
        best = min(best, time.process_time() - start)
    return best


def run(
    cmd: list[str], *, env: dict, cwd: Path | None = None, log_file: Path | None = None, timeout: int = TIMEOUT
) -> Ran:
    """Run ``cmd`` and time it; a non-zero exit raises BenchError with the output's tail.

    CPU seconds include kernels and other children: on a shared machine they vary less with
    other people's load than wall time does.
    """
    cpu = cpu_of_children()
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )
    ran = Ran(time.perf_counter() - start, proc.stdout, cpu_of_children() - cpu)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a") as handle:
            handle.write(f"$ {shlex.join(cmd)}\n{proc.stdout}\n[exit {proc.returncode}, {ran.seconds:.2f} s]\n\n")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise BenchError(f"command failed (exit {proc.returncode}): {shlex.join(cmd)}\n{tail}")
    return ran


def tree_hashes(folder: Path) -> dict[str, str]:
    from casualty_workbook.core.files import sha256_file

    return {
        str(p.relative_to(folder)): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def clean_environment() -> dict[str, str]:
    """This process's environment without make's variables or the workbook's folder overrides."""
    return {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES and not k.startswith("WORKBOOK_")}


class Project:
    """A copy of the project in a temporary folder, and the environment that points the build at it."""

    def __init__(self, root: Path):
        self.root = root
        for name in ("notebooks", "data", "figures"):
            shutil.copytree(REPO / name, root / name)
        shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        for name in ("catalogue.yml", "requirements.lock"):
            shutil.copy2(REPO / name, root / name)
        self.figures_at_start = tree_hashes(root / "figures")
        self.logs = root / "logs"
        env = clean_environment()
        env.update(
            {
                "WORKBOOK_ROOT": str(root),
                "WORKBOOK_DATA_DIR": str(root / "data"),
                "WORKBOOK_FIGURES_DIR": str(root / "figures"),
                "WORKBOOK_REPORTS_DIR": str(root / "reports"),
                # the snapshot of the package comes before the editable install of the repository's src/
                "PYTHONPATH": os.pathsep.join(
                    [str(root / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
                ),
                "SOURCE_DATE_EPOCH": "0",
                "PYTHONHASHSEED": "0",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        self.env = env
        sys.path.insert(0, str(root / "src"))  # this process too reads the snapshot's package
        from casualty_workbook.pipeline.catalogue import read_catalogue

        self.reports = read_catalogue(root / "catalogue.yml", root / "notebooks")

    @property
    def report_ids(self) -> list[str]:
        return [r.id for r in self.reports]

    def same_figures(self, out: Path) -> bool:
        """The PNG and SVG files under ``out/<report>/`` are byte for byte the committed figures."""
        made = {k: v for k, v in tree_hashes(out).items() if k.endswith((".png", ".svg"))}
        return made == self.figures_at_start

    def clean(self) -> None:
        """What `make clean` removes that matters to the build: reports/ and the build state."""
        shutil.rmtree(self.root / "reports", ignore_errors=True)
        shutil.rmtree(self.root / ".build-state", ignore_errors=True)
