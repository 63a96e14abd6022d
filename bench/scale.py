#!/usr/bin/env python3
"""Reports per second as the number of reports grows: the event report over synthetic events.

For each count (10, 50, 200 by default) a copy of the project gets that many synthetic events
(``events.csv``), claims about each (``synthetic.synthetic_claims``, the real schema and rules)
and a catalogue of one event report per event; then a clean ``workbook build`` is timed:

  local        the default executor: one kernel per core, each forked from a warm server;
  local, cold  the same with warm kernels turned off (WORKBOOK_WARM_KERNELS=0): a fresh kernel
               per report, as before warm kernels (only for the smaller counts: it is slow);
  dask 1 / 2   ``--executor dask`` with a LocalCluster of 1 and of 2 worker processes.

Each build is timed whole (start-up included) and in its steady state: from the first report
finished to the last, so the rate per report is not hidden by start-up costs. Everything runs
in a temporary copy of the project (its own src/, data/, catalogue), never in the repository.

Usage: .venv/bin/python bench/scale.py [--counts 10,50,200] [--dask-count 50] [--cold-counts 10,50]
                                       [--out bench/RESULTS.md | --no-write]
The results replace the section "Scale-out: reports per second" of the output file (other
sections are kept) and every number goes to bench/out/scale.json. Exit code 0 unless a build failed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HEADING = "## Scale-out: reports per second (`bench/scale.py`)"
CLAIMS_PER_EVENT = 24
RAN = re.compile(r"^\[(\d+)/(\d+)\] (ok|FAILED)\s+(\S+)")
TIMEOUT = 3600


# ---- the synthetic project ------------------------------------------------------------------------


def make_project(root: Path, events: int) -> dict[str, str]:
    """A copy of the project with ``events`` synthetic events, their claims and one report each; returns its env."""
    sys.path.insert(0, str(REPO / "bench"))
    from synthetic import COLUMNS, synthetic_claims  # bench/synthetic.py

    for name in ("notebooks", "data"):
        shutil.copytree(REPO / name, root / name)
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy2(REPO / "requirements.lock", root / "requirements.lock")
    data = root / "data"
    ids = [f"synthetic_event_{i:04d}" for i in range(1, events + 1)]
    with (data / "events.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for i, event_id in enumerate(ids, start=1):
            day = dt.date(2015, 1, 1) + dt.timedelta(days=7 * i)
            writer.writerow(
                [
                    event_id,
                    f"Synthetic event {i}",
                    day.isoformat(),
                    day.isoformat(),
                    "day",
                    "",
                    "",
                    "Synthetic region",
                    "Synthetic country",
                    "",
                    "",
                    "A synthetic event made by the scale benchmark.",
                ]
            )
    # Only claims with a best value: the toll-revision chart cannot yet draw a death toll given only as
    # a range, an upper bound or "not reported" (a valid claim: a chart limitation, not bad data).
    claims = synthetic_claims(events * CLAIMS_PER_EVENT * 2, data, seed=20240512)
    claims = claims[claims["value_best"] != ""].head(events * CLAIMS_PER_EVENT).reset_index(drop=True)
    claims["event_id"] = [event_id for event_id in ids for _ in range(CLAIMS_PER_EVENT)]
    path = data / "claims.csv"
    with path.open("a", encoding="utf-8", newline="") as handle:
        claims[COLUMNS].to_csv(handle, index=False, header=False, lineterminator="\n")
    catalogue = ["# Synthetic: one event report per synthetic event (bench/scale.py).", "reports:"]
    for i, event_id in enumerate(ids, start=1):
        catalogue += [
            f"  - id: event_{i:04d}",
            "    notebook: event_report",
            f'    title: "Synthetic event {i}"',
            "    parameters:",
            f"      event: {event_id}",
            "      claimant: all",
        ]
    (root / "catalogue.yml").write_text("\n".join(catalogue) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBOOK_") and k not in ("MAKEFLAGS", "JOBS")}
    env.update(
        WORKBOOK_ROOT=str(root),
        WORKBOOK_DATA_DIR=str(data),
        WORKBOOK_FIGURES_DIR=str(root / "figures"),
        WORKBOOK_REPORTS_DIR=str(root / "reports"),
        SOURCE_DATE_EPOCH="0",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=os.pathsep.join([str(root / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])),
    )
    return env


def clean(root: Path) -> None:
    for name in ("reports", "figures", ".build-state"):
        shutil.rmtree(root / name, ignore_errors=True)


# ---- one timed build ------------------------------------------------------------------------------


def timed_build(root: Path, env: dict[str, str], args: list[str], expected: int) -> dict:
    """A clean build; wall time, CPU time (every process it started), and when each report came back."""
    clean(root)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "workbook"), "build", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    finished, lines = [], []
    for line in proc.stdout:
        lines.append(line)
        if RAN.match(line):
            finished.append(time.perf_counter() - start)
    proc.wait(timeout=TIMEOUT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = "".join(lines)
    if proc.returncode != 0 or len(finished) != expected or "FAILED" in output:
        raise RuntimeError(f"build {' '.join(args)} failed (exit {proc.returncode}):\n{output[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    steady = (
        (len(finished) - 1) / (finished[-1] - finished[0]) if len(finished) > 1 and finished[-1] > finished[0] else None
    )
    return {
        "args": args,
        "reports": expected,
        "wall_s": wall,
        "cpu_s": cpu,
        "first_s": finished[0],
        "last_s": finished[-1],
        "reports_per_s": expected / wall,
        "steady_reports_per_s": steady,
        "wall_per_report_s": wall / expected,
    }


# ---- the report -----------------------------------------------------------------------------------


def fmt_rate(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def render(result: dict) -> str:
    rows = result["runs"]
    lines = [
        HEADING,
        "",
        f"Produced by `{result['command']}` on {result['started']}; {result['machine']}. Load average "
        f"(1, 5, 15 min) before: {result['load_before']}; after: {result['load_after']} (the machine is shared: "
        "expect noise).",
        "",
        f"The event report over synthetic events ({CLAIMS_PER_EVENT} synthetic claims each, in the real schema, "
        "added to the real tables), one report per event, built clean each time. *Wall* includes "
        "start-up (validation, the warm server's imports, a Dask cluster's start); *steady* is the rate "
        "from the first report finished to the last. CPU: every process the build started.",
        "",
        "| reports | executor | wall | wall per report | reports/s | steady reports/s | first report after | CPU |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['reports']} | {r['label']} | {r['wall_s']:.1f} s | {r['wall_per_report_s']:.2f} s "
            f"| {fmt_rate(r['reports_per_s'])} | {fmt_rate(r['steady_reports_per_s'])} "
            f"| {r['first_s']:.1f} s | {r['cpu_s']:.1f} s |"
        )
    dask = {r["label"]: r for r in rows if r["label"].startswith("dask")}
    if "dask, 1 worker" in dask and "dask, 2 workers" in dask:
        one, two = dask["dask, 1 worker"], dask["dask, 2 workers"]
        lines += [
            "",
            f"Dask speed-up with 2 workers over 1 ({one['reports']} reports): "
            f"{one['wall_s'] / two['wall_s']:.2f}× in wall time, "
            f"{(two['steady_reports_per_s'] or 0) / (one['steady_reports_per_s'] or 1):.2f}× in the steady rate.",
        ]
    lines += [""]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace this benchmark's section of ``path`` (or append it), keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(HEADING))
        # Our own explanation (a "### " subsection written by hand) is kept below the table.
        own = text.find("\n### ", start + len(HEADING))
        end = len(text) if nxt < 0 else nxt + 1
        keep = text[own + 1 : end] if 0 <= own < end else ""
        text = text[:start] + section + ("\n" + keep if keep else "") + text[end:]
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def counts(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=counts, default=[10, 50, 200], help="reports per local build")
    parser.add_argument("--cold-counts", type=counts, default=[10, 50], help="counts also built with cold kernels")
    parser.add_argument("--dask-count", type=int, default=50, help="reports per Dask build (0: no Dask runs)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print the section, write no results file")
    args = parser.parse_args(argv)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    runs = []
    # Smallest first, so that a run stopped early has measured every kind of build.
    plan = [(n, "local", []) for n in args.counts[:1]]
    plan += [(n, "local, cold kernels", ["COLD"]) for n in args.cold_counts[:1]]
    if args.dask_count:
        plan += [
            (args.dask_count, "dask, 1 worker", ["--executor", "dask", "--jobs", "1"]),
            (args.dask_count, "dask, 2 workers", ["--executor", "dask", "--jobs", "2"]),
        ]
    plan += [(n, "local", []) for n in args.counts[1:]]
    plan += [(n, "local, cold kernels", ["COLD"]) for n in args.cold_counts[1:]]
    with tempfile.TemporaryDirectory(prefix="workbook-scale-") as tmp:
        projects: dict[int, tuple[Path, dict]] = {}
        for n, label, build_args in plan:
            if n not in projects:
                root = Path(tmp) / f"p{n}"
                projects[n] = (root, make_project(root, n))
            root, env = projects[n]
            if build_args == ["COLD"]:
                env, build_args = {**env, "WORKBOOK_WARM_KERNELS": "0"}, []
            print(f"{n} reports, {label} …", flush=True)
            run = timed_build(root, env, build_args, n)
            run["label"] = label
            runs.append(run)
            print(
                f"  {run['wall_s']:.1f} s, {run['reports_per_s']:.2f} reports/s "
                f"(steady {fmt_rate(run['steady_reports_per_s'])}), CPU {run['cpu_s']:.1f} s",
                flush=True,
            )
            if not args.no_write:  # what is measured so far is kept, should a long run be stopped
                write_section(args.out, render(_result(argv, started, load_before, runs)))
    result = _result(argv, started, load_before, runs)
    section = render(result)
    print("\n" + section)
    raw = REPO / "bench" / "out" / "scale.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(result, indent=1))
    if not args.no_write:
        write_section(args.out, section)
        print(f"Wrote the section to {args.out} (every number in {raw}).")
    return 0


def _result(argv, started: str, load_before: str, runs: list[dict]) -> dict:
    return {
        "command": " ".join([os.path.relpath(sys.executable, REPO), "bench/scale.py", *(argv or sys.argv[1:])]),
        "started": started,
        "load_before": load_before,
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}",
        "runs": runs,
    }


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.exit(main())
