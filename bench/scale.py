#!/usr/bin/env python3
"""Reports per second as the number of reports grows: the event report over synthetic events.

For each count (10, 50, 200 by default) a copy of the project gets that many synthetic events
(``events.csv``), claims about each (``synthetic.synthetic_claims``, the real schema and rules)
and a catalogue of one event report per event; then a clean ``workbook build`` is timed:

  local        the default executor: one kernel more than the cores, each forked from a warm server;
  local, cold  the same with warm kernels turned off (WORKBOOK_WARM_KERNELS=0): a fresh kernel
               per report, as before warm kernels (only for the smaller counts: it is slow);
  dask 1 / 2   ``--executor dask`` with a LocalCluster of 1 and of 2 worker processes, at each
               count of ``--dask-counts`` (50 and 200, as the local sweep: the start-up weighs less in the larger).

Each build is timed whole (start-up included) and in its steady state: from the first report
finished to the last, so the rate per report is not hidden by start-up costs. Everything runs
in a temporary copy of the project (its own src/, data/, catalogue), never in the repository.

`make bench` runs this as one section of bench/RESULTS.md (``bench.py`` calls ``measure_reports``
and ``render``). On its own it prints the section and writes every number to bench/out/scale.json:

Usage: .venv/bin/python bench/scale.py [--counts 10,50,200] [--dask-counts 50,200] [--cold-counts 10]
Exit code 0 unless a build failed.
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
HEADING = "## Report scale: reports per second (`bench/scale.py`)"
SWEEP_REPORTS = 200  # the sweep the per-report target is for
SWEEP_SECONDS = 0.5  # wall time per report, whole build included: at most this
DASK_SPEEDUP = 1.7  # 2 workers against 1
DASK_MIN_REPORTS = 20  # judged on builds this large or larger: a few reports measure the start-up alone
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
    header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    if set(header) != set(COLUMNS):  # the synthetic rows must follow the real table's columns exactly
        raise RuntimeError(f"bench/synthetic.py writes {COLUMNS}, but {path} has the columns {header}")
    with path.open("a", encoding="utf-8", newline="") as handle:
        claims[header].to_csv(handle, index=False, header=False, lineterminator="\n")
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


# `workbook build` as its console script runs it, and then the CPU time of the coordinating process itself
# (of its main thread: each report's HTML page, and the rest of its publishing) and of the processes it
# waited for (the warm servers, and with them the kernels they forked and reaped; Dask's workers).
BUILD = """
import json, os, resource, sys, time
from casualty_workbook.publish import pages
from casualty_workbook.pipeline import build as run
from casualty_workbook.cli import main

spent = {"page_s": 0.0, "publish_s": 0.0}

def timed(module, name, key):
    function = getattr(module, name)
    def wrapper(*args, **kwargs):
        start = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.thread_time() - start
    setattr(module, name, wrapper)

timed(pages, "render_report", "page_s")
timed(run, "publish_execution", "publish_s")
code = main(["build", *sys.argv[1:]])
me, waited = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
spent["coordinator_s"] = me.ru_utime + me.ru_stime
spent["kernels_s"] = waited.ru_utime + waited.ru_stime
with open(os.environ["WORKBOOK_BENCH_CPU"], "w") as handle:
    json.dump(spent, handle)
sys.exit(code)
"""


def timed_build(root: Path, env: dict[str, str], args: list[str], expected: int) -> dict:
    """A clean build; wall time, CPU time (every process it started, and split: the coordinating process,
    its pages and publishing, the kernels), and when each report came back."""
    clean(root)
    split = root / ".bench-cpu.json"
    split.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILD, *args],
        cwd=root,
        env={**env, "WORKBOOK_BENCH_CPU": str(split)},
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
        "cpu_split": json.loads(split.read_text()) if split.is_file() else {},
        "first_s": finished[0],
        "last_s": finished[-1],
        "reports_per_s": expected / wall,
        "steady_reports_per_s": steady,
        "wall_per_report_s": wall / expected,
    }


# ---- where one report's own time goes ----------------------------------------------------------------

# The event report's code run as a plain script (its cells, in order), once for each of several events after
# one run that reads the tables, each step's CPU time summed: the figures saved as PNG (matplotlib's drawing
# to pixels, then the palette and the PNG written), as SVG, their CSV tables; the rest is the notebook's own
# work (its tables, and building its charts). The Agg backend, as the inline backend draws.
STEPS = """
import contextlib, io, json, sys, tempfile, time
import matplotlib
matplotlib.use("agg")
import matplotlib.figure
import matplotlib.pyplot as plt
import nbformat
import casualty_workbook
from casualty_workbook.charts import chart_data as figure_data; from casualty_workbook.charts import saving as figures

notebook, events = sys.argv[1], sys.argv[2].split(",")
runs = len(events)
cells = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
spent = {"report_s": 0.0, "save_s": 0.0, "png_s": 0.0, "svg_s": 0.0, "csv_s": 0.0, "figures": 0}

def timed(function, key, when=lambda *args, **kwargs: True):
    def wrapper(*args, **kwargs):
        if not when(*args, **kwargs):
            return function(*args, **kwargs)
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.process_time() - start
    return wrapper

figures._write_png = timed(figures._write_png, "png_s")
figure_data.csv_bytes = timed(figure_data.csv_bytes, "csv_s")
matplotlib.figure.Figure.savefig = timed(
    matplotlib.figure.Figure.savefig, "svg_s", lambda *args, **kwargs: kwargs.get("format") == "svg"
)
casualty_workbook.save_figure = figures.save_figure = timed(figures.save_figure, "save_s")
code = compile("\\n".join(cells[1:]), notebook, "exec")
for run in range(runs + 1):
    namespace = {}
    exec(cells[0], namespace)
    namespace.update(event=events[max(run - 1, 0)], output_dir=tempfile.mkdtemp())
    if run == 1:
        spent = dict.fromkeys(spent, 0.0)
        spent["figures"] = 0
    start = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, namespace)
    spent["report_s"] += time.process_time() - start
    spent["figures"] += len(plt.get_fignums())
    plt.close("all")
print(json.dumps({k: v / runs for k, v in spent.items()}))
"""


def report_steps(root: Path, env: dict[str, str], runs: int = 10) -> dict:
    """CPU seconds per report for each step of the event report's own work (``STEPS``), in the project at
    ``root``: the mean over its first ``runs`` synthetic events (they differ in how many claims each metric has,
    so one event alone can be lighter or heavier than a build's average report)."""
    events = [f"synthetic_event_{i:04d}" for i in range(1, runs + 1)]
    proc = subprocess.run(
        [sys.executable, "-c", STEPS, "event_report.ipynb", ",".join(events)],
        cwd=root / "notebooks",
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the report's steps could not be timed:\n{proc.stderr[-3000:]}")
    steps = json.loads(proc.stdout.strip().splitlines()[-1])
    steps.update(event=events[0], last_event=events[-1], runs=runs)
    return steps


# ---- measuring every kind of build -----------------------------------------------------------------


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure_reports(
    counts: list[int], cold_counts: list[int], dask_counts: list[int], *, log=print, command: str = ""
) -> dict:
    """Every build of the plan, smallest first, each in its own synthetic project; returns the numbers."""
    result = {
        "command": command,
        "started": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "load_before": loadavg(),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}",
        "runs": [],
    }
    # Smallest first, so that a run stopped early has measured every kind of build.
    plan = [(n, "local", []) for n in counts[:1]]
    plan += [(n, "local, cold kernels", ["COLD"]) for n in cold_counts[:1]]
    for n in sorted(dask_counts):
        plan += [
            (n, "dask, 1 worker", ["--executor", "dask", "--jobs", "1"]),
            (n, "dask, 2 workers", ["--executor", "dask", "--jobs", "2"]),
        ]
    plan += [(n, "local", []) for n in counts[1:]]
    plan += [(n, "local, cold kernels", ["COLD"]) for n in cold_counts[1:]]
    with tempfile.TemporaryDirectory(prefix="workbook-scale-") as tmp:
        projects: dict[int, tuple[Path, dict]] = {}
        for n, label, build_args in plan:
            if n not in projects:
                root = Path(tmp) / f"p{n}"
                projects[n] = (root, make_project(root, n))
            root, env = projects[n]
            if build_args == ["COLD"]:
                env, build_args = {**env, "WORKBOOK_WARM_KERNELS": "0"}, []
            log(f"  {n} reports, {label} …")
            run = timed_build(root, env, build_args, n)
            run["label"] = label
            result["runs"].append(run)
            log(
                f"    {run['wall_s']:.1f} s, {run['wall_per_report_s']:.2f} s per report "
                f"(steady {fmt_rate(run['steady_reports_per_s'])} reports/s), CPU {run['cpu_s']:.1f} s"
            )
        local = [n for n, label, _ in plan if label == "local"]
        if local:  # the largest local build's project: one report's own work, step by step
            log("  one report's steps (the event report as a script) …")
            result["steps"] = report_steps(*projects[max(local)], runs=min(10, max(local)))
    result["load_after"] = loadavg()
    result["bytecode_caches"] = bytecode_caches()
    return result


def bytecode_caches() -> bool:
    """Whether Python here can use compiled bytecode for the libraries (else each process compiles them)."""
    import pandas  # a large library every process of a build imports

    cached = any(Path(pandas.__file__).parent.glob("__pycache__/*.pyc"))
    return cached or not (sys.flags.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE"))


# ---- targets and the section ----------------------------------------------------------------------


def fmt_rate(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def fmt_seconds(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f} s"


def _local(result: dict) -> list[dict]:
    return sorted((r for r in result["runs"] if r["label"] == "local"), key=lambda r: r["reports"])


def dask_speedups(result: dict) -> list[tuple[float, float | None, int]]:
    """(wall-time speed-up, steady-rate speed-up, reports) of 2 Dask workers over 1, for each count where both ran."""
    out = []
    for n in sorted({r["reports"] for r in result["runs"] if r["label"].startswith("dask")}):
        speed = dask_speedup(result, n)
        if speed:
            out.append(speed)
    return out


def dask_speedup(result: dict, reports: int | None = None) -> tuple[float, float | None, int] | None:
    """(wall-time speed-up, steady-rate speed-up, reports) of 2 Dask workers over 1 at ``reports``
    (None: the largest count where both ran), or None."""
    if reports is None:
        both = dask_speedups(result)
        return both[-1] if both else None
    dask = {r["label"]: r for r in result["runs"] if r["label"].startswith("dask") and r["reports"] == reports}
    if "dask, 1 worker" not in dask or "dask, 2 workers" not in dask:
        return None
    one, two = dask["dask, 1 worker"], dask["dask, 2 workers"]
    steady = (
        two["steady_reports_per_s"] / one["steady_reports_per_s"]
        if one["steady_reports_per_s"] and two["steady_reports_per_s"]
        else None
    )
    return one["wall_s"] / two["wall_s"], steady, one["reports"]


def growth(result: dict) -> tuple[float, float] | None:
    """Least-squares fit of wall = fixed + per_report × reports over the local builds: (fixed, per_report)."""
    runs = _local(result)
    if len({r["reports"] for r in runs}) < 2:
        return None
    xs, ys = [r["reports"] for r in runs], [r["wall_s"] for r in runs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def verdicts(result: dict) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for this section; met is None when this run did not measure it."""
    out = []
    sweep = next((r for r in _local(result) if r["reports"] == SWEEP_REPORTS), None)
    out.append(
        (
            f"a sweep of {SWEEP_REPORTS} reports at most {SWEEP_SECONDS:.1f} s of wall time per report",
            f"{sweep['wall_per_report_s']:.2f} s per report ({sweep['wall_s']:.0f} s for {SWEEP_REPORTS})"
            if sweep
            else f"not run (largest local build: {max((r['reports'] for r in _local(result)), default=0)} reports)",
            sweep["wall_per_report_s"] <= SWEEP_SECONDS if sweep else None,
        )
    )
    # Judged on the largest build run on both: a cluster is for many reports, and the start-up (the
    # same with 1 worker or 2) weighs less there; every count is shown.
    speeds = dask_speedups(result)
    out.append(
        (
            f"Dask, 2 workers against 1: at least {DASK_SPEEDUP}× faster (the largest Dask build)",
            "; ".join(
                f"{wall:.2f}× in wall time at {n} reports" + (f" ({steady:.2f}× in the steady rate)" if steady else "")
                for wall, steady, n in speeds
            )
            + ("" if speeds[-1][2] >= DASK_MIN_REPORTS else f"; not judged below {DASK_MIN_REPORTS} reports")
            if speeds
            else "not run",
            speeds[-1][0] >= DASK_SPEEDUP if speeds and speeds[-1][2] >= DASK_MIN_REPORTS else None,
        )
    )
    return out


def word(met: bool | None) -> str:
    return "n/a" if met is None else "PASS" if met else "FAIL"


def render(result: dict) -> str:
    """The section of bench/RESULTS.md: the builds, the targets, and how the cost grows."""
    rows = result["runs"]
    lines = [
        HEADING,
        "",
        f"Load average (1, 5, 15 min) before: {result['load_before']}; after: {result.get('load_after', '?')}.",
        "",
        f"The event report over synthetic events ({CLAIMS_PER_EVENT} synthetic claims each, in the real schema, "
        "added to the real tables), one report per event, each build clean (`workbook build` in a copy of the "
        "project). *Wall* includes start-up (validation, the warm server's imports, a Dask cluster's start); "
        "*steady* is the rate from the first report finished to the last. CPU: every process the build "
        "started (kernels and Dask workers included).",
        "",
        "| reports | executor | wall | wall per report | reports/s | steady reports/s | first report after | CPU "
        "| CPU per report |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['reports']} | {r['label']} | {r['wall_s']:.1f} s | {r['wall_per_report_s']:.2f} s "
            f"| {fmt_rate(r['reports_per_s'])} | {fmt_rate(r['steady_reports_per_s'])} "
            f"| {fmt_seconds(r.get('first_s'))} | {r['cpu_s']:.1f} s "
            f"| {r['cpu_s'] / r['reports']:.2f} s |"
        )
    lines += ["", *render_split(result)]
    lines += ["", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {word(met)} |" for target, measured, met in verdicts(result)]
    lines += ["", *explain(result), ""]
    return "\n".join(lines)


def render_split(result: dict) -> list[str]:
    """Where the CPU time goes, per report: the builds' processes, and one report's own steps."""
    lines = []
    split = [r for r in result["runs"] if r.get("cpu_split")]
    if split:
        lines += [
            "CPU time per report, by process (the coordinating process measured in its main thread for its "
            "pages and publishing; *kernels* are the warm servers, the kernels they forked and, with Dask, "
            "the workers):",
            "",
            "| reports | executor | all | coordinator | of which HTML page | of which publishing | kernels |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for r in split:
            c, n = r["cpu_split"], r["reports"]
            lines.append(
                f"| {n} | {r['label']} | {r['cpu_s'] / n:.2f} s | {c['coordinator_s'] / n:.2f} s "
                f"| {c['page_s'] / n:.3f} s | {(c['publish_s'] - c['page_s']) / n:.3f} s | {c['kernels_s'] / n:.2f} s |"
            )
        lines.append("")
    steps = result.get("steps")
    if steps:
        png, svg, csv = steps["png_s"], steps["svg_s"], steps["csv_s"]
        other_save = max(0.0, steps["save_s"] - png - svg - csv)
        lines += [
            f"One report's own work, step by step: the event report's code run as a script for "
            f"{_events(steps)} (CPU per report, the mean over them, after one run that reads the tables; "
            f"{steps['figures']:.1f} figures per report):",
            "",
            "| step | CPU | share |",
            "|---|---:|---:|",
        ]
        total = steps["report_s"] or 1.0
        for name, value in (
            ("the notebook's tables and charts built (not saved)", steps["report_s"] - steps["save_s"]),
            ("PNG: drawn to pixels, the palette, written", png),
            ("SVG: drawn and written", svg),
            ("CSV of each chart's rows", csv),
            ("the rest of saving (the tight box measured, atomic writes, the cell's output)", other_save),
            ("all of the report's code", steps["report_s"]),
        ):
            lines.append(f"| {name} | {value:.3f} s | {value / total:.0%} |")
        lines.append("")
    return lines


def _events(steps: dict) -> str:
    """The events the step table measured, in words."""
    if steps.get("last_event", steps["event"]) == steps["event"]:
        return f"`{steps['event']}`"
    return f"{steps['runs']} events (`{steps['event']}` to `{steps['last_event']}`)"


def explain(result: dict) -> list[str]:
    """How the cost grows with the number of reports, from this run's numbers."""
    lines = ["How the cost grows with the number of reports:", ""]
    fit = growth(result)
    local = _local(result)
    if fit:
        fixed, per = fit
        lines.append(
            f"- **Fitted to the local builds** ({', '.join(str(r['reports']) for r in local)} reports): wall "
            f"≈ {fixed:.0f} s + {per:.2f} s × reports. The fixed part is paid once per build: the coordinating "
            "process validates every table and imports papermill and nbconvert, the warm server imports pandas, "
            "matplotlib, seaborn, pandera, IPython and the kernel's debugger and checks the tables once. The wall time per report falls "
            f"towards {per:.2f} s as the build grows"
            + (
                f" ({local[0]['wall_per_report_s']:.2f} s at {local[0]['reports']}, "
                f"{local[-1]['wall_per_report_s']:.2f} s at {local[-1]['reports']})."
                if len(local) > 1
                else "."
            )
        )
    per_cpu = ", ".join(f"{r['cpu_s'] / r['reports']:.2f} s at {r['reports']}" for r in local)
    if per_cpu:
        lines.append(
            f"- **CPU per report** (every process): {per_cpu}. What each report pays: a fork of the warm server "
            "(milliseconds), its kernel's start and messages (under 0.1 s of CPU for a notebook that does "
            "nothing), the notebook's own work (its tables "
            "come already checked from the warm server; drawing its charts is the bulk of it), and in the "
            "coordinating process nbclient's messages, the HTML page and the atomic publishing. The kernels (one "
            "more than the cores, so that one runs while another starts, stops or waits) share the cores with "
            "the coordinator, so the wall time per report is about the CPU per report over the cores."
        )
    cold = {r["reports"]: r for r in rows_labelled(result, "local, cold kernels")}
    warm = {r["reports"]: r for r in local}
    for n in sorted(set(cold) & set(warm)):
        lines.append(
            f"- **Warm against cold kernels** ({n} reports): CPU {warm[n]['cpu_s']:.1f} s against "
            f"{cold[n]['cpu_s']:.1f} s, wall {warm[n]['wall_s']:.1f} s against {cold[n]['wall_s']:.1f} s: a cold "
            "kernel imports pandas, matplotlib, seaborn, pandera and IPython for each report (and, where Python "
            "writes no bytecode caches, compiles them from source each time)."
        )
    if result.get("bytecode_caches") is False:
        lines.append(
            "- **No bytecode caches here**: PYTHONDONTWRITEBYTECODE is set on this machine and the environment "
            "was installed without compiled bytecode, so every new Python process compiles the libraries it "
            "imports from source (several seconds of CPU for pandas, matplotlib, seaborn, pandera, IPython, "
            "papermill and nbconvert, about twice what importing them costs with caches). The coordinator, each "
            "warm server and each Dask worker pay it once per build; a cold kernel pays it for every report. "
            "An environment installed with its bytecode compiled (pip's default; `uv pip sync "
            "--compile-bytecode`) does not pay it."
        )
    lines.append(
        "- **Where a report's own time goes** (the step table above): saving its figures, the PNG most, and "
        "within it matplotlib's drawing. Each chart is drawn once per format: the saver measures its tight "
        "box once, as Agg measures it for the PNG, without a layout of its own, and gives it to both formats "
        "(so the SVG frames what the PNG does); placing, measuring and rendering text costs most. Each text is "
        "shaped once per kind of file for its size in a report (`charts/text_sizes.py`: the box, the PNG and "
        "the next chart read the size measured; matplotlib alone measures it again for every renderer), and "
        "the house style draws glyphs unhinted, which costs less. Agg draws a text glyph by glyph, about "
        "2,300 glyphs a report; the saver's Agg canvas sets the font's size once a text, not before every "
        "glyph as Agg's own code does (FreeType recomputes the size's metrics each time), and draws the same "
        "pixels (`charts/agg_canvas.py`). Both renderers read their fonts from memory, not through a file "
        "on disk as matplotlib's fonts do (a seek and a read for every glyph and every text's layout tables): "
        "a text shapes in half the time (`charts/memory_fonts.py`). The warm server starts with glibc's "
        "malloc set to keep freed "
        "blocks (`warm.MALLOC_TUNABLES`), so a chart's pixel arrays are not mapped and faulted in afresh for "
        "each chart in the kernels forked from it. "
        "The PNG's pixels are taken from Agg's buffer (never compressed and decoded again), matched to the "
        "palette (only the pixels that are not the white ground) and written once, as an indexed-colour PNG "
        "at zlib's level 4 (files 2.5% larger than the default level's in three quarters of its time). The "
        "notebook shows the PNG saved, so nothing is drawn again after the cell. The tables are read and "
        "checked once per build, by the warm server (`loading.check_ahead`), and each kernel takes them from "
        "its memory. In the coordinating process each report costs nbclient's messages, one write of the "
        "executed notebook, the HTML page and the publishing (the table by process above)."
    )
    lines.append(
        "- **With the number of events**: every event report filters the whole claims table, and each "
        f"synthetic event adds {CLAIMS_PER_EVENT} claims, so a report's own work grows slowly with the "
        "catalogue (linear in rows per report, so quadratic in all, but small here: 200 events add 4,800 "
        "rows, checked once per build)."
    )
    speeds = dask_speedups(result)
    if speeds:
        firsts = {(r["reports"], r["label"]): r["first_s"] for r in result["runs"] if r["label"].startswith("dask")}
        at = "; ".join(
            f"{wall:.2f}× at {n} reports (first report after {firsts[(n, 'dask, 1 worker')]:.1f} s with 1 worker, "
            f"{firsts[(n, 'dask, 2 workers')]:.1f} s with 2)"
            for wall, _, n in speeds
        )
        lines.append(
            f"- **Dask**, 2 workers against 1 in wall time: {at}. What limits it on this machine: the start-up "
            "(the cluster, each worker's imports and its warm server, the first kernel) is paid before the first "
            "report whatever the number of workers, and two workers start theirs at once on the same 2 cores, "
            "so the speed-up grows with the number of reports towards the steady rate's; in the steady state "
            "two kernels, their worker processes, the scheduler and the coordinating process (which alone "
            "renders and publishes every report) share the 2 cores. On separate machines each worker brings "
            "its own cores and only the coordinator's per-report work stays serial."
        )
    lines.append(
        f"- **Measured under load**: load average {result['load_before']} before and "
        f"{result.get('load_after', '?')} after, on 2 cores shared with other people's work; CPU time is the "
        "steadier measure."
    )
    return lines


def rows_labelled(result: dict, label: str) -> list[dict]:
    return sorted((r for r in result["runs"] if r["label"] == label), key=lambda r: r["reports"])


def counts(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=counts, default=[10, 50, 200], help="reports per local build")
    parser.add_argument("--cold-counts", type=counts, default=[10], help="counts also built with cold kernels")
    parser.add_argument(
        "--dask-counts", type=counts, default=[50, 200], help="reports per Dask build, 1 and 2 workers ('': none)"
    )
    args = parser.parse_args(argv)
    command = " ".join([os.path.relpath(sys.executable, REPO), "bench/scale.py", *(argv or sys.argv[1:])])
    result = measure_reports(args.counts, args.cold_counts, args.dask_counts, command=command)
    print("\n" + render(result))
    raw = REPO / "bench" / "out" / "scale.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(result, indent=1))
    print(f"Every number in {raw}.")
    return 0


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.exit(main())
