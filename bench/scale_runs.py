"""The loader at scale: synthetic claims tables in the real schema (``synthetic.py``) at each size.

Each size is timed in a fresh process (this file run with ``--child-scale``): load + validation
(``load_table("claims")``: read, every cell rule, every rule across rows and tables), a group-by
aggregation and one chart saved with ``save_figure``; wall time, CPU time and peak memory (max RSS).
When the largest size reaches a million rows, ``workbook validate`` (every table, every rule) is
also timed over a claims table of ``VALIDATE_ROWS`` rows, as many as an import of 300,000 UCDP
GED rows leaves (``--child-validate``: the command's own code, in a fresh process).
"""

from __future__ import annotations

import io
import json
import math
import os
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

if __name__ != "__main__":  # the children import only the workbook
    from measure import BenchError, Project, Stats, log, run


@dataclass(frozen=True)
class ScaleRun:
    """One fresh process at one size (seconds, and MiB of resident memory)."""

    rows: int
    groups: int
    import_s: float
    load_validate_s: float
    aggregate_s: float
    chart_s: float
    total_s: float
    rss_after_import_mib: float
    peak_rss_mib: float
    load_validate_cpu_s: float = math.nan  # user + system seconds of load + validate, every thread


# The claims an import of 300,000 UCDP GED rows leaves (import_scale.py): the size `workbook validate` is timed at.
VALIDATE_ROWS = 900_103
# `workbook validate` runs at least this many times, whatever --repeat says: one run takes a few seconds,
# and on a shared machine one run alone can land in someone else's busy spell; the median is judged.
VALIDATE_RUNS = 3


@dataclass(frozen=True)
class ValidateRun:
    """`workbook validate` in a fresh process: the whole command (interpreter start-up included)."""

    claims: int
    wall_s: float
    cpu_s: float  # user + system seconds of the process, every thread
    peak_rss_mib: float


@dataclass
class ScaleSize:
    """Every run at one size, with where the load's time goes and, optionally, a profile."""

    rows: int
    file_mib: float
    runs: list[ScaleRun] = field(default_factory=list)
    breakdown: dict[str, list[float]] = field(default_factory=dict)  # step -> [wall, CPU] seconds (one run)
    breakdown_error: str = ""
    profile: str = ""
    validate: list[ValidateRun] = field(default_factory=list)  # at the largest size, when it reaches 10^6
    validate_error: str = ""

    def stat(self, name: str) -> Stats:
        return Stats([getattr(r, name) for r in self.runs])


# ---- in the child process -------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM), in MiB. Not getrusage's ru_maxrss: Linux keeps that
    across exec, so a child would report the benchmark's own peak (it writes the synthetic tables) as
    its own whenever that is the larger."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_s() -> float:
    """User + system CPU seconds of this process so far, every thread (Arrow's readers use several)."""
    times = os.times()
    return times.user + times.system


def child_validate(data_dir: str) -> None:
    """`workbook validate` as the command runs it; print one JSON line with the claims and the peak RSS."""
    from casualty_workbook import cli
    from casualty_workbook.data import loading

    code = cli.command(["--data-dir", data_dir, "validate"])
    claims = len(loading.load_table("claims", data_dir))  # from the cache the command filled
    peak = peak_rss_mib()
    print(json.dumps({"code": code, "claims": claims, "peak_rss_mib": peak}))


def child_scale(data_dir: str, out_dir: str) -> None:
    """Load + validate the claims, aggregate, chart; print one JSON line (a ScaleRun)."""
    rss_mib = peak_rss_mib
    t0 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from casualty_workbook.charts import claim_charts as charts
    from casualty_workbook.charts.saving import save_figure
    from casualty_workbook.data import loading

    t1 = time.perf_counter()
    base_mib = rss_mib()
    c1 = cpu_s()
    claims = loading.load_table("claims", data_dir)  # read, every cell rule, every cross-row rule
    t2 = time.perf_counter()
    c2 = cpu_s()
    totals = (
        claims.groupby(["event_id", "metric", "claimant"], observed=True)
        .agg(claims=("claim_id", "size"), value_best=("value_best", "sum"), latest=("reported_on", "max"))
        .reset_index()
        .sort_values("value_best", ascending=False)
    )
    t3 = time.perf_counter()
    # One chart: the twelve latest claims of the Belgorod death toll, with who said and who published them.
    names = loading.load_table("claimants", data_dir)[["claimant_id", "name"]].rename(
        columns={"claimant_id": "claimant", "name": "claimant_name"}
    )
    publishers = loading.load_table("sources", data_dir)[["source_id", "publisher"]]
    toll = claims[(claims["event_id"] == "belgorod_strike_2024") & (claims["metric"] == "killed")]
    latest = toll.sort_values(["reported_on", "claim_id"]).tail(12)
    latest = latest.merge(names, on="claimant", how="left").merge(publishers, on="source_id", how="left")
    ax = charts.plot_claims(latest, title=f"Belgorod death toll: the 12 latest of {len(claims):,} claims")
    save_figure(ax.figure, "scale_chart", out_dir)
    plt.close("all")
    t4 = time.perf_counter()
    run_ = {
        "rows": len(claims), "groups": len(totals), "import_s": t1 - t0, "load_validate_s": t2 - t1,
        "aggregate_s": t3 - t2, "chart_s": t4 - t3, "total_s": t4 - t1,
        "rss_after_import_mib": base_mib, "peak_rss_mib": rss_mib(), "load_validate_cpu_s": c2 - c1,
    }  # fmt: skip
    print(json.dumps(run_))


def child_breakdown(data_dir: str) -> None:
    """Where load_table's time goes, step by step (uses the loader's internals: best effort)."""
    from casualty_workbook.core.files import sha256_file
    from casualty_workbook.data import loading, rules
    from casualty_workbook.data.schemas import TABLES

    spec, folder = TABLES["claims"], Path(data_dir)
    deps = {name: loading.load_table(name, folder) for name in spec.dependencies}
    steps: dict[str, list[float]] = {}

    def step(label: str, call):
        wall, cpu = time.perf_counter(), cpu_s()
        result = call()
        steps[label] = [time.perf_counter() - wall, cpu_s() - cpu]
        return result

    step("hash the file (the cache's key, provenance)", lambda: sha256_file(folder / spec.filename))
    text = step(
        "read CSV as text, strip cells (read_text_table)", lambda: loading.read_text_table(folder / spec.filename, spec)
    )
    problems = step(
        "cell rules with pandera (check_cells)", lambda: loading.check_cells(folder / spec.filename, spec, text)
    )
    typed = step("type the columns (to_typed)", lambda: loading.to_typed(spec, text))
    tables = {**deps, "claims": typed}
    for label, call in (
        ("references resolve (check_references)", lambda: rules.check_references(spec, typed, tables)),
        ("low ≤ best ≤ high, qualifiers (check_values)", lambda: rules.check_values("claims", typed)),
        ("numbers stand in quotes (check_quotes)", lambda: rules.check_quotes("claims", typed)),
        (
            "  of which: the best value in its quote (number_stands_in)",
            lambda: (rules.number_stands_in(typed["quote"], typed["value_best"]), [])[1],
        ),
        ("statuses (check_statuses)", lambda: rules.check_statuses("claims", typed, tables)),
        ("revisions (check_revisions)", lambda: rules.check_revisions(typed)),
    ):
        problems += step(label, call)
    print(json.dumps({"steps": steps, "problems": len(problems)}))


# ---- in the benchmark -----------------------------------------------------------------------------


def child_json(cmd: list[str], env: dict, log_file: Path) -> dict:
    out = run(cmd, env=env, log_file=log_file).output
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"no result from {shlex.join(cmd)}:\n{out[-2000:]}")
    return json.loads(lines[-1])


def measure_scale(project: Project, sizes: list[int], repeat: int, profile: bool) -> list[ScaleSize]:
    from synthetic import write_claims

    env = {**project.env, "MPLBACKEND": "Agg"}
    child = [sys.executable, __file__]
    results = []
    for n in sizes:
        data = project.root / "scale" / str(n) / "data"
        shutil.copytree(project.root / "data", data)
        t = time.perf_counter()
        path = write_claims(data, n)
        size = ScaleSize(rows=n, file_mib=path.stat().st_size / 2**20)
        log(f"  scale {n:>9,} rows: synthetic table written ({size.file_mib:.1f} MiB, {time.perf_counter() - t:.1f} s)")
        for rep in range(repeat):
            out = project.root / "scale" / str(n) / f"out{rep}"
            r = ScaleRun(**child_json([*child, "--child-scale", str(data), str(out)], env, project.logs / "scale.log"))
            if r.rows != n:
                raise BenchError(f"scale: loaded {r.rows} rows, expected {n}")
            size.runs.append(r)
            log(
                f"    rep {rep + 1}: total {r.total_s:.2f} s (load+validate {r.load_validate_s:.2f} s, CPU "
                f"{r.load_validate_cpu_s:.2f} s; aggregate {r.aggregate_s:.2f} s, chart {r.chart_s:.2f} s), "
                f"peak RSS {r.peak_rss_mib:.0f} MiB"
            )
        if n == sizes[-1]:
            try:
                size.breakdown = child_json([*child, "--child-breakdown", str(data)], env, project.logs / "scale.log")[
                    "steps"
                ]
            except (BenchError, ValueError, KeyError) as err:  # internals renamed: the breakdown is informative only
                size.breakdown_error = str(err).splitlines()[0]
            if profile:
                size.profile = profile_child(project, data, env)
            if n >= 10**6:
                try:
                    size.validate = measure_validate(project, data, env, repeat)
                except BenchError as err:  # recorded beside the loader's numbers; the target is then FAIL
                    size.validate_error = str(err).splitlines()[0]
        results.append(size)
        shutil.rmtree(data)  # the 10^6-row table is ~200 MB
    return results


def measure_validate(project: Project, data: Path, env: dict, repeat: int) -> list[ValidateRun]:
    """`workbook validate` over ``data`` with a claims table of VALIDATE_ROWS rows, each run in a fresh process
    (``repeat`` runs, and never fewer than VALIDATE_RUNS)."""
    from synthetic import write_claims

    write_claims(data, VALIDATE_ROWS)
    runs = []
    for rep in range(max(repeat, VALIDATE_RUNS)):
        cmd = [sys.executable, __file__, "--child-validate", str(data)]
        ran = run(cmd, env=env, log_file=project.logs / "scale.log")
        lines = [line for line in ran.output.splitlines() if line.startswith("{")]
        if not lines:
            raise BenchError(f"no result from {shlex.join(cmd)}:\n{ran.output[-2000:]}")
        out = json.loads(lines[-1])
        if out["code"] != 0 or out["claims"] != VALIDATE_ROWS:
            raise BenchError(
                f"workbook validate: exit {out['code']}, {out['claims']} claims (expected {VALIDATE_ROWS})"
            )
        runs.append(ValidateRun(out["claims"], ran.seconds, ran.cpu, out["peak_rss_mib"]))
        log(
            f"    workbook validate, {VALIDATE_ROWS:,} claims, rep {rep + 1}: {ran.seconds:.2f} s "
            f"(CPU {ran.cpu:.2f} s), peak RSS {out['peak_rss_mib']:.0f} MiB"
        )
    return runs


def profile_child(project: Project, data: Path, env: dict) -> str:
    import pstats

    prof = project.root / "profile.out"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), __file__, "--child-scale", str(data)]
    run([*cmd, str(project.root / "scale" / "profile")], env=env, log_file=project.logs / "scale.log")
    buffer = io.StringIO()
    pstats.Stats(str(prof), stream=buffer).sort_stats("cumulative").print_stats(40)
    return buffer.getvalue()


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    if sys.argv[1] == "--child-scale":
        child_scale(*sys.argv[2:4])
    elif sys.argv[1] == "--child-breakdown":
        child_breakdown(sys.argv[2])
    elif sys.argv[1] == "--child-validate":
        child_validate(sys.argv[2])
    else:
        sys.exit(
            f"usage: {sys.argv[0]} --child-scale DATA OUT | --child-breakdown DATA | --child-validate DATA (run by bench.py)"
        )
