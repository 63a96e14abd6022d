"""The import section: ``bench/import_scale.py --rows N --json`` run as a child process, its one JSON line read.

``import_scale.py`` writes a UCDP GED file of N rows in the real 49-column layout (built from
real GED rows), imports it into a copy of data/ in a fresh process, imports the same file again,
exports the result as HXL, and checks every rule. With ``--json`` it prints, as its last line of
standard output, one JSON object:

    {"rows": 300000, "wall_s": 7.3, "cpu_s": 7.0, "peak_rss_bytes": 1500000000,
     "repeat_wall_s": 5.8, "export_wall_s": 3.9, "export_cpu_s": 3.6,
     "export_peak_rss_bytes": 1000000000, "validate_ok": true, "ok": true}

Anything else (a non-zero exit, no such line, a key missing or of the wrong type) is a
``BenchError`` that names what was wrong, never a silent row in the results.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from measure import REPO, BenchError, run

SCRIPT = REPO / "bench" / "import_scale.py"
TARGET_ROWS = 300_000  # the size the two targets are for
TARGET_SECONDS = 8.0
TARGET_BYTES = int(1.5 * 1024**3)  # 1.5 GiB, as import_scale.py checks
TARGET_EXPORT_SECONDS = 4.0
TARGET_EXPORT_BYTES = 1024**3  # 1 GiB, as import_scale.py checks
FIELDS = {
    "rows": int,
    "wall_s": (int, float),
    "cpu_s": (int, float),
    "peak_rss_bytes": int,
    "repeat_wall_s": (int, float),
    "export_wall_s": (int, float),
    "export_cpu_s": (int, float),
    "export_peak_rss_bytes": int,
    "validate_ok": bool,
    "ok": bool,
}


@dataclass(frozen=True)
class ImportRun:
    """One run of import_scale.py, as its JSON line reports it."""

    rows: int
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    repeat_wall_s: float
    export_wall_s: float  # workbook export hxl of the imported tables
    export_cpu_s: float
    export_peak_rss_bytes: int
    validate_ok: bool  # every rule held after the imports
    ok: bool  # that, and every limit of import_scale.py met
    command: str = ""

    @property
    def peak_gib(self) -> float:
        return self.peak_rss_bytes / 2**30

    @property
    def export_peak_gib(self) -> float:
        return self.export_peak_rss_bytes / 2**30


def parse(output: str) -> ImportRun:
    """The last line of ``output`` that is a JSON object, checked against the contract."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise BenchError(f"import_scale.py --json: its last JSON line does not parse ({err}): {line}") from None
            break
    else:
        raise BenchError("import_scale.py --json printed no JSON line; its output ended:\n" + output[-1500:])
    for key, kind in FIELDS.items():
        if key not in record:
            raise BenchError(f"import_scale.py --json: the key {key!r} is missing from {line}")
        value = record[key]
        # bool is an int in Python: only "ok" and "validate_ok" may be one
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise BenchError(
                f"import_scale.py --json: {key!r} must be a number (or, for 'ok' and 'validate_ok', true/false), got {value!r}"
            )
    return ImportRun(**{key: record[key] for key in FIELDS})


def measure_import(rows: int, env: dict, *, log_file: Path | None = None, python: str = sys.executable) -> ImportRun:
    """Run import_scale.py with ``rows`` rows in a child process; returns what it measured."""
    cmd = [python, str(SCRIPT), "--rows", str(rows), "--json"]
    ran = run(cmd, env=env, cwd=REPO, log_file=log_file)
    result = parse(ran.output)
    return ImportRun(**{**result.__dict__, "command": f"bench/import_scale.py --rows {rows} --json"})


def verdicts(result: ImportRun) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met): judged only at the size the targets are for, each limit on its own
    (a run whose rules did not hold afterwards meets none)."""
    judged = result.rows == TARGET_ROWS
    not_at = f"not judged: {result.rows:,} rows, the targets are for {TARGET_ROWS:,}"
    return [
        (
            f"import of {TARGET_ROWS:,} rows in at most {TARGET_SECONDS:.0f} s",
            f"{result.wall_s:.1f} s wall ({result.cpu_s:.1f} s CPU)" if judged else not_at,
            result.validate_ok and result.wall_s <= TARGET_SECONDS if judged else None,
        ),
        (
            f"import of {TARGET_ROWS:,} rows in at most 1.5 GiB",
            f"peak {result.peak_gib:.2f} GiB" if judged else not_at,
            result.validate_ok and result.peak_rss_bytes <= TARGET_BYTES if judged else None,
        ),
        (
            f"export hxl of {TARGET_ROWS:,} imported rows in at most {TARGET_EXPORT_SECONDS:.0f} s",
            f"{result.export_wall_s:.1f} s wall ({result.export_cpu_s:.1f} s CPU)" if judged else not_at,
            result.validate_ok and result.export_wall_s <= TARGET_EXPORT_SECONDS if judged else None,
        ),
        (
            f"export hxl of {TARGET_ROWS:,} imported rows in at most 1 GiB",
            f"peak {result.export_peak_gib:.2f} GiB" if judged else not_at,
            result.validate_ok and result.export_peak_rss_bytes <= TARGET_EXPORT_BYTES if judged else None,
        ),
    ]
