#!/usr/bin/env python3
"""`make bench`: time the build against plain scripts and the papermill CLI, and the loader at scale.

Build (every report of catalogue.yml, several repetitions each, medians and min–max):

  (a) floor      each report's notebook converted to a plain Python script (its catalogue
                 parameters injected after the parameters cell), run one after another;
  (b) papermill  the ``papermill`` command-line tool once per report, one after another;
  (c) cold       ``make figures`` after a ``make clean`` (no build state, no reports/);
  (d) no-op      ``make figures`` with nothing changed;
  (e) one edit   one data file changed: which reports rerun, against those that read it.

Scale: synthetic claims tables in the real schema (``bench/synthetic.py``) at each size, each
timed in a fresh process through load + validation (``load_table("claims")``), an aggregation
and one chart saved with ``save_figure``: wall time and peak memory (max RSS).

Everything runs on a snapshot of the project in a temporary folder (notebooks/, catalogue.yml,
data/, figures/, src/, requirements.lock) chosen with WORKBOOK_ROOT, WORKBOOK_DATA_DIR,
WORKBOOK_FIGURES_DIR, WORKBOOK_REPORTS_DIR and PYTHONPATH, so the repository's figures/,
data/, reports/ and .build-state/ are never touched, and edits others make to src/ while the
benchmark runs do not change what it measures.

Usage: .venv/bin/python bench/bench.py [--quick] [--repeat N] [--sizes 1e3,1e4] [--out PATH]
The exit code is 0 whether or not the targets are met (each is printed PASS or MISS); it is
non-zero only when something crashed (a build failed, a script raised, a child process died).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # .venv/bin when run as `make bench` or `.venv/bin/python bench/bench.py`
DEFAULT_SIZES = (10**3, 10**4, 10**5, 10**6)
QUICK_SIZES = (10**3, 10**4)
EDIT_FILE = "ohchr_mine_share.csv"  # a small table only one notebook reads
TIMEOUT = 1800  # seconds any one command may take before the benchmark gives up (it never hangs CI)

TARGETS = {
    "c_over_a": 1.5,  # (c) within 1.5 x (a)
    "c_over_b": 0.5,  # (c) at most 0.5 x (b)
    "d_seconds": 0.5,  # (d) under 0.5 s
    "scale_rows": 10**6,  # the size the next two targets are for
    "scale_seconds": 10.0,
    "scale_mib": 2048.0,  # 2 GiB
    "scale_slope": 1.1,  # log-log slope of time against rows between the two largest sizes
}
RAN = re.compile(r"^\[(\d+)/(\d+)\] (ok|FAILED)\s+(\S+)(?: \(([\d.]+) s\))?", re.M)


class BenchError(RuntimeError):
    """Something the benchmark ran failed (as opposed to a target being missed)."""


# ---- small helpers --------------------------------------------------------------------------------

def log(message: str) -> None:
    print(message, flush=True)


def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "values": values} if values else {"median": math.nan, "min": math.nan, "max": math.nan, "n": 0, "values": []}


def fmt_s(seconds: float) -> str:
    if seconds != seconds:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def fmt_stats(s: dict) -> str:
    if not s["n"]:
        return "–"
    if s["n"] == 1:
        return fmt_s(s["median"])
    return f"{fmt_s(s['median'])} ({fmt_s(s['min'])}–{fmt_s(s['max'])})"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "PASS" if ok else "MISS"


def cpu_of_children() -> float:
    """User + system CPU seconds of every finished (reaped) descendant so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], *, env: dict, cwd: Path | None = None, log_file: Path | None = None,
        timeout: int = TIMEOUT) -> tuple[float, str, float]:
    """Run ``cmd``; return (wall seconds, stdout+stderr, CPU seconds). A non-zero exit raises BenchError.

    The CPU seconds are those of the command and everything it started (kernels included, once
    reaped): on a shared machine they vary less with other people's load than wall time does.
    """
    cpu = cpu_of_children()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    seconds = time.perf_counter() - start
    cpu = cpu_of_children() - cpu
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a") as handle:
            handle.write(f"$ {shlex.join(cmd)}\n{proc.stdout}\n[exit {proc.returncode}, {seconds:.2f} s]\n\n")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise BenchError(f"command failed (exit {proc.returncode}): {shlex.join(cmd)}\n{tail}")
    return seconds, proc.stdout, cpu


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


# ---- the snapshot the benchmark runs on -----------------------------------------------------------

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
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "JOBS")}
        env.update({
            "WORKBOOK_ROOT": str(root),
            "WORKBOOK_DATA_DIR": str(root / "data"),
            "WORKBOOK_FIGURES_DIR": str(root / "figures"),
            "WORKBOOK_REPORTS_DIR": str(root / "reports"),
            # the snapshot of the package comes before the editable install of /work/main/src
            "PYTHONPATH": os.pathsep.join([str(root / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])),
            "SOURCE_DATE_EPOCH": "0",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        self.env = env
        sys.path.insert(0, str(root / "src"))  # this process too reads the snapshot's package
        from casualty_workbook.catalogue import read_catalogue

        self.reports = read_catalogue(root / "catalogue.yml", root / "notebooks")

    def same_figures(self, out: Path) -> bool:
        """The PNG and SVG files under ``out/<report>/`` are byte for byte the committed figures."""
        made = {k: v for k, v in tree_hashes(out).items() if k.endswith((".png", ".svg"))}
        return made == self.figures_at_start

    def clean(self) -> None:
        """What `make clean` removes that matters to the build: reports/ and the build state."""
        shutil.rmtree(self.root / "reports", ignore_errors=True)
        shutil.rmtree(self.root / ".build-state", ignore_errors=True)

    def data_read_by(self) -> dict[str, list[str]]:
        """Report id -> data files its executed notebook recorded reading (metadata casualty_workbook.data)."""
        out = {}
        for report in self.reports:
            nb = json.loads((self.root / "reports" / f"{report.id}.ipynb").read_text())
            out[report.id] = sorted(nb.get("metadata", {}).get("casualty_workbook", {}).get("data", {}))
        return out


def build_command(via: str) -> list[str]:
    """The command `make figures` runs (through make itself unless --via direct)."""
    if via == "make":
        # -o: never remake the environment stamp in the middle of a benchmark
        return ["make", "--no-print-directory", "-C", str(REPO), "-o", ".venv/.installed", "figures"]
    return [str(BIN / "workbook"), "build"]


# ---- (a) plain scripts ----------------------------------------------------------------------------

def script_for(report, notebooks: Path, output_dir: Path) -> tuple[str, str]:
    """The report's notebook as a Python script with its parameters injected; returns (source, interpreter)."""
    import nbformat
    from nbconvert import PythonExporter

    nb = nbformat.read(notebooks / f"{report.notebook}.ipynb", as_version=4)
    params = {**report.parameters, "output_dir": str(output_dir)}
    injected = "# Parameters injected by bench/bench.py (as papermill would)\n" + "".join(
        f"{name} = {value!r}\n" for name, value in params.items())
    where = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), -1)
    nb.cells.insert(where + 1, nbformat.v4.new_code_cell(injected))
    source, _ = PythonExporter().from_notebook_node(nb)
    # A line that needs IPython (magics, get_ipython) would need the ipython interpreter; the
    # notebooks have none (display() prints outside IPython), so plain python runs them.
    interpreter = "ipython" if "get_ipython(" in source else "python"
    return source, interpreter


def run_scripts(project: Project, rep: int) -> tuple[float, float, dict[str, float], str]:
    base = project.root / "a" / f"rep{rep}"
    jobs = []
    for report in project.reports:
        source, interpreter = script_for(report, project.root / "notebooks", base / "out" / report.id)
        path = base / "scripts" / f"{report.id}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        jobs.append((report.id, [str(BIN / interpreter), str(path)]))
    env = {**project.env, "MPLBACKEND": "Agg"}
    per, cpu, start = {}, 0.0, time.perf_counter()
    for report_id, cmd in jobs:
        per[report_id], _, used = run(cmd, env=env, cwd=project.root / "notebooks", log_file=project.logs / "a.log")
        cpu += used
    total = time.perf_counter() - start
    return total, cpu, per, ", ".join(sorted({Path(c[0]).name for _, c in jobs}))


# ---- (b) the papermill command line ---------------------------------------------------------------

def run_papermill(project: Project, rep: int) -> tuple[float, float, dict[str, float]]:
    base = project.root / "b" / f"rep{rep}"
    base.mkdir(parents=True)
    per, cpu, start = {}, 0.0, time.perf_counter()
    for report in project.reports:
        cmd = [str(BIN / "papermill"), str(project.root / "notebooks" / f"{report.notebook}.ipynb"),
               str(base / f"{report.id}.ipynb"), "-k", "python3", "--cwd", str(project.root / "notebooks"),
               "--no-progress-bar"]
        for name, value in {**report.parameters, "output_dir": str(base / "out" / report.id)}.items():
            cmd += ["-p", name, str(value)]  # papermill reads True/False/ints back as such
        per[report.id], _, used = run(cmd, env=project.env, log_file=project.logs / "b.log")
        cpu += used
    return time.perf_counter() - start, cpu, per


# ---- (c), (d), (e) the build ----------------------------------------------------------------------

def run_build(project: Project, via: str, label: str) -> tuple[float, float, dict[str, float], str]:
    """Run the build; returns (wall s, CPU s, {report it built: the runner's seconds for it}, output)."""
    seconds, out, cpu = run(build_command(via), env=project.env, cwd=REPO, log_file=project.logs / f"{label}.log")
    ran = {m.group(4): float(m.group(5) or "nan") for m in RAN.finditer(out) if m.group(3) == "ok"}
    return seconds, cpu, ran, out


def edit_data_file(path: Path, stamp: str) -> None:
    """Change one note cell (the last row's) so the file's content, and hash, changes; the table stays valid."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    header = [c.strip() for c in rows[0]]
    column = header.index("note") if "note" in header else len(header) - 1
    last = max(i for i, r in enumerate(rows) if any(c.strip() for c in r))
    rows[last][column] = f"Benchmark edit {stamp}."
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


# ---- scale ----------------------------------------------------------------------------------------

def child_scale(data_dir: str, out_dir: str) -> None:
    """Run in a fresh process: load + validate the claims, aggregate, chart; print one JSON line."""
    import resource

    def rss_mib() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    t0 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from casualty_workbook import charts, loading
    from casualty_workbook.figures import save_figure

    t1 = time.perf_counter()
    base_mib = rss_mib()
    claims = loading.load_table("claims", data_dir)  # read, every cell rule, every cross-row rule
    t2 = time.perf_counter()
    totals = (claims.groupby(["event_id", "metric", "claimant"], observed=True)
              .agg(claims=("claim_id", "size"), value_best=("value_best", "sum"), latest=("reported_on", "max"))
              .reset_index().sort_values("value_best", ascending=False))
    t3 = time.perf_counter()
    # One chart: the twelve latest claims of the Belgorod death toll, with who said and who published them.
    names = loading.load_table("claimants", data_dir)[["claimant_id", "name"]].rename(
        columns={"claimant_id": "claimant", "name": "claimant_name"})
    publishers = loading.load_table("sources", data_dir)[["source_id", "publisher"]]
    latest = claims[(claims["event_id"] == "belgorod_strike_2024") & (claims["metric"] == "killed")] \
        .sort_values(["reported_on", "claim_id"]).tail(12)
    latest = latest.merge(names, on="claimant", how="left").merge(publishers, on="source_id", how="left")
    ax = charts.plot_claims(latest, title=f"Belgorod death toll: the 12 latest of {len(claims):,} claims")
    save_figure(ax.figure, "scale_chart", out_dir)
    plt.close("all")
    t4 = time.perf_counter()
    print(json.dumps({
        "rows": len(claims), "groups": len(totals), "import_s": t1 - t0, "load_validate_s": t2 - t1,
        "aggregate_s": t3 - t2, "chart_s": t4 - t3, "total_s": t4 - t1,
        "rss_after_import_mib": base_mib, "peak_rss_mib": rss_mib(),
    }))


def child_breakdown(data_dir: str) -> None:
    """Where load_table's time goes, step by step (uses the loader's internals: best effort)."""
    from casualty_workbook import loading, rules
    from casualty_workbook.schemas import TABLES

    spec, folder = TABLES["claims"], Path(data_dir)
    deps = {name: loading.load_table(name, folder) for name in spec.dependencies}
    steps = {}
    t = time.perf_counter()
    text = loading.read_text_table(folder / spec.filename, spec)
    steps["read CSV as text, strip cells (read_text_table)"] = time.perf_counter() - t
    t = time.perf_counter()
    problems = loading.check_cells(folder / spec.filename, spec, text)
    steps["cell rules with pandera (check_cells)"] = time.perf_counter() - t
    t = time.perf_counter()
    typed = loading.to_typed(spec, text)
    steps["type the columns (to_typed)"] = time.perf_counter() - t
    tables = {**deps, "claims": typed}
    for label, call in (("references resolve (check_references)", lambda: rules.check_references(spec, typed, tables)),
                        ("low ≤ best ≤ high, qualifiers (check_values)", lambda: rules.check_values("claims", typed)),
                        ("numbers stand in quotes (check_quotes)", lambda: rules.check_quotes("claims", typed)),
                        ("  of which: the best value in its quote (number_stands_in)",
                         lambda: (rules.number_stands_in(typed["quote"], typed["value_best"]), [])[1]),
                        ("revisions (check_revisions)", lambda: rules.check_revisions(typed))):
        t = time.perf_counter()
        problems += call()
        steps[label] = time.perf_counter() - t
    print(json.dumps({"steps": steps, "problems": len(problems)}))


def child_json(cmd: list[str], env: dict, log_file: Path) -> dict:
    _, out, _ = run(cmd, env=env, log_file=log_file)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"no result from {shlex.join(cmd)}:\n{out[-2000:]}")
    return json.loads(lines[-1])


def run_scale(project: Project, sizes: list[int], repeat: int, profile: bool) -> dict:
    from synthetic import write_claims  # bench/synthetic.py

    env = {**project.env, "MPLBACKEND": "Agg"}
    results = {}
    for n in sizes:
        data = project.root / "scale" / str(n) / "data"
        shutil.copytree(project.root / "data", data)
        t = time.perf_counter()
        path = write_claims(data, n)
        log(f"  scale {n:>9,} rows: synthetic table written ({path.stat().st_size / 2**20:.1f} MiB, "
            f"{time.perf_counter() - t:.1f} s)")
        runs = []
        for rep in range(repeat):
            out = project.root / "scale" / str(n) / f"out{rep}"
            runs.append(child_json([sys.executable, __file__, "--child-scale", str(data), str(out)], env,
                                   project.logs / "scale.log"))
            r = runs[-1]
            if r["rows"] != n:
                raise BenchError(f"scale: loaded {r['rows']} rows, expected {n}")
            log(f"    rep {rep + 1}: total {r['total_s']:.2f} s (load+validate {r['load_validate_s']:.2f} s, "
                f"aggregate {r['aggregate_s']:.2f} s, chart {r['chart_s']:.2f} s), peak RSS {r['peak_rss_mib']:.0f} MiB")
        results[n] = {"file_mib": path.stat().st_size / 2**20, "runs": runs,
                      **{k: stats([r[k] for r in runs]) for k in
                         ("total_s", "load_validate_s", "aggregate_s", "chart_s", "import_s", "peak_rss_mib",
                          "rss_after_import_mib")}}
        if n == sizes[-1]:
            try:
                results[n]["breakdown"] = child_json([sys.executable, __file__, "--child-breakdown", str(data)], env,
                                                     project.logs / "scale.log")
            except (BenchError, ValueError) as err:  # internals renamed: the breakdown is informative only
                results[n]["breakdown"] = {"error": str(err).splitlines()[0]}
            if profile:
                prof = project.root / "profile.out"
                run([sys.executable, "-m", "cProfile", "-o", str(prof), __file__, "--child-scale", str(data),
                     str(project.root / "scale" / "profile")], env=env, log_file=project.logs / "scale.log")
                import pstats

                buffer = io.StringIO()
                pstats.Stats(str(prof), stream=buffer).sort_stats("cumulative").print_stats(40)
                results[n]["profile"] = buffer.getvalue()
        shutil.rmtree(data)  # the 10^6-row table is ~200 MB
    return results


# ---- machine --------------------------------------------------------------------------------------

def machine() -> dict:
    from importlib import metadata

    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        info["cpu"] = model.group(1).strip() if model else platform.processor() or "unknown"
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    try:
        mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        info["memory_gib"] = round(int(mem.group(1)) / 2**20, 1)
    except (OSError, AttributeError):
        info["memory_gib"] = None
    packages = {}
    for name in ("pandas", "numpy", "pandera", "matplotlib", "seaborn", "papermill", "nbclient", "nbconvert",
                 "ipykernel", "jupyter_client", "pyzmq"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    info["packages"] = packages
    try:
        info["make"] = subprocess.run(["make", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        info["make"] = "not found"
    return info


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def git_state() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--",
                                "src", "notebooks", "catalogue.yml", "data", "requirements.lock"],
                               capture_output=True, text=True).stdout.split("\n")
        changed = sorted({line[3:] for line in dirty if line.strip()})
        return head + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---- the whole benchmark --------------------------------------------------------------------------

def benchmark(args: argparse.Namespace) -> dict:
    result = {"started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": args.command_line, "machine": machine(), "git": git_state(),
              "load_before": loadavg(), "repeat": args.repeat, "sizes": args.sizes, "via": args.via}
    via = args.via
    if via == "make" and not shutil.which("make"):
        via = result["via"] = "direct"
    tmp = tempfile.mkdtemp(prefix="workbook-bench-")
    try:
        project = Project(Path(tmp))
        result["build_command"] = shlex.join(build_command(via))
        result["reports"] = [r.id for r in project.reports]
        if not args.skip_build:
            wall = {k: [] for k in "abcde"}
            cpu = {k: [] for k in "abcde"}
            per = {k: {} for k in "abc"}  # report -> seconds, per repetition
            same = {k: [] for k in "abc"}  # figures byte-identical to the committed ones, per repetition

            def note(key: str, seconds: float, used: float, by_report: dict[str, float] | None = None) -> None:
                wall[key].append(seconds)
                cpu[key].append(used)
                for report_id, value in (by_report or {}).items():
                    per.get(key, {}).setdefault(report_id, []).append(value)

            for rep in range(1, args.repeat + 1):
                log(f"build, repetition {rep} of {args.repeat}")
                seconds, used, by_report, interpreters = run_scripts(project, rep)
                result["script_interpreter"] = interpreters
                note("a", seconds, used, by_report)
                same["a"].append(project.same_figures(project.root / "a" / f"rep{rep}" / "out"))
                log(f"  (a) plain scripts, one after another:  {fmt_s(seconds)} (CPU {fmt_s(used)})")
                seconds, used, by_report = run_papermill(project, rep)
                note("b", seconds, used, by_report)
                same["b"].append(project.same_figures(project.root / "b" / f"rep{rep}" / "out"))
                log(f"  (b) papermill CLI, one after another:   {fmt_s(seconds)} (CPU {fmt_s(used)})")
                project.clean()
                seconds, used, ran, out = run_build(project, via, "c")
                if sorted(ran) != sorted(result["reports"]):
                    raise BenchError(f"(c) a cold build ran {sorted(ran)}, not every report:\n{out}")
                note("c", seconds, used, ran)
                same["c"].append(tree_hashes(project.root / "figures") == project.figures_at_start)
                log(f"  (c) make figures after make clean:     {fmt_s(seconds)} (CPU {fmt_s(used)})")
            for rep in range(args.repeat):
                seconds, used, ran, out = run_build(project, via, "d")
                if ran or "up to date" not in out:
                    raise BenchError(f"(d) a build with nothing changed rebuilt {sorted(ran)}:\n{out}")
                note("d", seconds, used)
            log(f"  (d) make figures, nothing changed:     {fmt_stats(stats(wall['d']))}")
            reads = project.data_read_by()
            expected = sorted(r for r, files in reads.items() if args.edit_file in files)
            e_runs = []
            for rep in range(1, args.repeat + 1):
                edit_data_file(project.root / "data" / args.edit_file, f"{rep} at {time.time_ns()}")
                seconds, used, ran, out = run_build(project, via, "e")
                note("e", seconds, used)
                e_runs.append(sorted(ran))
                log(f"  (e) after editing {args.edit_file}: {fmt_s(seconds)}, reran {sorted(ran)} "
                    f"(expected {expected})")
            result["build"] = {
                **{k: stats(v) for k, v in wall.items()},
                "cpu": {k: stats(v) for k, v in cpu.items()},
                "per_report": {k: {r: stats(v) for r, v in d.items()} for k, d in per.items()},
                "figures_identical": same,
                "edit_file": args.edit_file, "reads": reads, "expected": expected, "reran": e_runs,
            }
        if not args.skip_scale:
            log(f"scale: sizes {', '.join(f'{n:,}' for n in args.sizes)}, {args.repeat} run(s) each")
            result["scale"] = run_scale(project, args.sizes, args.repeat, args.profile)
    finally:
        if args.keep:
            log(f"kept the benchmark's folder (logs in logs/): {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["load_after"] = loadavg()
    result["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    result["verdicts"] = verdicts(result)
    return result


def slope(xs: list[int], ys: list[float]) -> float:
    return math.log(ys[-1] / ys[-2]) / math.log(xs[-1] / xs[-2]) if len(xs) > 1 and ys[-2] > 0 else math.nan


def verdicts(result: dict) -> list[tuple[str, str, bool | None]]:
    out = []
    build = result.get("build")
    if build:
        a, b, c, d = (build[k]["median"] for k in "abcd")
        out.append((f"(c) within {TARGETS['c_over_a']} x (a)", f"(c)/(a) = {c / a:.2f}", c / a <= TARGETS["c_over_a"]))
        out.append((f"(c) at most {TARGETS['c_over_b']} x (b)", f"(c)/(b) = {c / b:.2f}", c / b <= TARGETS["c_over_b"]))
        out.append((f"(d) under {TARGETS['d_seconds']} s", f"median {fmt_s(d)}, max {fmt_s(build['d']['max'])}",
                    d < TARGETS["d_seconds"]))
        exact = bool(build["expected"]) and all(r == build["expected"] for r in build["reran"])
        out.append(("(e) reruns exactly the dependent reports",
                    f"{len(build['expected'])} of {len(result['reports'])} expected; "
                    f"{'every repetition matched' if exact else 'reran ' + str(build['reran'])}", exact))
    scale = result.get("scale")
    if scale:
        sizes = sorted(int(n) for n in scale)
        big = TARGETS["scale_rows"]
        at = scale.get(big)
        out.append((f"{big:,} rows in under {TARGETS['scale_seconds']:.0f} s",
                    f"median {fmt_s(at['total_s']['median'])}" if at else f"not run (largest size {sizes[-1]:,})",
                    at["total_s"]["median"] < TARGETS["scale_seconds"] if at else None))
        out.append((f"{big:,} rows in under 2 GiB",
                    f"peak RSS {at['peak_rss_mib']['max']:.0f} MiB" if at else f"not run (largest size {sizes[-1]:,})",
                    at["peak_rss_mib"]["max"] < TARGETS["scale_mib"] if at else None))
        times = [scale[n]["total_s"]["median"] for n in sizes]
        s = slope(sizes, times)
        out.append(("cost no faster than linear",
                    f"time ~ rows^{s:.2f} from {sizes[-2]:,} to {sizes[-1]:,} rows" if len(sizes) > 1 else "one size",
                    s <= TARGETS["scale_slope"] if len(sizes) > 1 else None))
    return out


# ---- the report -----------------------------------------------------------------------------------

def render(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{result['command']}` on {result['started']} (finished {result['finished']}), "
        f"{result['repeat']} repetition(s) of each measurement; medians with min–max in brackets.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cpus']} logical CPU(s) ({m['cpus_usable']} usable); memory {m['memory_gib']} GiB",
        f"- {m['platform']}; Python {m['python']}; {m['make']}",
        "- " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"- Load average (1, 5, 15 min) before: {result['load_before']}; after: {result['load_after']}. "
        "The machine is shared: other people's tests and builds ran beside the benchmark, so expect noise.",
        f"- Project: commit {result['git']}, snapshot copied to a temporary folder at the start.",
        "",
    ]
    build = result.get("build")
    if build:
        a, b, c = (build[k]["median"] for k in "abc")
        lines += [
            "## Build: all reports of catalogue.yml",
            "",
            f"{len(result['reports'])} reports: {', '.join(result['reports'])}.",
            "",
            "| measurement | wall time, median (min–max) | CPU time, median |",
            "|---|---|---|",
            f"| (a) floor: each report's notebook as a plain script (`{result.get('script_interpreter', 'python')}`), "
            f"one after another | {fmt_stats(build['a'])} | {fmt_s(build['cpu']['a']['median'])} |",
            f"| (b) `papermill` CLI once per report, one after another | {fmt_stats(build['b'])} "
            f"| {fmt_s(build['cpu']['b']['median'])} |",
            f"| (c) `make figures` after `make clean` | {fmt_stats(build['c'])} | {fmt_s(build['cpu']['c']['median'])} |",
            f"| (d) `make figures` with nothing changed | {fmt_stats(build['d'])} | {fmt_s(build['cpu']['d']['median'])} |",
            f"| (e) `make figures` after one edit to `{build['edit_file']}` | {fmt_stats(build['e'])} "
            f"| {fmt_s(build['cpu']['e']['median'])} |",
            "",
            "CPU time: user + system seconds of the command and every process it started (kernels "
            "included); it varies less than wall time with other people's load on a shared machine.",
            "",
            f"Ratios of medians: **(c)/(a) = {c / a:.2f}**, **(c)/(b) = {c / b:.2f}** (b/c: the build is "
            f"{b / c:.1f}× faster than papermill report by report).",
            "",
            f"(e): the reports whose executed notebooks recorded reading `{build['edit_file']}` "
            f"(metadata `casualty_workbook.data`): {', '.join(build['expected']) or 'none'}; "
            f"reran in each repetition: {'; '.join(', '.join(r) or 'none' for r in build['reran'])}.",
            "",
            "Figures byte-identical to the committed figures/ (each repetition): "
            + "; ".join(f"({k}) " + ", ".join("yes" if x else "no" for x in v)
                        for k, v in build["figures_identical"].items()) + ". "
            "(a) and (b) draw the same figures as the build; (c) must reproduce them exactly.",
            "",
            "Per report (wall time, median; (c) as the runner reports it, with two kernels sharing the CPUs):",
            "",
            "| report | (a) script | (b) papermill CLI | (c) in the build |",
            "|---|---|---|---|",
        ]
        for rid in result["reports"]:
            lines.append("| " + " | ".join([rid] + [fmt_s(build["per_report"][k][rid]["median"])
                                                   if rid in build["per_report"][k] else "–" for k in "abc"]) + " |")
        lines += [""]
    scale = result.get("scale")
    if scale:
        sizes = sorted(int(n) for n in scale)
        reference = 10**4 if 10**4 in sizes[:-1] else sizes[0]
        lines += [
            "## Scale: synthetic claims tables in the real schema",
            "",
            "Each size timed in a fresh process: `load_table(\"claims\")` (read, every cell rule, every rule "
            "across rows and tables), a group-by aggregation (event × metric × claimant), and one chart "
            "(`charts.plot_claims` of the 12 latest Belgorod death-toll claims, saved as PNG and SVG with "
            "`save_figure`). Time excludes the imports (shown apart); peak memory is the process's maximum "
            "RSS, imports included.",
            "",
            "| rows | CSV | load + validate | aggregate | chart | total | µs per row | peak RSS | imports |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for n in sizes:
            s = scale[n]
            lines.append(
                f"| {n:,} | {s['file_mib']:.1f} MiB | {fmt_stats(s['load_validate_s'])} | {fmt_s(s['aggregate_s']['median'])} "
                f"| {fmt_s(s['chart_s']['median'])} | {fmt_stats(s['total_s'])} "
                f"| {s['total_s']['median'] / n * 1e6:.1f} | {s['peak_rss_mib']['max']:.0f} MiB "
                f"| {fmt_s(s['import_s']['median'])} |")
        if len(sizes) > 1:
            per_row = [scale[n]["total_s"]["median"] / n for n in sizes]
            lines += ["", f"Time per row at {sizes[-1]:,} rows / at {reference:,} rows: "
                          f"{per_row[-1] / per_row[sizes.index(reference)]:.2f}; "
                          f"growth exponent (log-log slope) between the two largest sizes: "
                          f"{slope(sizes, [scale[n]['total_s']['median'] for n in sizes]):.2f} for time, "
                          f"{slope(sizes, [scale[n]['peak_rss_mib']['max'] for n in sizes]):.2f} for peak memory."]
        breakdown = scale[sizes[-1]].get("breakdown")
        if breakdown:
            lines += ["", f"Where the load's time goes at {sizes[-1]:,} rows (one run, step by step):", ""]
            if "error" in breakdown:
                lines.append(f"(unavailable: {breakdown['error']})")
            else:
                lines += ["| step | seconds |", "|---|---:|"]
                lines += [f"| {k} | {v:.2f} |" for k, v in breakdown["steps"].items()]
        if scale[sizes[-1]].get("profile"):
            lines += ["", "cProfile of the largest size (cumulative):", "", "```",
                      scale[sizes[-1]]["profile"].strip(), "```"]
        lines += [""]
    lines += ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {name} | {measured} | {verdict(ok)} |" for name, measured, ok in result["verdicts"]]
    lines += [
        "",
        "## How each figure was measured",
        "",
        "- Every measurement runs on a copy of notebooks/, catalogue.yml, data/, figures/, src/ and "
        "requirements.lock in a temporary folder (WORKBOOK_ROOT, WORKBOOK_DATA_DIR, WORKBOOK_FIGURES_DIR, "
        "WORKBOOK_REPORTS_DIR, and PYTHONPATH for the package), so the repository is never written to. "
        "SOURCE_DATE_EPOCH=0 and PYTHONHASHSEED=0 for every run, as the build sets them.",
        "- (a) each notebook converted with nbconvert's PythonExporter after inserting, below its "
        "`parameters` cell, the catalogue's parameters and an `output_dir` (as papermill injects them); run "
        "with `.venv/bin/python` (no line needs IPython: `display()` prints outside it), MPLBACKEND=Agg, "
        "cwd notebooks/, one subprocess per report, one after another. Conversion is not timed.",
        "- (b) `.venv/bin/papermill <notebook> <out.ipynb> -k python3 --cwd notebooks --no-progress-bar "
        "-p <name> <value> … -p output_dir <tmp>` per report, one after another (no HTML pages).",
        f"- (c) reports/ and .build-state/ removed (what `make clean` removes that the build reads), then "
        f"`{result['build_command']}` timed as a whole: make, the CLI, validation, one kernel per core, "
        "HTML pages and the index included. The committed figures stay in place, as after `make clean`.",
        "- (d) the same command again with nothing changed.",
        f"- (e) one note cell of `{EDIT_FILE}` changed (new content each repetition), the same command "
        "timed, and the reports it reran read from its `[i/n] ok <report>` lines.",
        "",
    ]
    return "\n".join(lines)


def summary(result: dict) -> str:
    lines = ["", "=" * 72, "Summary"]
    build = result.get("build")
    if build:
        for key, label in (("a", "(a) plain scripts"), ("b", "(b) papermill CLI"), ("c", "(c) make figures, cold"),
                           ("d", "(d) make figures, no-op"), ("e", "(e) one data file changed")):
            lines.append(f"  {label:<28} {fmt_stats(build[key])}")
    scale = result.get("scale")
    if scale:
        for n in sorted(int(k) for k in scale):
            s = scale[n]
            lines.append(f"  {n:>9,} rows: {fmt_stats(s['total_s'])}, peak RSS {s['peak_rss_mib']['max']:.0f} MiB")
    for name, measured, ok in result["verdicts"]:
        lines.append(f"  {verdict(ok):<5} {name}: {measured}")
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    return sorted({int(float(x)) for x in text.split(",") if x.strip()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one repetition, sizes 10^3 and 10^4, written to bench/out/ (what CI runs)")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions of each measurement (default 3)")
    parser.add_argument("--sizes", type=parse_sizes, default=None, help="rows of the scale runs, e.g. 1e3,1e4,1e5,1e6")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the results go (default bench/RESULTS.md; bench/out/RESULTS.md with --quick)")
    parser.add_argument("--via", choices=("make", "direct"), default="make",
                        help="run the build as `make figures` (default) or as the command it runs")
    parser.add_argument("--edit-file", default=EDIT_FILE, help=f"data file changed for (e) (default {EDIT_FILE})")
    parser.add_argument("--skip-build", action="store_true", help="only the scale runs")
    parser.add_argument("--skip-scale", action="store_true", help="only the build runs")
    parser.add_argument("--profile", action="store_true", help="also cProfile the largest size")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project copy and its logs")
    parser.add_argument("--child-scale", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-breakdown", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_scale:
        child_scale(*args.child_scale)
        return 0
    if args.child_breakdown:
        child_breakdown(*args.child_breakdown)
        return 0
    args.command_line = shlex.join([os.path.relpath(sys.executable, REPO), os.path.relpath(Path(__file__).resolve(), REPO),
                                    *(argv if argv is not None else sys.argv[1:])])
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.out = args.out or (REPO / "bench" / "out" / "RESULTS.md" if args.quick else REPO / "bench" / "RESULTS.md")
    started = time.perf_counter()
    try:
        result = benchmark(args)
    except (BenchError, subprocess.TimeoutExpired) as err:
        print(f"bench: {err}", file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - any crash: say where, exit non-zero
        traceback.print_exc()
        return 1
    result["wall_s"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(result) + f"\nThe whole benchmark took {result['wall_s'] / 60:.1f} min.\n")
    # Every number, as JSON: beside the results, except for bench/RESULTS.md (its JSON goes to the git-ignored bench/out/)
    raw = (REPO / "bench" / "out" / f"{args.out.stem}.json" if args.out.resolve().parent == REPO / "bench"
           else args.out.with_suffix(".json"))
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(result, indent=1, default=str))
    log(summary(result))
    log(f"Wrote {args.out} (every number in {raw}) in {result['wall_s']:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.dont_write_bytecode = True  # no bench/__pycache__
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/synthetic.py
    sys.exit(main())
