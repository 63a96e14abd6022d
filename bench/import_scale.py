"""How long importing a whole UCDP GED release takes: 300,000 rows (about the global dataset).

Writes a fictional GED file of ROWS rows in the real 49-column layout (ids, dates, places and
counts varied, every row valid), copies data/ to a scratch folder, and times
``workbook import ucdp`` on it in a fresh process: wall time and the process's peak memory.
Then it times the same import again (nothing changes) and checks every rule still holds.

    .venv/bin/python bench/import_scale.py [--rows 300000] [--json]

With ``--json`` the result is one JSON line on stdout (the words go to stderr), for the benchmark
to run it as a subprocess: ``{"rows", "wall_s", "cpu_s", "peak_rss_bytes", "repeat_wall_s",
"repeat_cpu_s", "load_average", "validate_ok", "ok"}``; ``ok`` is true when the import held to the
limits and every rule held after it. The exit status is 0 then too whether or not the limits were
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

from casualty_workbook.imports.ucdp import COLUMNS  # noqa: E402

LIMIT_SECONDS = 15
LIMIT_BYTES = 2 * 1024**3


def synthetic_ged(rows: int, path: Path, seed: int = 7) -> None:
    """A fictional GED export: every column present, every value within the codebook's codes."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, rows + 1) + 1_000_000
    best = rng.integers(0, 60, rows)
    low = np.maximum(0, best - rng.integers(0, 5, rows))
    high = best + rng.integers(0, 20, rows)
    civ = (best * rng.random(rows)).astype(int)
    unknown = best - civ
    start = pd.Timestamp("1989-01-01") + pd.to_timedelta(rng.integers(0, 12_700, rows), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 3, rows), unit="D")
    countries = np.array([f"Fictional Country {i}" for i in range(60)])[rng.integers(0, 60, rows)]
    text = lambda prefix: np.char.add(prefix, (ids % 997).astype(str))  # noqa: E731
    frame = pd.DataFrame(
        {
            "id": ids,
            "relid": np.char.add("FICT-", ids.astype(str)),
            "year": start.year,
            "active_year": 1,
            "code_status": "Clear",
            "type_of_violence": rng.integers(1, 4, rows),
            "conflict_dset_id": ids % 500,
            "conflict_new_id": ids % 500,
            "conflict_name": text("Fictional conflict "),
            "dyad_dset_id": ids % 900,
            "dyad_new_id": ids % 900,
            "dyad_name": text("Fictional side A - Fictional side B "),
            "side_a_dset_id": 1,
            "side_a_new_id": 1,
            "side_a": "Fictional side A",
            "side_b_dset_id": 2,
            "side_b_new_id": 2,
            "side_b": "Fictional side B",
            "number_of_sources": rng.integers(1, 5, rows),
            "source_article": text('Fictional Wire, "headline, with a comma" '),
            "source_office": "Fictional Wire",
            "source_date": start.strftime("%Y-%m-%d"),
            "source_headline": text("Headline "),
            "source_original": "Fictional officials; Fictional Wire",
            "where_prec": rng.integers(1, 8, rows),
            "where_coordinates": text("Fictional town "),
            "where_description": text("Near fictional town "),
            "adm_1": text("Fictional province "),
            "adm_2": text("Fictional district "),
            "latitude": np.round(rng.uniform(-60, 70, rows), 4),
            "longitude": np.round(rng.uniform(-170, 170, rows), 4),
            "geom_wkt": "",
            "priogrid_gid": ids % 259200,
            "country": countries,
            "country_id": 999,
            "region": "Fictional",
            "event_clarity": rng.integers(1, 3, rows),
            "date_prec": rng.integers(1, 6, rows),
            "date_start": start.strftime("%Y-%m-%d 00:00:00.000"),
            "date_end": end.strftime("%Y-%m-%d 00:00:00.000"),
            "deaths_a": 0,
            "deaths_b": 0,
            "deaths_civilians": civ,
            "deaths_unknown": unknown,
            "best": best,
            "high": high,
            "low": low,
            "gwnoa": 990,
            "gwnob": "",
        }
    )[list(COLUMNS)]
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
            ged = root / "GEDEvent_fictional.csv"
            synthetic_ged(args.rows, ged)
            shutil.copytree(REPO / "data", root / "data")
            size = ged.stat().st_size / 1e6
            seconds, cpu, peak, out = timed_import(ged, root / "data")
            load = os.getloadavg()[0]  # sampled as the first import ends: the load it ran under
            again, cpu_again, _, out_again = timed_import(ged, root / "data")
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
    ok = seconds < LIMIT_SECONDS and peak < LIMIT_BYTES and check.returncode == 0
    say(
        f"import ucdp: {args.rows:,} GED rows ({size:.0f} MB) in {seconds:.1f} s ({cpu:.1f} s of CPU), "
        f"peak memory {peak / 1024**3:.2f} GiB (limits {LIMIT_SECONDS} s, 2 GiB): {'within' if ok else 'OVER'}"
    )
    say(f"  load average while it ran: {load:.1f} on {os.cpu_count()} cores")
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
            "load_average": round(load, 2),
            "validate_ok": check.returncode == 0,
            "ok": ok,
        }
        print(json.dumps(result))
        return 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
