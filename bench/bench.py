#!/usr/bin/env python3
"""`make bench`: time a fresh set-up, the test suite, the build, the loader at scale, hundreds of reports, and a large import.

The parts, each in its own module beside this one:

- ``setup_runs.py``: a fresh clone to its first figures (`make env`, then `make figures`);
- ``suite_runs.py``: `make test` in a fresh clone (not with --quick: CI has just run the suite);
- ``build_runs.py``: the build (a) as plain scripts, (b) with the papermill CLI, (c) from
  clean, (d) with nothing changed, (e) after one data file changed;
- ``scale_runs.py``: synthetic claims tables (``synthetic.py``) at 10³–10⁶ rows through
  load + validation, an aggregation and one chart, in fresh processes;
- ``scale.py``: reports per second for 10, 50 and 200 event reports over synthetic events
  (warm and cold kernels), and with a Dask LocalCluster of 1 and 2 workers;
- ``import_runs.py``: ``import_scale.py --rows 300000 --json`` (a UCDP GED import) in a child process;
- ``measure.py``: running and timing commands, statistics, the project snapshot;
- ``render.py``: the results as dataclasses, the targets, RESULTS.md and the summary.

Everything goes into one file, bench/RESULTS.md (bench/out/RESULTS.md with --quick), each
section with its targets (PASS, FAIL, or n/a when this run's sizes do not reach them) and the
load average before and after it.

Usage: .venv/bin/python bench/bench.py [--quick] [--repeat N] [--sizes 1e3,1e4] [--out PATH]
The exit code is 0 whether or not the targets are met (each is printed PASS or FAIL); it is
non-zero only when something crashed (a build failed, a script raised, a child process died):
the other sections still run and the results are still written, with what failed in its section.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the parts beside this file

from build_runs import EDIT_FILE, measure_build  # noqa: E402
from import_runs import TARGET_ROWS, measure_import  # noqa: E402
from measure import REPO, BenchError, Project, clean_environment, host_speed, log  # noqa: E402
from render import BUILD, IMPORT, LOADER, REPORTS, SETUP, TESTS, Machine, Results, render, summary, verdicts  # noqa: E402
from scale import measure_reports  # noqa: E402
from scale_runs import measure_scale  # noqa: E402
from setup_runs import measure_fresh_setup  # noqa: E402
from suite_runs import measure_test_suite  # noqa: E402

DEFAULT_SIZES = (10**3, 10**4, 10**5, 10**6)
QUICK_SIZES = (10**3, 10**4)
# Report scale: local builds of these many event reports, cold kernels for the first, Dask 1 and 2 workers
DEFAULT_REPORTS, QUICK_REPORTS = (10, 50, 200), (4,)
DEFAULT_COLD, QUICK_COLD = (10,), ()
DEFAULT_DASK, QUICK_DASK = (50, 200), (4,)
QUICK_IMPORT_ROWS = 10_000


def machine() -> Machine:
    from casualty_workbook.data import provenance  # the snapshot's: versions as every report records them
    from casualty_workbook.pipeline.executors import usable_cores  # the cores a build's --jobs counts

    def first(pattern: str, path: str) -> str | None:
        try:
            found = re.search(pattern, Path(path).read_text(), re.M)
        except OSError:
            return None
        return found.group(1).strip() if found else None

    memory_kib = first(r"^MemTotal:\s*(\d+) kB", "/proc/meminfo")
    try:
        make = subprocess.run(["make", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        make = "make not found"
    return Machine(
        platform=platform.platform(),
        python=platform.python_version(),
        cpu=first(r"^model name\s*:\s*(.+)$", "/proc/cpuinfo") or platform.processor() or "unknown",
        cpus=os.cpu_count() or 0,
        cpus_usable=usable_cores(),
        memory_gib=round(int(memory_kib) / 2**20, 1) if memory_kib else None,
        make=make,
        packages=provenance.package_versions(),
    )


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def benchmark(args: argparse.Namespace) -> Results:
    tmp = Path(tempfile.mkdtemp(prefix="workbook-bench-"))
    try:
        project = Project(tmp / "project")
        from casualty_workbook.data import provenance

        results = Results(
            command=args.command_line,
            started=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            machine=machine(),
            commit=provenance.git_commit(REPO),
            load_before=loadavg(),
            speed_before=host_speed(),
            repeat=args.repeat,
            sizes=args.sizes,
            reports=project.report_ids,
        )

        def section(name: str, attribute: str, measure) -> None:
            """Run one section into ``results.<attribute>``; a part that fails is recorded, and the others still run."""
            before, speed = loadavg(), host_speed()
            try:
                setattr(results, attribute, measure())
            except (BenchError, RuntimeError, subprocess.TimeoutExpired) as err:
                log(f"{name}: FAILED: {err}")
                results.failures[name] = str(err)
            finally:
                results.loads[name] = (before, loadavg())
                results.speeds[name] = (speed, host_speed())
                # What is measured so far is kept (this section included), should a long run be stopped.
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(render(results) + "\n(Still running: the sections measured so far.)\n")

        if not args.skip_setup:
            log(f"fresh set-up: {args.repeat} clone(s) to first figures")
            section(SETUP, "setup", lambda: measure_fresh_setup(tmp / "clones", args.repeat, project.logs))
        if not args.skip_tests:
            log(f"test suite: make test in a fresh clone, {args.test_repeat} run(s)")
            section(TESTS, "tests", lambda: measure_test_suite(tmp / "suite", args.test_repeat, project.logs))
        if not args.skip_build:
            section(
                BUILD,
                "build",
                lambda: measure_build(project, repeat=args.repeat, via=args.via, edit_file=args.edit_file),
            )
        if not args.skip_scale:
            log(f"scale: sizes {', '.join(f'{n:,}' for n in args.sizes)}, {args.repeat} run(s) each")
            section(LOADER, "scale", lambda: measure_scale(project, args.sizes, args.repeat, args.profile))
        if not args.skip_reports:
            log(
                f"reports: {', '.join(map(str, args.reports))} event reports locally"
                + (f", {', '.join(map(str, args.dask))} on Dask with 1 and 2 workers" if args.dask else "")
            )
            section(
                REPORTS,
                "reports_scale",
                lambda: measure_reports(args.reports, args.cold, args.dask, log=log, command=args.command_line),
            )
        if not args.skip_import:
            log(f"import: {args.import_rows:,} UCDP GED rows (bench/import_scale.py --json)")
            section(
                IMPORT,
                "imports",
                lambda: measure_import(args.import_rows, clean_environment(), log_file=project.logs / "import.log"),
            )
    finally:
        if args.keep:
            log(f"kept the benchmark's folder (logs in project/logs/): {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results.load_after = loadavg()
    results.speed_after = host_speed()
    results.finished = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return results


def parse_sizes(text: str) -> list[int]:
    return sorted({int(float(x)) for x in text.split(",") if x.strip()})


def parse_counts(text: str) -> list[int]:
    return sorted({int(x) for x in text.split(",") if x.strip()})


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="one repetition, sizes 10^3 and 10^4, written to bench/out/ (what CI runs)"
    )
    parser.add_argument("--repeat", type=int, default=None, help="repetitions of each measurement (default 3)")
    parser.add_argument("--sizes", type=parse_sizes, default=None, help="rows of the scale runs, e.g. 1e3,1e4,1e5,1e6")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the results go (default bench/RESULTS.md; bench/out/ with --quick)",
    )
    parser.add_argument(
        "--via",
        choices=("make", "direct"),
        default="make",
        help="run the build as `make figures` or the command it runs",
    )
    parser.add_argument("--edit-file", default=EDIT_FILE, help=f"data file changed for (e) (default {EDIT_FILE})")
    parser.add_argument("--skip-setup", action="store_true", help="no fresh clone and set-up")
    parser.add_argument(
        "--skip-tests", action="store_true", help="no `make test` in a fresh clone (always skipped with --quick)"
    )
    parser.add_argument(
        "--test-repeat", type=int, default=1, help="runs of `make test` (default 1: about 2.5 min each)"
    )
    parser.add_argument("--skip-build", action="store_true", help="no build runs")
    parser.add_argument("--skip-scale", action="store_true", help="no loader scale runs")
    parser.add_argument("--skip-reports", action="store_true", help="no report-scale builds (bench/scale.py)")
    parser.add_argument("--skip-import", action="store_true", help="no import run (bench/import_scale.py)")
    parser.add_argument("--reports", type=parse_counts, default=None, help="event reports per local build (10,50,200)")
    parser.add_argument("--cold", type=parse_counts, default=None, help="report counts also built with cold kernels")
    parser.add_argument(
        "--dask", type=parse_counts, default=None, help="reports per Dask build, 1 and 2 workers (50,200; '': none)"
    )
    parser.add_argument(
        "--import-rows", type=int, default=None, help=f"rows of the import run (default {TARGET_ROWS:,})"
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile the largest size")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project copy and its logs")
    args = parser.parse_args(argv)
    here = os.path.relpath(Path(__file__).resolve(), REPO)
    given = argv if argv is not None else sys.argv[1:]
    args.command_line = shlex.join([os.path.relpath(sys.executable, REPO), here, *given])
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.reports is None:
        args.reports = list(QUICK_REPORTS if args.quick else DEFAULT_REPORTS)
    if args.cold is None:
        args.cold = list(QUICK_COLD if args.quick else DEFAULT_COLD)
    if args.dask is None:
        args.dask = list(QUICK_DASK if args.quick else DEFAULT_DASK)
    if args.import_rows is None:
        args.import_rows = QUICK_IMPORT_ROWS if args.quick else TARGET_ROWS
    args.skip_tests = args.skip_tests or args.quick
    for name in ("repeat", "import_rows", "test_repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if any(n < 1 for n in args.reports + args.cold + args.dask):
        parser.error("--reports, --cold and --dask take counts of reports, each at least 1 (--dask '': no Dask)")
    args.out = args.out or (REPO / "bench" / "out" / "RESULTS.md" if args.quick else REPO / "bench" / "RESULTS.md")
    if args.via == "make" and not shutil.which("make"):
        args.via = "direct"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        results = benchmark(args)
    except (BenchError, subprocess.TimeoutExpired) as err:
        print(f"bench: {err}", file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - any crash: say where, exit non-zero
        traceback.print_exc()
        return 1
    results.wall_s = time.perf_counter() - started
    code = 1 if results.failures else 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results) + f"\nThe whole benchmark took {results.wall_s / 60:.1f} min.\n")
    # Every number, as JSON: beside the results, except for bench/RESULTS.md (its JSON goes to the git-ignored bench/out/)
    in_bench = args.out.resolve().parent == REPO / "bench"
    raw = REPO / "bench" / "out" / f"{args.out.stem}.json" if in_bench else args.out.with_suffix(".json")
    raw.parent.mkdir(parents=True, exist_ok=True)
    record = {**dataclasses.asdict(results), "verdicts": [dataclasses.asdict(v) for v in verdicts(results)]}
    raw.write_text(json.dumps(record, indent=1, default=str))
    log(summary(results))
    log(f"Wrote {args.out} (every number in {raw}) in {results.wall_s:.0f} s.")
    if results.failures:
        log(f"Failed: {', '.join(results.failures)} (what went wrong is in each section of {args.out}).")
    return code


if __name__ == "__main__":
    sys.exit(main())
