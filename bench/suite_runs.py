"""The test suite as a contributor runs it: `make test` in a fresh clone, timed.

The clone is of the repository's current commit, in a temporary folder; `make env` there
(not timed: the set-up section times it) makes its .venv from the lock, then `make test`
runs the whole suite on every core, as the README says. The suite's own summary line gives
the counts. A failing suite is a failed section, not a slow one.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from measure import BenchError, Stats, fmt_s, log, run
from setup_runs import clone_at, clone_environment, head_commit

TARGET_SECONDS = 150.0  # `make test` on this 2-core machine
# pytest's last line: "=== 779 passed, 1 skipped in 181.02s (0:03:01) ==="
_SUMMARY = re.compile(r"=+ (?P<counts>[^=]*?) in (?P<seconds>[\d.]+)s\b[^=]*=+\s*$", re.M)


@dataclass
class SuiteRun:
    """`make test` in a fresh clone, over the repetitions."""

    commit: str = ""
    wall: Stats = field(default_factory=Stats)  # the whole command: make, pytest's start-up and its workers
    pytest_seconds: Stats = field(default_factory=Stats)  # what pytest's summary line says
    counts: list[str] = field(default_factory=list)  # e.g. "779 passed, 1 skipped", per repetition


def parse_summary(output: str) -> tuple[str, float]:
    """The counts and seconds of pytest's summary line (the last one in ``output``)."""
    found = list(_SUMMARY.finditer(output))
    if not found:
        tail = "\n".join(output.splitlines()[-10:])
        raise BenchError(f"`make test` printed no pytest summary line:\n{tail}")
    last = found[-1]
    return last["counts"].strip(), float(last["seconds"])


def measure_test_suite(work: Path, repeat: int, logs: Path) -> SuiteRun:
    result = SuiteRun(commit=head_commit())
    env = clone_environment()
    clone = work / "clone"
    try:
        clone_at(result.commit, clone, env)
        run(["make", "--no-print-directory", "-C", str(clone), "env"], env=env, log_file=logs / "tests.log")
        for rep in range(1, repeat + 1):
            ran = run(["make", "--no-print-directory", "-C", str(clone), "test"], env=env, log_file=logs / "tests.log")
            counts, seconds = parse_summary(ran.output)
            result.wall.add(ran.seconds)
            result.pytest_seconds.add(seconds)
            result.counts.append(counts)
            log(f"  make test, repetition {rep}: {fmt_s(ran.seconds)} ({counts} in {fmt_s(seconds)} by pytest's count)")
    finally:
        shutil.rmtree(clone, ignore_errors=True)
    return result


def verdicts(s: SuiteRun) -> list[tuple[str, str, bool]]:
    return [
        (
            f"`make test` under {TARGET_SECONDS:.0f} s",
            f"median {fmt_s(s.wall.median)}, max {fmt_s(s.wall.max)} ({s.counts[-1] if s.counts else '?'})",
            s.wall.median < TARGET_SECONDS,
        )
    ]


def render(s: SuiteRun) -> list[str]:
    return [
        "## Test suite: `make test` in a fresh clone",
        "",
        f"`git clone` of commit {s.commit[:12]}, `make env` (not timed), then `make test`: every test, on every "
        "core (pytest-xdist), browser tests included.",
        "",
        "| measurement | wall time, median (min–max) |",
        "|---|---|",
        f"| `make test` | {s.wall.seconds()} |",
        f"| pytest's own count (from its session's start) | {s.pytest_seconds.seconds()} |",
        "",
        f"Tests (each repetition): {'; '.join(s.counts)}.",
        "",
    ]
