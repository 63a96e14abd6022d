"""How long importing a whole UCDP GED release takes: 300,000 rows (about the global dataset).

Writes a GED file of ROWS rows in the real 49-column layout, built from real GED rows (their
text repeated, so rows are as long as real ones; ids, dates, countries, points and counts varied,
a few rows with low above best or high below it, as real releases hold), copies data/ to a
scratch folder, and times ``workbook import ucdp`` on it in a fresh process: wall time and the
process's peak memory (limits 8 s, 1.5 GiB). Then it times the same import again (nothing
changes), ``workbook export hxl`` of the result (wall and CPU time, peak memory; limits 4 s,
1 GiB), and checks every rule still holds.

    .venv/bin/python bench/import_scale.py [--rows 300000] [--json]

With ``--json`` the result is one JSON line on stdout (the words go to stderr), for the benchmark
to run it as a subprocess: ``{"rows", "wall_s", "cpu_s", "peak_rss_bytes", "repeat_wall_s",
"repeat_cpu_s", "export_wall_s", "export_cpu_s", "export_peak_rss_bytes", "load_average",
"export_load_average", "validate_ok", "ok"}``; ``ok`` is true when the import and the export held
to their limits and every rule held after them. The exit status is 0 then too whether or not the limits were
met (the JSON says); it is 1 only when an import or the check failed to run, with ``"ok": false``
and the ``"error"``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

LIMIT_SECONDS = 8
LIMIT_BYTES = int(1.5 * 1024**3)
LIMIT_EXPORT_SECONDS = 4
LIMIT_EXPORT_BYTES = 1024**3
# Real GED rows in the 49-column layout as UCDP's API writes it (CC BY 4.0, see its README):
# the synthetic file repeats their text, so each row is as long as a real one.
EXCERPT = REPO / "tests" / "fixtures" / "real" / "ucdp_ged_api_ukraine_excerpt.csv"


# Countries as GED names them, with their Gleditsch-Ward code, GED region and an abbreviation for
# relids: the synthetic rows are spread over them (the excerpt is all Ukraine), so a country filter
# or a withdrawal's (country, year) scope sees a release's mix.
COUNTRIES = (
    ("Ukraine", "369", "Europe", "UKR"),
    ("Myanmar (Burma)", "775", "Asia", "MYA"),
    ("Bangladesh", "771", "Asia", "BNG"),
    ("Afghanistan", "700", "Asia", "AFG"),
    ("Syria", "652", "Middle East", "SYR"),
    ("Nigeria", "475", "Africa", "NIG"),
    ("Somalia", "520", "Africa", "SOM"),
    ("DR Congo (Zaire)", "490", "Africa", "DRC"),
    ("Colombia", "100", "Americas", "COL"),
    ("Mexico", "70", "Americas", "MEX"),
)
# Rows whose low is above best, or high below it, as real releases hold a few (the import marks them).
ANOMALY_SHARE = 0.002


def synthetic_ged(rows: int, path: Path, seed: int = 7) -> None:
    """A GED file of ``rows`` rows in the real 49-column layout, built from real rows: their text
    (sources, headlines, places, sides) repeated, with unique ids and relids, varied dates,
    countries, points and counts, so every row is a distinct event as long as a real one.

    The counts keep GED's own arithmetic (best is the sum of the four deaths_* columns, low <= best
    <= high) except in a few rows (``ANOMALY_SHARE`` each) whose low is above best or high below it.
    """
    rng = np.random.default_rng(seed)
    real = pd.read_csv(EXCERPT, dtype=str, keep_default_na=False)
    frame = real.iloc[np.arange(rows) % len(real)].reset_index(drop=True)
    ids = np.arange(1, rows + 1) + 1_000_000
    frame["id"] = ids.astype(str)
    start = pd.Timestamp("1989-01-01") + pd.to_timedelta(rng.integers(0, 12_700, rows), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 3, rows), unit="D")
    country = rng.integers(0, len(COUNTRIES), rows)
    names, codes, regions, short = (np.array(column)[country] for column in zip(*COUNTRIES, strict=True))
    frame["country"], frame["country_id"], frame["region"] = names, codes, regions
    frame["gwnoa"] = np.where(frame["gwnoa"] != "", codes, "")
    frame["year"] = start.year.astype(str)
    # As UCDP writes a relid: the country abbreviated, the year, type of violence, dyad, a serial number.
    frame["relid"] = (
        (pd.Series(short) + "-" + frame["year"] + "-" + frame["type_of_violence"] + "-" + frame["dyad_new_id"])
        + "-"
        + pd.Series(ids.astype(str))
    )
    frame["date_start"] = start.strftime("%Y-%m-%dT00:00:00")
    frame["date_end"] = end.strftime("%Y-%m-%dT00:00:00")
    frame["latitude"] = np.round(pd.to_numeric(frame["latitude"]) + rng.uniform(-0.5, 0.5, rows), 6).astype(str)
    frame["longitude"] = np.round(pd.to_numeric(frame["longitude"]) + rng.uniform(-0.5, 0.5, rows), 6).astype(str)
    # Counts: each real row's deaths scaled (1 to 4 times), best their sum, low and high around it.
    scale = rng.integers(1, 5, rows)
    deaths = {
        c: pd.to_numeric(frame[c]).to_numpy() * scale
        for c in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")
    }
    best = sum(deaths.values())
    low = np.maximum(best - rng.integers(0, 3, rows) * scale, 0)
    high = best + rng.integers(0, 5, rows) * scale
    odd = rng.random(rows)
    low = np.where(odd < ANOMALY_SHARE, best + 1, low)  # low above best
    high = np.where((odd >= ANOMALY_SHARE) & (odd < 2 * ANOMALY_SHARE) & (best > 0), best - 1, high)  # high below
    for column, values in {**deaths, "best": best, "low": low, "high": high}.items():
        frame[column] = values.astype(str)
    frame.to_csv(path, index=False)


class ImportFailed(Exception):
    """An import exited non-zero: its error output."""


def timed_import(ged: Path, data: Path) -> tuple[float, float, int, str]:
    """Seconds (wall and CPU), peak resident bytes and output of one ``workbook import ucdp`` in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "casualty_workbook.cli",
            "--data-dir",
            str(data),
            "import",
            "ucdp",
            str(ged),
            "--release",
            "90.1",
            "--released",
            "2025-06-01",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise ImportFailed(f"import failed:\n{result.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # ru_maxrss (kilobytes on Linux) is the largest child so far: the first import is the largest.
    return seconds, cpu, after.ru_maxrss * 1024, result.stdout.strip()


def timed_export(data: Path, out: Path) -> tuple[float, float, int]:
    """Seconds (wall and CPU) and peak resident bytes of ``workbook export hxl`` of ``data`` in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, sys; from casualty_workbook import cli; code = cli.main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)",
            "--data-dir",
            str(data),
            "export",
            "hxl",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise ImportFailed(f"export hxl failed:\n{result.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # Its own peak, printed by the child: RUSAGE_CHILDREN's is the largest child so far (the import).
    return seconds, cpu, int(result.stderr.strip().splitlines()[-1]) * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line on stdout")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error(f"--rows must be 1 or more, got {args.rows}")
    say = (lambda text: print(text, file=sys.stderr)) if args.json else print
    try:
        with tempfile.TemporaryDirectory(prefix="import-scale-") as scratch:
            root = Path(scratch)
            ged = root / "GEDEvent_bench.csv"
            synthetic_ged(args.rows, ged)
            shutil.copytree(REPO / "data", root / "data")
            size = ged.stat().st_size / 1e6
            seconds, cpu, peak, out = timed_import(ged, root / "data")
            load = os.getloadavg()[0]  # sampled as the first import ends: the load it ran under
            again, cpu_again, _, out_again = timed_import(ged, root / "data")
            export_s, export_cpu, export_peak = timed_export(root / "data", root / "claims.hxl.csv")
            export_load = os.getloadavg()[0]
            check = subprocess.run(
                [sys.executable, "-m", "casualty_workbook.cli", "--data-dir", str(root / "data"), "validate"],
                capture_output=True,
                text=True,
                cwd=REPO,
            )
    except ImportFailed as err:
        if not args.json:
            raise SystemExit(str(err)) from None
        print(json.dumps({"rows": args.rows, "ok": False, "error": str(err)}))
        return 1
    ok = (
        seconds <= LIMIT_SECONDS
        and peak <= LIMIT_BYTES
        and export_s <= LIMIT_EXPORT_SECONDS
        and export_peak <= LIMIT_EXPORT_BYTES
        and check.returncode == 0
    )
    say(
        f"import ucdp: {args.rows:,} GED rows ({size:.0f} MB) in {seconds:.1f} s ({cpu:.1f} s of CPU), "
        f"peak memory {peak / 1024**3:.2f} GiB; export hxl {export_s:.1f} s ({export_cpu:.1f} s of CPU), "
        f"peak {export_peak / 1024**3:.2f} GiB (limits {LIMIT_SECONDS} s, 1.5 GiB; export {LIMIT_EXPORT_SECONDS} s, "
        f"1 GiB): {'within' if ok else 'OVER'}"
    )
    say(
        f"  load average as the import ended: {load:.1f}, as the export ended: {export_load:.1f}, on {os.cpu_count()} cores"
    )
    say(f"  {out}")
    say(f"  the same file again: {again:.1f} s ({cpu_again:.1f} s of CPU); {out_again.split(': ', 1)[1]}")
    say(f"  validate afterwards: {check.stdout.strip() or check.stderr.strip()}")
    if args.json:
        result = {
            "rows": args.rows,
            "wall_s": round(seconds, 3),
            "cpu_s": round(cpu, 3),
            "peak_rss_bytes": peak,
            "repeat_wall_s": round(again, 3),
            "repeat_cpu_s": round(cpu_again, 3),
            "export_wall_s": round(export_s, 3),
            "export_cpu_s": round(export_cpu, 3),
            "export_peak_rss_bytes": export_peak,
            "load_average": round(load, 2),
            "export_load_average": round(export_load, 2),
            "validate_ok": check.returncode == 0,
            "ok": ok,
        }
        print(json.dumps(result))
        return 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
