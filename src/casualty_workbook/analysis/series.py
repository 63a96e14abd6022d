"""A running count kept as claims (``workbook import ohchr-series``): the count over time, what it
grew by each month, its downward steps, the gaps between its updates, and the count as of any day.

Every update of the count is a claim in ``claims.csv`` revising the update before; these functions
read those claims back as one tidy table (``running_count``) and compute from it. What they compute
is *derived*: differences between published figures, or a value between two updates, never a
figure OHCHR published. A count that went down is kept as published; nothing here smooths it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from casualty_workbook.analysis import tables
from casualty_workbook.data.running_counts import CLAIMANT, EVENT_PREFIX, POPULATION

SERIES_METRICS = ("killed", "injured")


def series_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events that are a running count imported as a series (not an incident), oldest first."""
    found = events[events["event_id"].astype(str).str.startswith(EVENT_PREFIX)]
    return found.sort_values(["date_start", "event_id"]).reset_index(drop=True)


def is_running_count(event: str) -> bool:
    """Whether ``event`` is a running count imported as a series (its report is a series report)."""
    return str(event).startswith(EVENT_PREFIX)


def running_count(claims: pd.DataFrame, event: str, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per update and metric of the count ``event``, in date order: ``date``, ``metric``,
    ``value``, the change since the update before (``step``) and the days since it (``days``),
    with the claim's id, status, source and who said and carried it (``load_claims``' columns).
    With ``events``, ``attrs`` carries the count's area and first day, for the charts' titles."""
    chosen = claims[
        (claims["event_id"].astype(str) == event)
        & (claims["claimant"].astype(str) == CLAIMANT)
        & (claims["population"].astype(str) == POPULATION)
        & (claims["metric"].astype(str).isin(SERIES_METRICS))
    ].copy()
    chosen["date"] = pd.to_datetime(chosen["reported_on"])
    chosen["value"] = chosen["value_best"].astype("Int64")
    chosen["metric"] = chosen["metric"].astype(str)
    chosen = chosen.sort_values(["metric", "date"], kind="stable").reset_index(drop=True)
    by_metric = chosen.groupby("metric", sort=False)
    chosen["step"] = by_metric["value"].diff().astype("Int64")
    chosen["days"] = by_metric["date"].diff().dt.days.astype("Int64")
    chosen.attrs = dict(claims.attrs)
    if events is not None:
        row = events[events["event_id"].astype(str) == event].iloc[0]
        chosen.attrs.update(area=str(row["country"]), counted_from=pd.Timestamp(row["date_start"]))
    return chosen


def _one(count: pd.DataFrame, metric: str) -> pd.DataFrame:
    return count[count["metric"] == metric].sort_values("date").reset_index(drop=True)


def monthly_increments(count: pd.DataFrame, metric: str, *, counted_from: dt.date | str | None = None) -> pd.DataFrame:
    """What the count grew by in each calendar month with an update: the last update of the month
    minus the last update before the month (the count starts at 0 on ``counted_from``, so the
    first month's increment is its last update). The increments add up to the last update.

    A month without an update has no row: its growth is in the next month with one, whose
    ``months`` says how many months its increment spans. ``from_date`` and ``to_date`` give the
    two updates each increment is the difference of (``from_date`` missing for the first)."""
    one = _one(count, metric)
    columns = ["month", "metric", "increment", "value", "from_date", "from_value", "to_date", "months", "down"]
    if one.empty:
        return pd.DataFrame(columns=columns)
    one["month"] = one["date"].dt.to_period("M")
    last = one.groupby("month", sort=True).tail(1).reset_index(drop=True)
    previous_value = last["value"].shift(1).fillna(0).astype("Int64")
    previous_date = last["date"].shift(1)
    start = pd.Period(pd.Timestamp(counted_from), "M") if counted_from is not None else last["month"].iloc[0]
    previous_month = last["month"].shift(1)
    months = [(m - (p if pd.notna(p) else start - 1)).n for m, p in zip(last["month"], previous_month, strict=True)]
    # A month whose updates include a step down: its increment is still the difference of the
    # figures as published, and the chart marks it.
    down = one.groupby("month")["step"].min().lt(0).reindex(last["month"]).fillna(False).to_numpy(dtype=bool)
    out = pd.DataFrame(
        {
            "month": last["month"],
            "metric": metric,
            "increment": (last["value"] - previous_value).astype("Int64"),
            "value": last["value"],
            "from_date": previous_date,
            "from_value": previous_value.where(previous_date.notna()),
            "to_date": last["date"],
            "months": months,
            "down": down,
        }
    )
    out.attrs = dict(count.attrs)
    return out


def downward_steps(count: pd.DataFrame) -> pd.DataFrame:
    """Every update whose figure is lower than the update before, as published: date, metric, the
    figure before and after, the change and the claim."""
    down = count[count["step"].fillna(0) < 0]
    before = down["value"] - down["step"]
    return pd.DataFrame(
        {
            "date": down["date"],
            "metric": down["metric"],
            "before": before.astype("Int64"),
            "after": down["value"],
            "change": down["step"],
            "claim_id": down["claim_id"],
            "revises": down["revises"],
        }
    ).reset_index(drop=True)


def update_gaps(count: pd.DataFrame, *, longer_than_days: int = 7) -> pd.DataFrame:
    """The spans between two updates longer than ``longer_than_days``: the count was not updated
    in between, so a chart leaves the span empty rather than joining the updates."""
    one = count.drop_duplicates("date").sort_values("date")
    previous = one["date"].shift(1)
    days = (one["date"] - previous).dt.days
    gaps = one[days > longer_than_days]
    return pd.DataFrame(
        {"after": previous[gaps.index], "next_update": gaps["date"], "days": days[gaps.index].astype(int)}
    ).reset_index(drop=True)


@dataclass(frozen=True)
class CountAsOf:
    """The count on one day, from the updates either side of it."""

    day: pd.Timestamp
    metric: str
    value: float | None  # None: the day is after the last update (nothing either side)
    method: str  # "update" (an update that day), "interpolated", "from the start" or "after the last update"
    before_date: pd.Timestamp | None
    before_value: int | None
    after_date: pd.Timestamp | None
    after_value: int | None

    def describe(self) -> str:
        """'about 1,711 (between 1,626 on 8 April 2022 and 1,766 on 9 April 2022)'."""
        if self.value is None:
            return f"no figure: the last update is of {_day(self.before_date)} ({self.before_value:,})"
        if self.method == "update":
            return f"{int(self.value):,} (the update of {_day(self.day)})"
        start = f"{self.before_value:,} on {_day(self.before_date)}" if self.before_date is not None else ""
        if self.method == "from the start":
            start = f"0 at the start of the count, {_day(self.before_date)}"
        return (
            f"about {round(self.value):,} (interpolated between {start} and "
            f"{self.after_value:,} on {_day(self.after_date)})"
        )


def _day(value: object) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%B %Y}"


def count_as_of(
    count: pd.DataFrame, metric: str, day: dt.date | str | pd.Timestamp, *, counted_from: dt.date | str | None = None
) -> CountAsOf:
    """The count of ``metric`` on ``day``: the update of that day, else a straight line between the
    updates either side (from 0 on ``counted_from`` before the first update). After the last update
    there is no figure: the count is not carried forward as if it had stood still."""
    one = _one(count, metric)
    day = pd.Timestamp(day)
    if one.empty:
        raise ValueError(f"the count has no update of {metric!r}")
    exact = one[one["date"] == day]
    if len(exact):
        v = int(exact["value"].iloc[0])
        return CountAsOf(day, metric, float(v), "update", day, v, day, v)
    before = one[one["date"] < day].tail(1)
    after = one[one["date"] > day].head(1)
    if after.empty:
        last = one.iloc[-1]
        return CountAsOf(day, metric, None, "after the last update", last["date"], int(last["value"]), None, None)
    after_date, after_value = after["date"].iloc[0], int(after["value"].iloc[0])
    if before.empty:
        if counted_from is None or day < pd.Timestamp(counted_from):
            raise ValueError(f"{day.date()} is before the count starts")
        before_date, before_value, method = pd.Timestamp(counted_from), 0, "from the start"
    else:
        before_date, before_value, method = before["date"].iloc[0], int(before["value"].iloc[0]), "interpolated"
    share = (day - before_date) / (after_date - before_date)
    value = before_value + share * (after_value - before_value)
    return CountAsOf(day, metric, float(value), method, before_date, before_value, after_date, after_value)


@dataclass(frozen=True)
class ContextChoice:
    """Which of OHCHR's counts an event's figures are set beside, and why."""

    table: str  # "series" (the running count since its start) or "yearly" (the 2014-2021 table)
    series_event: str | None  # the running count's event, when one covers the event's date
    covers_country: bool  # whether the running count's area is the event's country
    series_country: str | None
    event_country: str
    reason: str


def choose_context(event: str, events: pd.DataFrame) -> ContextChoice:
    """The running count whose period holds the event's date (it started on or before the event's
    first day), else the yearly table of the earlier war. A running count of another country is
    still chosen for its period, and ``covers_country`` says it does not cover the event."""
    row = events[events["event_id"].astype(str) == event].iloc[0]
    start = pd.Timestamp(row["date_start"])
    country = str(row["country"])
    candidates = series_events(events)
    candidates = candidates[pd.to_datetime(candidates["date_start"]) <= start]
    if candidates.empty:
        return ContextChoice(
            "yearly", None, False, None, country, f"{_day(start)} is before any running count imported starts"
        )
    same = candidates[candidates["country"].astype(str).str.casefold() == country.casefold()]
    chosen = (same if len(same) else candidates).iloc[-1]
    covers = len(same) > 0
    reason = f"{_day(start)} is on or after the day the count began, {_day(chosen['date_start'])}"
    return ContextChoice("series", str(chosen["event_id"]), covers, str(chosen["country"]), country, reason)


# ---- what the notebooks say and pick ------------------------------------------------------------


def choose_series(event: str | None, events: pd.DataFrame) -> str:
    """``event`` itself if it is a running count, or for None the running count imported last
    (the latest start, then the latest end)."""
    found = series_events(events)
    if event is not None:
        if event not in set(found["event_id"].astype(str)):
            raise ValueError(f"event {event!r} is not a running count imported with workbook import ohchr-series")
        return event
    if found.empty:
        raise ValueError("no running count is imported: run workbook import ohchr-series first")
    return str(found.sort_values(["date_start", "date_end"]).iloc[-1]["event_id"])


def series_intro(event: str, events: pd.DataFrame, count: pd.DataFrame) -> str:
    """The series report's opening, from the data: what is counted, where, since when, how often."""
    row = events[events["event_id"].astype(str) == event].iloc[0]
    first, last = count["date"].min(), count["date"].max()
    updates = count["date"].nunique()
    latest = {m: int(_one(count, m)["value"].iloc[-1]) for m in SERIES_METRICS if len(_one(count, m))}
    said = ", ".join(f"{v:,} civilians {m}" for m, v in latest.items())
    publisher = str(count["publisher"].iloc[0]) if len(count) else "its carrier"
    return (
        f"# {row['name']}\n\n"
        f"{updates:,} updates of the count, from {_day(first)} to {_day(last)}, as {publisher} carried them; "
        f"the last: {said}, counted from {_day(row['date_start'])} in {row['country']}. "
        "OHCHR counts only the casualties it has corroborated and says the actual figures are higher."
    )


def latest_updates(claims: pd.DataFrame, event: str, *, keep: int = 4) -> tuple[pd.DataFrame, str]:
    """For a running count's event report: only its last ``keep`` updates of each metric (a
    report of one claim per bar cannot show hundreds), and a sentence saying so; other events'
    claims come back whole, with an empty sentence."""
    if not is_running_count(event):
        return claims, ""
    ordered = claims.assign(_day=pd.to_datetime(claims["reported_on"]))
    recent = ordered.sort_values("_day").groupby("metric", observed=True, sort=False).tail(keep)
    kept = claims.loc[sorted(recent.index)]
    total = claims["reported_on"].nunique()
    note = (
        f"\n\nThis event is a running count with {total:,} updates: this report shows its last {keep} "
        "of each figure. The whole series, its monthly increments and its downward revisions are in the "
        "series report (notebook ohchr_since_2022)."
    )
    return kept.reset_index(drop=True), note


def context_text(choice: ContextChoice, event: str, events: pd.DataFrame, count: pd.DataFrame | None) -> str:
    """What the context report compares the event with, and why; what the comparison cannot say."""
    row = events[events["event_id"].astype(str) == event].iloc[0]
    if choice.table == "yearly":
        return (
            f"**Compared with OHCHR's yearly table of 2014–2021**: {choice.reason}. One event's claimed toll "
            "beside a whole year's corroborated count: not like for like."
        )
    start = events.loc[events["event_id"].astype(str) == choice.series_event, "date_start"].iloc[0]
    text = [
        f"**Compared with OHCHR's running count of civilians killed in {choice.series_country} since "
        f"{_day(start)}**: {choice.reason}, so this report uses that count, not the 2014–2021 table."
    ]
    if not choice.covers_country:
        text.append(
            f"**OHCHR's count does not cover {choice.event_country}**: it counts civilians in "
            f"{choice.series_country}, and {row['name']} is in {choice.event_country}. Its figures are shown "
            "for the period only; they do not include this event's dead."
        )
    if count is not None and len(count):
        last = count["date"].max()
        if pd.Timestamp(row["date_start"]) > last:
            text.append(
                f"The series as imported ends with the update of {_day(last)}, before the event: "
                "there is no count as of the event's day."
            )
    text.append(
        "The counts are not like for like: one event's toll as it was claimed, against a corroborated "
        "count of civilians for a whole country, which OHCHR says is lower than the actual figures."
    )
    return "\n\n".join(text)


def event_month_figures(
    count: pd.DataFrame, metric: str, day: object, *, counted_from: object
) -> tuple[pd.Series | None, CountAsOf | None]:
    """The month's increment of ``metric`` that holds ``day`` (None when the month has no update)
    and the count as of ``day`` (None after the last update)."""
    increments = monthly_increments(count, metric, counted_from=counted_from)
    month = pd.Period(pd.Timestamp(day), "M")
    hit = increments[increments["month"] == month]
    row = hit.iloc[0] if len(hit) else None
    try:
        as_of = count_as_of(count, metric, day, counted_from=counted_from)
    except ValueError:
        as_of = None
    return row, as_of


def increments_table(*tables: pd.DataFrame) -> pd.DataFrame:
    """The monthly increments of several metrics side by side, for reading: month, then per metric
    the increment and the count at the month's last update."""
    wide = None
    for table in tables:
        if table.empty:
            continue
        metric = str(table["metric"].iloc[0])
        part = table.set_index("month")[["increment", "value"]].rename(
            columns={
                "increment": f"{metric}: added in the month (derived)",
                "value": f"{metric}: count at its last update",
            }
        )
        wide = part if wide is None else wide.join(part, how="outer")
    if wide is None:
        return pd.DataFrame()
    wide.index = [f"{m:%B %Y}" for m in wide.index]
    return wide


@dataclass
class SeriesContext:
    """What the context report sets an event beside: the choice, and for a running count its
    updates, the event's month's increment and the count as of the event's day."""

    choice: ContextChoice
    event_figures: pd.DataFrame
    day: pd.Timestamp
    text: str
    count: pd.DataFrame | None = None
    month: pd.Series | None = None
    as_of: CountAsOf | None = None
    mark_label: str = ""

    @property
    def beside_count(self) -> bool:
        """Whether the count has a figure to set beside the event (its country, its period)."""
        return self.month is not None or (self.as_of is not None and self.as_of.value is not None)

    def figures_table(self) -> pd.DataFrame:
        """The figures the chart sets beside the event's toll, each with how it was obtained."""
        rows = []
        if self.month is not None:
            m = self.month
            since = "the start of the count" if pd.isna(m["from_date"]) else f"the update of {_day(m['from_date'])}"
            rows.append(
                {
                    "figure": f"added in {m['month']:%B %Y} (derived)",
                    "value": int(m["increment"]),
                    "how": f"the update of {_day(m['to_date'])} ({int(m['value']):,}) minus {since}",
                }
            )
        if self.as_of is not None:
            value = None if self.as_of.value is None else round(self.as_of.value)
            rows.append({"figure": f"cumulative to {_day(self.day)}", "value": value, "how": self.as_of.describe()})
        if not rows and self.choice.table == "series":
            why = (
                f"OHCHR's count covers {self.choice.series_country}, not {self.choice.event_country}"
                if not self.choice.covers_country
                else "the count has no update in the event's month and none after its day"
            )
            rows.append({"figure": "none set beside the event", "value": None, "how": why})
        return pd.DataFrame(rows, columns=["figure", "value", "how"])


def context_for(event: str, events: pd.DataFrame, claims: pd.DataFrame, metric: str) -> SeriesContext:
    """Everything the context report needs about ``event``: which count it is set beside and the
    count's figures for the event's month and day (only where the count covers its country)."""
    choice = choose_context(event, events)
    row = events[events["event_id"].astype(str) == event].iloc[0]
    day = pd.Timestamp(row["date_start"])
    figures = tables.first_and_latest(claims, event, metric)
    if choice.table == "yearly":
        return SeriesContext(choice, figures, day, context_text(choice, event, events, None))
    count = running_count(claims, choice.series_event, events)
    start = events.loc[events["event_id"].astype(str) == choice.series_event, "date_start"].iloc[0]
    month, as_of = (None, None)
    if choice.covers_country:
        month, as_of = event_month_figures(count, metric, day, counted_from=start)
    where = "" if choice.covers_country else f" (in {choice.event_country}: not in this count)"
    label = f"{row['name']}, {_day(day)}{where}"
    return SeriesContext(
        choice, figures, day, context_text(choice, event, events, count), count, month, as_of, mark_label=label
    )


def collapse_counts(table: pd.DataFrame) -> pd.DataFrame:
    """A provenance table (``tables.provenance_table``) with each running count's updates shown as
    its latest figure per metric, worded with how many updates it follows: hundreds of updates
    would bury the other figures (the exported CSV keeps every row)."""
    is_count = table["event_id"].astype(str).map(is_running_count)
    if not is_count.any():
        return table
    counts = table[is_count].sort_values("reported_on")
    latest = counts.groupby("figure", sort=False).tail(1).copy()
    sizes = counts.groupby("figure")["claim_id"].count()
    firsts = counts.groupby("figure")["reported_on"].first()
    latest["value_as_worded"] = [
        f"{w} (the latest of {sizes[f]:,} updates, from {firsts[f]})"
        for w, f in zip(latest["value_as_worded"], latest["figure"], strict=True)
    ]
    out = pd.concat([table[~is_count], latest]).sort_values(["event_id", "claim_id"]).reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out
