"""Computations the notebooks share: claim wording, revisions, weapons, OHCHR reconciliations, distances."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from casualty_workbook.data import provenance
from casualty_workbook.data.missing import is_missing
from casualty_workbook.data.running_counts import EVENT_PREFIX
from casualty_workbook.data.schemas import ESTIMATES, STATUS_WORDS, STATUSES

QUALIFIER_SYMBOLS = {"exact": "", "at_least": "≥ ", "about": "≈ ", "estimate": "est. ", "up_to": "≤ "}


def _fmt(n: object) -> str:
    return f"{int(n):,}"


def format_value(low: object, best: object, high: object, qualifier: str) -> str:
    """A claim's number as its wording has it: '≥ 15', '≈ 14,000', '14,200–14,400', 'not reported'."""
    if qualifier == "not_reported":
        return "not reported"
    if qualifier == "range":
        return f"{_fmt(low)}–{_fmt(high)}"
    if qualifier == "up_to":
        return f"≤ {_fmt(high)}"
    value = best if pd.notna(best) else low
    if pd.isna(value):
        return "not reported"
    return QUALIFIER_SYMBOLS.get(qualifier, "") + _fmt(value)


def with_labels(
    claims: pd.DataFrame, low: str = "value_low", best: str = "value_best", high: str = "value_high"
) -> pd.DataFrame:
    """Add ``label`` (the wording) and ``drawn`` (the number a bar is drawn to: best, else low)."""
    labels = [
        format_value(lo, be, hi, q)
        for lo, be, hi, q in zip(claims[low], claims[best], claims[high], claims["qualifier"].astype(str), strict=False)
    ]
    drawn = claims[best].fillna(claims[low])
    return claims.assign(label=labels, drawn=drawn.astype("Float64"))


def event_claims(
    claims: pd.DataFrame, event: str, *, claimant: str = "all", metrics: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The claims about one event, optionally from one claimant and for some metrics, oldest first."""
    chosen = claims[claims["event_id"] == event]
    if claimant != "all":
        chosen = chosen[chosen["claimant"] == claimant]
    if metrics is not None:
        chosen = chosen[chosen["metric"].astype(str).isin(metrics)]
    # by metric, then in the order reported (a revision after what it revises), as the revision chart has them
    ordered = order_reported(chosen)
    return ordered.sort_values("metric", key=lambda s: s.astype(str), kind="stable").reset_index(drop=True)


def _revision_depth(claims: pd.DataFrame) -> np.ndarray:
    """How many revisions back each claim's chain runs, in ``claims``' row order (0 for a claim that
    revises nothing here: a claim it names outside ``claims`` does not count).

    Linear in the claims: each claim's depth is its parent's plus one, found by walking up only as far
    as a claim already measured. (Counting hop by hop with pandas' labels cost a pass over the whole
    index per step of the longest chain: 16 s for 225,000 claims whose longest chain is 148 long.)
    Cycles are refused on load (a subset of an acyclic chain has none); one let through still ends.
    """
    ids = claims["claim_id"].astype(str).tolist()
    position = {claim_id: i for i, claim_id in enumerate(ids)}
    parents = [position.get(r, -1) if isinstance(r, str) else -1 for r in claims["revises"].tolist()]
    unmeasured, walking = -1, -2
    depth = [unmeasured] * len(ids)
    for start in range(len(ids)):
        chain = []
        node = start
        while node >= 0 and depth[node] == unmeasured:
            depth[node] = walking
            chain.append(node)
            node = parents[node]
        # the first claim measured above, or past the chain's root (or, were a cycle ever let through, the
        # claim met again: the walk ends there rather than going round for ever)
        known = depth[node] if node >= 0 and depth[node] >= 0 else -1
        for offset, member in enumerate(reversed(chain), start=1):
            depth[member] = known + offset
    return np.asarray(depth, dtype=np.int64)


def report_time_label(reported_on: pd.Timestamp, reported_time: object) -> str:
    """'12 May 2024, 18:46 (UTC+03:00)' where a time was given, else '13 May 2024'."""
    day = f"{reported_on.day} {reported_on:%b %Y}"
    if pd.isna(reported_time) or not str(reported_time):
        return day
    text = str(reported_time)
    return f"{day}, {text[:5]} (UTC{text[5:]})"


def _seconds(hh_mm: str) -> int:
    return int(hh_mm[:2]) * 3600 + int(hh_mm[3:5]) * 60


def _utc_seconds(reported_time: object) -> float:
    """'18:46+03:00' → the time in UTC, in seconds from midnight of its day (15:46); no time → 0."""
    if is_missing(reported_time):
        return 0.0
    text = str(reported_time)
    sign = {"+": 1, "-": -1}.get(text[5:6], 0)
    return float(_seconds(text) - sign * (_seconds(text[6:]) if sign else 0))


def order_reported(claims: pd.DataFrame) -> pd.DataFrame:
    """Claims in the order reported: by day; within a day a revision after the claim it revises,
    then by the time given (compared in UTC), then by id. A claim with no time is never given one.

    Sorted with numpy's stable ``lexsort`` on the keys (an event's few claims: pandas' sort of a
    frame of keys costs ten times as much)."""
    times = claims["reported_time"].tolist() if "reported_time" in claims.columns else [pd.NA] * len(claims)
    untimed = np.array([is_missing(t) for t in times], dtype=bool)
    at_utc = np.array([_utc_seconds(t) for t in times], dtype=float)
    days = claims["reported_on"].to_numpy(dtype="datetime64[ns]")
    day_keys = np.where(np.isnat(days), np.iinfo(np.int64).max, days.view(np.int64))  # a missing day last
    _, id_keys = np.unique(claims["claim_id"].astype(str).to_numpy(dtype=object), return_inverse=True)
    depth = _revision_depth(claims)
    order = np.lexsort((id_keys, at_utc, untimed, depth, day_keys))  # the last key sorts first
    return claims.take(order).reset_index(drop=True)


def revision_history(claims: pd.DataFrame, event: str, metric: str) -> pd.DataFrame:
    """Every claim of one event and metric in the order reported, with the claim each revises and
    ``when`` (the day, and the time with its UTC offset where the outlet gave one)."""
    history = order_reported(claims[(claims["event_id"] == event) & (claims["metric"] == metric)])
    times = history["reported_time"] if "reported_time" in history.columns else [pd.NA] * len(history)
    when = [report_time_label(d, t) for d, t in zip(history["reported_on"], times, strict=False)]
    return with_labels(history).assign(when=when)


def _year_spans(years: list[int]) -> str:
    """[2014, 2015, 2016, 2018] → '2014–2016, 2018'."""
    spans: list[list[int]] = []
    for year in sorted(years):
        if spans and year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def status_caption(statuses: pd.Series, years: pd.Series | None = None) -> str:
    """What the drawn rows' statuses say, computed from them: '2021 verified; 2014–2020 not matched to
    a quote yet' for years, '12 claimed; 1 derived' for figures. Never more than the rows say."""
    status = statuses.astype(str).reset_index(drop=True)
    parts = []
    for code in STATUSES:
        chosen = status == code
        if not chosen.any():
            continue
        if years is not None:
            parts.append(
                f"{_year_spans([int(y) for y in pd.Series(years).reset_index(drop=True)[chosen]])} {STATUS_WORDS[code]}"
            )
        else:
            parts.append(f"{int(chosen.sum())} {STATUS_WORDS[code]}")
    return "; ".join(parts)


def check_comparable_with_ohchr_deaths(metric: str) -> None:
    """OHCHR's yearly figures count civilians killed: only a death toll can stand beside them."""
    if metric != "killed":
        raise ValueError(
            f"parameter metric={metric!r}: OHCHR's yearly figures count civilians killed, so a claimed "
            f"'{metric}' figure cannot be set beside them (that would compare {metric} with deaths). "
            "Use metric='killed'."
        )


def latest_figures(claims: pd.DataFrame) -> pd.DataFrame:
    """Claims no later claim revises: the current figure of each revision chain."""
    revised = set(claims["revises"].dropna())
    return claims[~claims["claim_id"].isin(revised)]


def first_and_latest(claims: pd.DataFrame, event: str, metric: str) -> pd.DataFrame:
    """The first figure reported for an event's metric and the latest revision of it (one row if they coincide)."""
    history = claims[(claims["event_id"] == event) & (claims["metric"] == metric)].sort_values(
        ["reported_on", "claim_id"]
    )
    if history.empty:
        return history
    current = latest_figures(history).sort_values(["reported_on", "claim_id"])
    picked = [history.index[0], current.index[-1]]
    return history.loc[sorted(set(picked), key=picked.index)].reset_index(drop=True)


def weapons_claimed(mentions: pd.DataFrame, event: str | None = None) -> pd.DataFrame:
    """Per canonical system: the names it was reported as, and the counts claimed (missing if none).

    ``mentions`` comes from ``load_weapon_mentions`` (it carries the canonical names); ``event``
    picks one event's mentions (None: all those given).
    """
    chosen = mentions if event is None else mentions[mentions["event_id"] == event]
    grouped = chosen.groupby("canonical_name", sort=True, observed=True)
    table = pd.DataFrame(
        {
            "system_id": grouped["system_id"].first(),
            "type": grouped["type"].first().astype(str),
            "names_as_reported": grouped["name_as_reported"].agg(lambda s: ", ".join(sorted(set(s)))),
            "count_claimed": grouped["count_best"].sum(min_count=1).astype("Int64"),
            "mentions": grouped.size(),
            "status": grouped["status"].agg(lambda s: ", ".join(sorted(set(map(str, s))))),
        }
    ).reset_index()
    return table.sort_values(
        ["count_claimed", "canonical_name"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)


# The OHCHR categories whose totals include the sub-population counted apart (a part of the civilians).
WITHIN_COUNTED_APART = ("civilians", "all")


def counted_apart(totals: pd.DataFrame) -> dict:
    """The sub-population the totals count apart (``counted_apart`` of ohchr_totals.meta.yml): its
    category, short ``name``, ``who`` they are and ``date``; a ``ValueError`` where the metadata has none."""
    apart = provenance.counted_apart(totals)
    if not apart:
        raise ValueError(
            f"{totals.attrs.get('table', 'the totals table')} has no counted_apart in its .meta.yml: "
            "it names the category counted apart and the words for it (see data/README.md)"
        )
    return apart


def ohchr_figure(totals: pd.DataFrame, category: str, outcome: str) -> pd.Series:
    row = totals[(totals["category"] == category) & (totals["outcome"] == outcome)]
    if len(row) != 1:
        raise KeyError(f"ohchr_totals has no single row for {category}/{outcome}")
    return row.iloc[0]


def killed_by_category(totals: pd.DataFrame, *, estimate: str = "best", include_mh17: bool = True) -> pd.DataFrame:
    """Killed by category, with the value to draw for the chosen estimate (low, best or high).

    Without the sub-population counted apart (``counted_apart``), its count is taken off every total that
    includes it: with OHCHR's tables the civilians' (3,404 → 3,106) and everyone's (14,200–14,400 →
    13,902–14,102). Those figures become
    ``derived`` and say from what in ``derived_from``.
    """
    killed = with_labels(totals[totals["outcome"] == "killed"].copy())
    killed = killed[killed["category"] != counted_apart(totals)["category"]].copy()
    killed["derived_from"] = pd.Series(pd.NA, index=killed.index, dtype="string")
    if not include_mh17:
        apart = counted_apart(totals)
        apart_n = int(ohchr_figure(totals, apart["category"], "killed")["value_best"])
        within = killed["category"].isin(WITHIN_COUNTED_APART)
        originals = killed.loc[within, "label"]
        for column in ("value_low", "value_best", "value_high"):
            killed.loc[within, column] = killed.loc[within, column] - apart_n
        killed["status"] = killed["status"].astype(str).where(~within, "derived")
        killed.loc[within, "derived_from"] = [f"{label} − {apart_n:,} {apart['who']}" for label in originals]
        killed = with_labels(killed.drop(columns=["label", "drawn"]))
    pick = dict(zip(ESTIMATES, ("value_low", "value_best", "value_high"), strict=True))[estimate]
    # A range has no best: its midpoint stands in; an at-least figure has no high: its low stands in.
    midpoint = (killed["value_low"] + killed["value_high"]) / 2
    fallback = killed["value_best"].astype("Float64").fillna(midpoint).fillna(killed["value_low"].astype("Float64"))
    killed["drawn"] = killed[pick].astype("Float64").fillna(fallback)
    killed["estimate"] = estimate  # the chart's axis says which value the bars are drawn to
    return killed.sort_values("drawn", ascending=False).reset_index(drop=True)


def civilian_deaths_by_year(
    by_year: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    include_mh17: bool = True,
    year_from: int | None = None,
    year_to: int | None = None,
) -> pd.DataFrame:
    """Civilians killed per year in the range (None: from the table's first year, to its last); without
    those counted apart, their count comes off the year that includes them, which is then ``derived``.

    The result keeps ``by_year``'s ``attrs`` (its origin), so a chart of it can cite the table."""
    first = by_year["year"].min() if year_from is None else year_from
    last = by_year["year"].max() if year_to is None else year_to
    table = by_year[(by_year["year"] >= first) & (by_year["year"] <= last)].copy()
    apart = counted_apart(totals)
    apart_n = int(ohchr_figure(totals, apart["category"], "killed")["value_best"])
    table["mh17"] = np.where(table["includes_mh17"], apart_n, 0)
    table.attrs["counted_apart"] = apart  # the chart's words for them, from the totals' metadata
    table["status"] = table["status"].astype(str)
    if not include_mh17:
        table["killed"] = table["killed"] - table["mh17"]
        table.loc[table["mh17"] > 0, "status"] = "derived"
        table["mh17"] = 0
    return table.sort_values("year").reset_index(drop=True)


def reconcile_civilians(totals: pd.DataFrame, by_year: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """How the report's '3,106 civilians' follows from OHCHR's figures: a small table of the steps."""
    civilians = int(ohchr_figure(totals, "civilians", "killed")["value_low"])
    apart = counted_apart(totals)
    apart_n = int(ohchr_figure(totals, apart["category"], "killed")["value_best"])
    period = provenance.coverage(totals)
    years_total = int(by_year["killed"].sum())
    # the figure a report attributes to OHCHR: a UN claimant's civilians killed (no event named in code)
    attributed = claims["claimant_side"] == "un" if "claimant_side" in claims.columns else claims["claimant"].notna()
    reported = claims[
        attributed.fillna(False).astype(bool) & (claims["metric"] == "killed") & (claims["population"] == "civilians")
    ]
    reported_value = int(reported["value_best"].iloc[0]) if len(reported) else None
    rows = [
        (
            "OHCHR: civilians killed, "
            + (
                f"{provenance.format_day(period['period_start'])} to {provenance.format_day(period['period_end'])} "
                if period
                else ""
            )
            + "(at least)",
            civilians,
        ),
        ("OHCHR: civilians killed by year, added up", years_total),
        (f"of whom {apart['who']}, {provenance.format_day(apart['date'])}", apart_n),
        (f"civilians killed excluding {apart['name']}", civilians - apart_n),
        ("the report's figure for civilians killed", reported_value),
    ]
    table = pd.DataFrame(rows, columns=["step", "people"])
    table["people"] = table["people"].astype("Int64")
    return table


def civilian_share(totals: pd.DataFrame, *, include_mh17: bool = True) -> tuple[float, float]:
    """Civilians' share of all killed, as a (low, high) pair from OHCHR's 14,200–14,400 range."""
    civilians = ohchr_figure(totals, "civilians", "killed")["value_low"]
    if not include_mh17:
        civilians -= ohchr_figure(totals, counted_apart(totals)["category"], "killed")["value_best"]
    everyone = ohchr_figure(totals, "all", "killed")
    return float(civilians / everyone["value_high"]), float(civilians / everyone["value_low"])


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (mean Earth radius 6,371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def distances_from(places: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Each place with verified coordinates and its distance (km) from ``reference``; others get none."""
    ref = places.set_index("place_id").loc[reference]
    if pd.isna(ref["latitude"]):
        raise ValueError(f"place {reference!r} has no verified coordinates to measure from")
    distance = [
        round(haversine_km(ref["latitude"], ref["longitude"], lat, lon), 1) if pd.notna(lat) else None
        for lat, lon in zip(places["latitude"], places["longitude"], strict=False)
    ]
    return places.assign(distance_km=pd.array(distance, dtype="Float64"))


PROVENANCE_COLUMNS = (
    "claim_id",
    "event_id",
    "figure",
    "label",
    "who_said_it",
    "published_by",
    "reported_on",
    "status",
    "quote",
    "quote_kind",
    "derived_from",
    "url",
)


def provenance_table(
    claims: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    event: str = "all",
    status: str = "all",
    sources: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every figure with its wording, who said it, who published it, its status, its quote and, for a
    derived figure, what it was derived from. ``sources`` (``load_table("sources")``) gives the OHCHR
    totals their document's publisher, date and address."""
    event_rows = with_labels(claims).assign(
        figure=lambda d: d["metric"].astype(str) + (" (" + d["population"].astype("string") + ")").fillna(""),
        who_said_it=claims["claimant_name"],
        published_by=claims["publisher"],
        reported_on=claims["reported_on"].dt.strftime("%Y-%m-%d"),
    )
    event_rows["derived_from"] = claims["derived_from"] if "derived_from" in claims.columns else pd.NA
    columns = list(PROVENANCE_COLUMNS)
    table = pd.concat([event_rows[columns], _ohchr_total_rows(claims, totals, sources)[columns]], ignore_index=True)
    table["status"] = table["status"].astype(str)
    table["quote_kind"] = table["quote_kind"].astype(str)
    if event != "all":
        table = table[table["event_id"] == event]
    if status != "all":
        table = table[table["status"] == status]
    table = (
        table.rename(columns={"label": "value_as_worded"}).sort_values(["event_id", "claim_id"]).reset_index(drop=True)
    )
    # concat keeps no attrs of tables that differ: the files the figures come from are carried explicitly
    table.attrs = {"drawn_from": [Path(t.attrs["path"]).name for t in (claims, totals) if "path" in t.attrs]}
    return table


def _ohchr_total_rows(claims: pd.DataFrame, totals: pd.DataFrame, sources: pd.DataFrame | None) -> pd.DataFrame:
    """OHCHR's totals as provenance rows: OHCHR's word, published in the document each row names (none
    for a figure whose document was not identified), about the event OHCHR's claims in claims.csv concern."""
    neutral = claims["claimant_side"] == "un" if "claimant_side" in claims.columns else claims["claimant"].isna()
    ohchr_events = claims.loc[neutral.fillna(False).astype(bool), "event_id"].dropna().unique()
    # A running count (workbook import ohchr-series) is OHCHR's too, but the totals are not about it.
    ohchr_events = [e for e in ohchr_events if not str(e).startswith(EVENT_PREFIX)]
    docs = sources.set_index("source_id") if sources is not None else None
    source = totals["source_id"]
    return with_labels(totals).assign(
        claim_id=totals["figure_id"],
        event_id=ohchr_events[0] if len(ohchr_events) == 1 else "",
        figure=totals["outcome"].astype(str) + " (" + totals["category"].astype(str) + ")",
        who_said_it=totals.attrs.get("metadata", {}).get("origin", {}).get("producer", "OHCHR"),
        published_by=source.map(docs["publisher"]).fillna("no document identified") if docs is not None else "OHCHR",
        reported_on=source.map(docs["published"]).dt.strftime("%Y-%m-%d").fillna("") if docs is not None else "",
        url=source.map(docs["url"]) if docs is not None else "",
        derived_from=pd.NA,
    )


def places_with_sources(places: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Each place with the publisher and title of the source that located it (``coord_source_id``)
    and of the one that named it (``mentioned_in``): what a map's source line cites."""
    by_id = sources.assign(source_id=sources["source_id"].astype(str)).set_index("source_id")
    joined = places.copy()
    for column in ("coord_source_id", "mentioned_in"):
        ids = places[column].astype("string")
        joined[f"{column}_publisher"] = ids.map(by_id["publisher"]).astype("string")
        joined[f"{column}_title"] = ids.map(by_id["title"]).astype("string")
    return joined
