"""Synthetic claims tables in the real schema, for the scale benchmark (``bench/bench.py``).

``write_claims(data_dir, rows)`` replaces ``data_dir/claims.csv`` (a *copy* of ``data/``) by
the real claims followed by synthetic ones, ``rows`` in all. Every synthetic row is valid
under the real schema and rules, so the loader does its full work and raises nothing:

- ids are unique (``S0000001`` …); events, claimants and sources are those of the copied
  tables; metric, unit and population go together as in the real data;
- each qualifier gets the values it needs (``exact``: low = best = high; ``at_least``: low
  and best, no high; ``range``: low < high; ``not_reported``: none, …);
- every value stands in the quote, in digits ("14,200", "317") or, for small numbers, in words;
- dates lie between 2014 and 2024 (never in the future); ``revises`` is empty.

The rows are drawn with a fixed seed, so a size always gives the same file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from casualty_workbook.data.schemas import TABLES, WAR_PARTIES

# The claims table's columns, in the order its schema gives them (the synthetic file is read like the real one).
COLUMNS = [spec.name for spec in TABLES["claims"].fields]

# metric -> unit, as in the real data
METRIC_UNITS = {
    "killed": "people",
    "injured": "people",
    "casualties": "people",
    "missing": "people",
    "rescued": "people",
    "munitions_launched": "munitions",
    "munitions_intercepted": "munitions",
    "storeys_collapsed": "storeys",
    "settlements_captured": "settlements",
    "villages_captured": "settlements",
}
POPULATIONS = ("all", "civilians", "children")
QUOTE_KINDS = ("verbatim", "as_recorded")
WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
)
# qualifier: share of rows (roughly as in real reporting: exact and lower bounds dominate)
QUALIFIER_SHARES = {
    "exact": 0.35,
    "at_least": 0.25,
    "about": 0.1,
    "estimate": 0.05,
    "up_to": 0.05,
    "range": 0.15,
    "not_reported": 0.05,
}
NOTES = (
    "",
    "",
    "",
    "Figure given at a press briefing.",
    "Later reports repeat it.",
    "The report's own wording; see the source for context.",
)


def _ids(data_dir: Path, table: str, column: str) -> np.ndarray:
    frame = pd.read_csv(data_dir / f"{table}.csv", dtype=str, keep_default_na=False)
    return frame[column].str.strip().to_numpy()


def _written(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Numbers as a report writes them: '14,200' (with a separator) or '317', small ones sometimes in words."""
    commas = np.array([f"{v:,}" for v in values.tolist()], dtype=object)
    plain = values.astype(str).astype(object)
    out = np.where(rng.random(len(values)) < 0.5, commas, plain)
    small = (values <= 20) & (rng.random(len(values)) < 0.5)
    out[small] = np.array(WORDS, dtype=object)[values[small]]
    return out


def _statuses(side: pd.Series) -> np.ndarray:
    """The status each claimant's side allows (the rules of data/README.md): a party to the war's figure
    is 'claimed', one the outlet attributes to no one (side 'unknown') 'unattributed', any other 'unverified'."""
    return np.select([side.isin(WAR_PARTIES), side == "unknown"], ["claimed", "unattributed"], "unverified")


def synthetic_claims(n: int, data_dir: Path, *, seed: int = 20240512, start: int = 1) -> pd.DataFrame:
    """``n`` synthetic claims (text cells, as written in the CSV file), valid under the real rules."""
    rng = np.random.default_rng(seed)
    events = _ids(data_dir, "events", "event_id")
    claimants = _ids(data_dir, "claimants", "claimant_id")
    sides = pd.read_csv(data_dir / "claimants.csv", dtype=str, keep_default_na=False).set_index("claimant_id")["side"]
    sources = _ids(data_dir, "sources", "source_id")
    metrics = np.array(list(METRIC_UNITS), dtype=object)
    metric = metrics[rng.integers(0, len(metrics), n)]
    unit = pd.Series(metric).map(METRIC_UNITS).to_numpy(dtype=object)
    people = unit == "people"
    population = np.where(people, np.array(POPULATIONS, dtype=object)[rng.integers(0, 3, n)], "")

    qualifiers = np.array(list(QUALIFIER_SHARES), dtype=object)
    qualifier = qualifiers[rng.choice(len(qualifiers), n, p=list(QUALIFIER_SHARES.values()))]
    # values: mostly tens to thousands, a few large totals
    low = np.where(rng.random(n) < 0.3, rng.integers(0, 21, n), rng.integers(1, 60_000, n))
    high = low + rng.integers(1, 5_000, n)
    lw, hw = _written(low, rng), _written(high, rng)

    empty = np.full(n, "", dtype=object)
    lo_s, hi_s = low.astype(str).astype(object), high.astype(str).astype(object)
    value_low, value_best, value_high, quote = empty.copy(), empty.copy(), empty.copy(), empty.copy()

    def put(q: str, lo=None, best=None, hi=None, text=None) -> None:
        m = qualifier == q
        if lo is not None:
            value_low[m] = lo[m]
        if best is not None:
            value_best[m] = best[m]
        if hi is not None:
            value_high[m] = hi[m]
        quote[m] = text(m)

    what = pd.Series(metric).str.replace("_", " ").to_numpy(dtype=object)
    put("exact", lo_s, lo_s, lo_s, lambda m: lw[m] + " " + what[m] + ", officials said")
    put("at_least", lo_s, lo_s, None, lambda m: "at least " + lw[m] + " " + what[m] + ", according to the ministry")
    put("about", None, lo_s, None, lambda m: "approximately " + lw[m] + " " + what[m] + " in all")
    put("estimate", None, lo_s, None, lambda m: "an estimated " + lw[m] + " " + what[m])
    put("up_to", None, None, hi_s, lambda m: "up to " + hw[m] + " " + what[m] + ", the outlet reported")
    put("range", lo_s, None, hi_s, lambda m: "between " + lw[m] + " and " + hw[m] + " " + what[m])
    put("not_reported", None, None, None, lambda m: what[m] + " were reported, without a number")

    claimant = claimants[rng.integers(0, len(claimants), n)]
    days = (pd.Timestamp("2024-12-31") - pd.Timestamp("2014-04-14")).days
    reported = (pd.Timestamp("2014-04-14") + pd.to_timedelta(rng.integers(0, days + 1, n), unit="D")).strftime(
        "%Y-%m-%d"
    )
    return pd.DataFrame(
        {
            "claim_id": pd.Series(np.arange(start, start + n)).map("S{:07d}".format).to_numpy(dtype=object),
            "event_id": events[rng.integers(0, len(events), n)],
            "metric": metric,
            "population": population,
            "value_low": value_low,
            "value_best": value_best,
            "value_high": value_high,
            "qualifier": qualifier,
            "unit": unit,
            "claimant": claimant,
            "source_id": sources[rng.integers(0, len(sources), n)],
            "reported_on": np.asarray(reported, dtype=object),
            "reported_time": empty,
            # A party to the war's figure is claimed; the others are left unverified (the rules allow no more).
            "status": _statuses(pd.Series(claimant).map(sides)),
            "quote": quote,
            "quote_kind": np.array(QUOTE_KINDS, dtype=object)[rng.integers(0, 2, n)],
            "revises": empty,
            "derived_from": empty,
            "note": np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), n)],
        },
        columns=COLUMNS,
    )


def write_claims(data_dir: Path, rows: int, *, seed: int = 20240512) -> Path:
    """Replace ``data_dir/claims.csv`` by its real rows plus synthetic ones, ``rows`` data rows in all."""
    path = Path(data_dir) / "claims.csv"
    real = pd.read_csv(path, dtype=str, keep_default_na=False)
    extra = max(0, rows - len(real))
    frame = pd.concat([real.iloc[:rows], synthetic_claims(extra, Path(data_dir), seed=seed)], ignore_index=True)
    frame.to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return path


if __name__ == "__main__":  # python bench/synthetic.py <data_dir copy> <rows>
    import sys

    print(write_claims(Path(sys.argv[1]), int(sys.argv[2])))
