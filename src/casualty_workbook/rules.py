"""Rules across rows and tables: references resolve, low ≤ best ≤ high, a qualifier fits its
values, the number stands in its quote, a revision points backwards in time, breakdowns add up.

Every rule is vectorised (no Python loop per row) and returns ``Problem``s; the loader
collects them all before it raises, so a file's every problem is reported at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .exceptions import Problem
from .schemas import TABLES, UNNAMED_SIDE, WAR_PARTIES, TableSpec

# Number words the reports use for counts ("fifteen people", "at least ten stories").
NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
_WORDS_BY_VALUE: dict[int, list[str]] = {}
for _word, _value in NUMBER_WORDS.items():
    _WORDS_BY_VALUE.setdefault(_value, []).append(_word)
_STRING = np.dtypes.StringDType()

VALUE_COLUMNS = {
    "claims": ("value_low", "value_best", "value_high"),
    "ohchr_totals": ("value_low", "value_best", "value_high"),
    "weapon_mentions": ("count_low", "count_best", "count_high"),
}


def _problems(frame: pd.DataFrame, mask: pd.Series, column: str, rule: str) -> list[Problem]:
    flags = mask.fillna(False).astype(bool).to_numpy()
    if not flags.any():  # the usual case: no row is taken out of a table of a million (a take per column)
        return []
    rows = frame.index[flags]
    values = frame[column].to_numpy(dtype=object)[flags] if column in frame.columns else [None] * len(rows)
    return [Problem(int(i) + 2, column, _as_written(v), rule) for i, v in zip(rows, values, strict=False)]


def _as_written(value: object) -> object:
    """A typed cell shown as the file has it: empty (not '<NA>'), YYYY-MM-DD, true/false."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return value


def _member(values: pd.Series, allowed: pd.Series) -> pd.Series:
    """``values.isin(allowed)``, fast whatever the sizes: text is matched by Arrow's hash kernel
    (a table's own million ids in a fraction of a second); other types by ``isin`` for a short
    list of allowed values and through a hash index for a long one."""
    allowed = allowed.dropna()
    if isinstance(values.dtype, pd.StringDtype) and isinstance(allowed.dtype, pd.StringDtype):
        import pyarrow as pa
        import pyarrow.compute as pc

        cells = pa.array(values, from_pandas=True)
        value_set = pc.unique(pa.array(allowed, from_pandas=True)).cast(cells.type)
        found = pc.is_in(cells, value_set=value_set).to_numpy(zero_copy_only=False)
        return pd.Series(found.astype(bool), index=values.index)  # a missing value is in no list
    if len(allowed) <= 10_000:
        return values.isin(list(pd.unique(allowed.to_numpy(dtype=object)))).fillna(False).astype(bool)
    present = values.dropna()
    lookup = pd.Index(pd.unique(allowed.to_numpy(dtype=object)))
    found = pd.Series(False, index=values.index)
    found[present.index] = lookup.get_indexer(present.to_numpy(dtype=object)) >= 0
    return found


def _tokens(text: pd.Series, *, digits: bool) -> np.ndarray:
    """Each text reduced to its numbers (' 14,200 20 ') or its words (' at least fifteen '), padded with spaces.

    Only literal replacements and one plain character class are used, so the work runs in C
    over the whole column (Arrow's kernels where pyarrow backs pandas' strings); the result is
    a NumPy string array, searched per row by a NumPy ufunc: no Python loop per row.
    """
    lowered = text.fillna("").astype("str").str.lower() + " "
    if digits:
        # A decimal is never a count ("2.5" holds no 2 and no 5); [0-9], not \d: ten times faster in RE2.
        lowered = lowered.str.replace(r"[0-9]+\.[0-9]+", " ", regex=True)
        # Thousands separators become commas; a comma that ends a clause ("15, 20") is a space.
        for separator in ("\u00a0", "\u202f"):
            lowered = lowered.str.replace(separator, ",", regex=False)
        kept = lowered.str.replace(", ", " ", regex=False).str.replace(r"[^0-9,]+", " ", regex=True)
    else:
        kept = lowered.str.replace(r"[^a-z0-9]+", " ", regex=True)  # letters and digits only
    return (" " + kept + " ").to_numpy(dtype=_STRING)


def _with_separators(numbers: np.ndarray, separator: str = ",") -> np.ndarray:
    """14200 → '14,200', vectorised."""
    text = (numbers % 1000).astype(_STRING)
    rest = numbers // 1000
    text = np.where(rest > 0, np.strings.zfill(text, 3), text)
    while (active := rest > 0).any():
        group = (rest % 1000).astype(_STRING)
        rest = rest // 1000
        group = np.where(rest > 0, np.strings.zfill(group, 3), group)
        text = np.where(active, np.strings.add(np.strings.add(group, separator), text), text)
    return text


def _contains_token(tokens: np.ndarray, words: np.ndarray) -> np.ndarray:
    needles = np.strings.add(np.strings.add(" ", words.astype(_STRING)), " ")
    return np.strings.find(tokens, needles) >= 0


class QuoteText:
    """A table's quotes reduced once to their numbers; to their words only for the rows that need it.

    Each distinct quote is reduced once (an imported dataset repeats a few thousand wordings over
    hundreds of thousands of rows), then spread back to its rows.
    """

    def __init__(self, quotes: pd.Series):
        self.quotes = quotes
        self._codes, distinct = pd.factorize(quotes, use_na_sentinel=False)
        self._distinct = pd.Series(distinct, dtype=object)
        self._digits: np.ndarray | None = None

    def digits(self) -> np.ndarray:
        if self._digits is None:
            self._digits = _tokens(self._distinct, digits=True)[self._codes]
        return self._digits

    def words(self, rows: np.ndarray) -> np.ndarray:
        codes = self._codes[rows]
        needed, where = np.unique(codes, return_inverse=True)
        return _tokens(self._distinct.iloc[needed], digits=False)[where]


def number_stands_in(quotes: pd.Series | QuoteText, values: pd.Series) -> pd.Series:
    """For each row, whether its value (a whole number; missing counts as true) is written in its
    quote: in digits, with or without thousands separators, or in words ("fifteen", "a dozen")."""
    text = quotes if isinstance(quotes, QuoteText) else QuoteText(quotes)
    result = np.ones(len(values), dtype=bool)
    rows = np.flatnonzero(values.notna().to_numpy())
    if len(rows):
        numbers = values.to_numpy()[rows].astype(np.int64)
        digit_text = text.digits()[rows]
        found = _contains_token(digit_text, numbers.astype(_STRING))
        for separator in (",", " "):  # 14,000 (or 14\u00a0000, made a comma above) and 14 000
            big = np.flatnonzero(~found & (numbers >= 1000))
            if len(big):
                found[big] = _contains_token(digit_text[big], _with_separators(numbers[big], separator))
        unfound = np.flatnonzero(~found & np.isin(numbers, list(_WORDS_BY_VALUE)))
        if len(unfound):
            word_text = text.words(rows[unfound])
            for k in range(max(len(words) for words in _WORDS_BY_VALUE.values())):  # each value's k-th word
                kth = {value: words[k] for value, words in _WORDS_BY_VALUE.items() if len(words) > k}
                has_kth = np.isin(numbers[unfound], list(kth))
                per_row = np.array([kth.get(int(n), "") for n in numbers[unfound][has_kth]], dtype=_STRING)
                hit = np.zeros(len(unfound), dtype=bool)
                hit[has_kth] = _contains_token(word_text[has_kth], per_row)
                found[unfound[hit]] = True
        result[rows] = found
    return pd.Series(result, index=values.index)


def check_references(spec: TableSpec, frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    out: list[Problem] = []
    for ref in spec.references:
        target = tables[ref.table]  # for a table's own ids: all its rows, even those with bad cells
        values = frame[ref.column]
        mask = values.notna() & ~_member(values, target[ref.target])
        out += _problems(frame, mask, ref.column, f"must name a {ref.target} listed in {TABLES[ref.table].filename}")
    return out


def check_values(name: str, frame: pd.DataFrame) -> list[Problem]:
    """low ≤ best ≤ high, and the qualifier agrees with which values are given."""
    low_c, best_c, high_c = VALUE_COLUMNS[name]
    low, best, high = frame[low_c], frame[best_c], frame[high_c]
    q = frame["qualifier"].astype("string")
    has_low, has_best, has_high = low.notna(), best.notna(), high.notna()
    out = _problems(frame, has_low & has_best & (low > best), low_c, f"must not be above {best_c}")
    out += _problems(frame, has_best & has_high & (best > high), high_c, f"must not be below {best_c}")
    out += _problems(frame, has_low & has_high & (low > high), high_c, f"must not be below {low_c}")
    expectations = {
        # qualifier: (mask of rows breaking it, column to name, rule)
        "exact": (
            ~(has_low & has_best & has_high) | (low != best) | (best != high),
            best_c,
            f"qualifier 'exact' needs {low_c} = {best_c} = {high_c}, all given",
        ),
        "at_least": (
            ~has_low | has_high | (has_best & (best != low)),
            low_c,
            f"qualifier 'at_least' needs {low_c} (and {best_c} equal to it, if given) and an empty {high_c}",
        ),
        "up_to": (~has_high | has_low, high_c, f"qualifier 'up_to' needs {high_c} and an empty {low_c}"),
        "about": (~has_best, best_c, f"qualifier 'about' needs {best_c}"),
        "estimate": (~has_best, best_c, f"qualifier 'estimate' needs {best_c}"),
        "range": (
            ~(has_low & has_high) | (low >= high),
            low_c,
            f"qualifier 'range' needs {low_c} below {high_c}, both given",
        ),
        "not_reported": (
            has_low | has_best | has_high,
            best_c,
            "qualifier 'not_reported' means no value: leave the value columns empty (never 0)",
        ),
    }
    for qualifier, (broken, column, rule) in expectations.items():
        out += _problems(frame, (q == qualifier) & broken.fillna(True), column, rule)
    return out


def check_quotes(name: str, frame: pd.DataFrame) -> list[Problem]:
    """Each value given must stand in the row's quote, in digits or words."""
    out: list[Problem] = []
    # A derived figure is computed, not quoted: its inputs are in derived_from, checked by check_statuses.
    kept = frame["status"].astype("string") != "derived"
    quoted = frame if bool(kept.fillna(False).all()) else frame[kept]  # no copy of a table with nothing derived
    quotes = QuoteText(quoted["quote"])
    for column in VALUE_COLUMNS[name]:
        missing = ~number_stands_in(quotes, quoted[column]).reindex(frame.index, fill_value=True)
        out += _problems(frame, missing, column, "must stand in the quote (in digits or words)")
    return out


def check_statuses(name: str, frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """A status says how far a figure was checked, so it must be earned by the row itself:

    - a party to the war's figure is ``claimed`` whoever relays it: never ``verified`` or ``secondary``;
    - ``claimed`` is a party's word, so only a party to the war's figure is ``claimed``;
    - a figure the outlet attributes to no one (claimant side ``unknown``) is ``unattributed``, and only it is;
    - ``verified`` needs a ``verbatim`` quote (words checked character for character);
    - ``secondary`` needs a carrying source: one that is not the producing body's own document;
    - ``derived`` names its inputs and arithmetic in ``derived_from``, and only a derived figure does.
    """
    status = frame["status"].astype("string")
    out: list[Problem] = []
    if "claimant" in frame.columns:
        sides = tables["claimants"].drop_duplicates("claimant_id").set_index("claimant_id")["side"].astype("string")
        side = frame["claimant"].map(sides)
        out += _problems(
            frame,
            side.isin(WAR_PARTIES) & status.isin(("verified", "secondary")),
            "status",
            "a figure stated by a party to the war (side "
            + " or ".join(WAR_PARTIES)
            + " in claimants.csv) is 'claimed' whoever relays it: never verified or secondary",
        )
        out += _problems(
            frame,
            ~side.isin(WAR_PARTIES).fillna(False) & (status == "claimed"),
            "status",
            "only a figure stated by a party to the war (side "
            + " or ".join(WAR_PARTIES)
            + " in claimants.csv) is 'claimed': an independent body's figure is 'secondary' or 'unverified', "
            "one the outlet attributes to no one is 'unattributed'",
        )
        unnamed = (side == UNNAMED_SIDE).fillna(False)
        out += _problems(
            frame,
            unnamed & ~status.isin(("unattributed", "derived")).fillna(False),
            "status",
            f"a figure whose claimant's side is '{UNNAMED_SIDE}' (the outlet names no one) is 'unattributed'",
        )
        out += _problems(
            frame,
            ~unnamed & (status == "unattributed"),
            "status",
            f"only a figure whose claimant's side is '{UNNAMED_SIDE}' (the outlet names no one) is 'unattributed'",
        )
    if "quote_kind" in frame.columns:
        unquoted = (frame["quote_kind"].astype("string") != "verbatim").fillna(True) | frame["quote"].isna()
        out += _problems(
            frame,
            (status == "verified") & unquoted,
            "quote_kind",
            "a verified figure needs a verbatim quote (quote_kind 'verbatim'): an 'as_recorded' "
            "quote was not checked character for character",
        )
    else:
        out += _problems(
            frame,
            status == "verified",
            "status",
            "a verified figure needs a verbatim quote, and this table has no quote column",
        )
    if "source_id" in frame.columns:
        owners = (
            tables["sources"].drop_duplicates("source_id").set_index("source_id")["own_document_of"].astype("string")
        )
        owner = frame["source_id"].map(owners)
        if "claimant" in frame.columns:  # the producer is the claimant; another body's document may carry it
            own = owner.notna() & (owner == frame["claimant"].astype("string"))
        else:  # a table of one body's own figures: any body's own document is not a carrier
            own = owner.notna()
        out += _problems(
            frame,
            (status == "secondary") & (own.fillna(False) | frame["source_id"].isna()),
            "source_id",
            "a secondary figure needs a carrying source (an outlet or a later document citing it), "
            "not the producing body's own document (own_document_of in sources.csv)",
        )
        out += _problems(
            frame,
            frame["source_id"].isna() & (status != "unverified"),
            "source_id",
            "a figure with no source document can only be 'unverified'",
        )
    if "derived_from" in frame.columns:
        given = frame["derived_from"].notna()
        out += _problems(
            frame,
            (status == "derived") & ~given,
            "derived_from",
            "a derived figure must name its inputs and the arithmetic (e.g. 'C001 + C002')",
        )
        out += _problems(
            frame,
            (status != "derived") & given,
            "derived_from",
            "only a figure with status 'derived' names the figures it is derived from",
        )
    else:
        out += _problems(
            frame,
            status == "derived",
            "status",
            "a derived figure must name its inputs, and this table has no derived_from column",
        )
    return out


def check_addresses(frame: pd.DataFrame) -> list[Problem]:
    """A source is one document: its full address, never a site's root; no address only with the reason why."""
    url = frame["url"].astype("string")
    root = url.str.fullmatch(r"https?://[^/?#]+/?").fillna(False).astype(bool)
    out = _problems(frame, root, "url", "must be the document's full address, not the bare root of its site")
    out += _problems(
        frame,
        url.isna() & frame["no_url_reason"].isna(),
        "no_url_reason",
        "a source without an address must say why in no_url_reason",
    )
    out += _problems(
        frame,
        url.notna() & frame["no_url_reason"].notna(),
        "no_url_reason",
        "must be empty when the source has an address",
    )
    return out


def check_revisions(frame: pd.DataFrame) -> list[Problem]:
    """A revision points at another claim of the same event and metric, reported no later."""
    revising = frame[frame["revises"].notna()]
    if revising.empty:
        return []
    out = _problems(frame, frame["revises"] == frame["claim_id"], "revises", "a claim cannot revise itself")
    # Only the claims that are revised are looked up: a handful, even in a table of a million claims.
    revised = frame[_member(frame["claim_id"], revising["revises"])].drop_duplicates("claim_id").set_index("claim_id")
    revising = revising[revising["revises"].isin(list(revised.index))]
    target = revised.reindex(revising["revises"].to_numpy(dtype=object))[
        ["event_id", "metric", "reported_on"]
    ].set_axis(revising.index)
    other = (target["event_id"] != revising["event_id"]) | (
        target["metric"].astype("string") != revising["metric"].astype("string")
    )
    # A chain of revisions must end: follow every chain one step at a time (steps, not rows, are looped).
    step = revising.set_index("claim_id")["revises"].dropna()
    step = step[step != step.index]  # a claim revising itself has its own message above
    current = step.copy()
    in_cycle = pd.Series(False, index=step.index)
    for _ in range(len(step)):
        in_cycle |= (current == current.index).fillna(False)
        current = current.map(step).dropna()
        if current.empty:
            break
    cyclic = revising.index[revising["claim_id"].isin(list(in_cycle[in_cycle].index)).to_numpy(dtype=bool)]
    out += _problems(
        frame,
        pd.Series(frame.index.isin(cyclic), index=frame.index),
        "revises",
        "revisions must not form a cycle: follow revises back and it returns to this claim",
    )
    later = target["reported_on"] > revising["reported_on"]
    for broken, rule in (
        (other, "must name a claim of the same event and metric"),
        (later, "must name a claim reported on or before this one"),
    ):
        rows = revising.index[broken.fillna(False).to_numpy(dtype=bool)]
        out += _problems(frame, pd.Series(frame.index.isin(rows), index=frame.index), "revises", rule)
    return out


def check_breakdowns(mentions: pd.DataFrame, claims: pd.DataFrame) -> list[Problem]:
    """Exact counts by system that break a claim down must add up to the claim's value."""
    parts = mentions[mentions["part_of_claim"].notna() & (mentions["qualifier"] == "exact")]
    if parts.empty:
        return []
    sums = parts.groupby("part_of_claim")["count_best"].sum()
    totals = claims.set_index("claim_id")["value_best"].reindex(sums.index)
    wrong = sums.index[(totals.notna()) & (sums != totals)]
    mask = mentions["part_of_claim"].isin(wrong) & mentions.index.isin(parts.index)
    return _problems(
        mentions,
        mask,
        "count_best",
        "the exact counts of the mentions that break a claim down must add up to its value_best",
    )


def check_coordinates(frame: pd.DataFrame, *, status_column: str | None) -> list[Problem]:
    lat, lon = frame["latitude"], frame["longitude"]
    out = _problems(
        frame, lat.isna() != lon.isna(), "longitude", "latitude and longitude go together: give both or neither"
    )
    if status_column:
        out += _problems(
            frame,
            lat.notna() & (frame[status_column] != "verified"),
            "latitude",
            f"coordinates are kept only where verified: empty them or set {status_column} to verified",
        )
        out += _problems(
            frame,
            lat.notna() & frame["coord_source_id"].isna(),
            "coord_source_id",
            "verified coordinates need the source they come from",
        )
    return out


def _apart_name(totals: pd.DataFrame) -> str:
    """The short name of the sub-population the totals count apart (their .meta.yml), for messages."""
    apart = totals.attrs.get("metadata", {}).get("counted_apart")
    return apart["name"] if apart else "counted-apart"


def check_table(
    name: str, frame: pd.DataFrame, tables: dict[str, pd.DataFrame], *, complete: bool = True
) -> list[Problem]:
    """All rules that span rows or tables, for one typed table (``tables`` holds its dependencies).

    ``complete`` is false when rows with bad cells were left out: totals over the table are then skipped.
    """
    spec = TABLES[name]
    out = check_references(spec, frame, tables)
    if name in VALUE_COLUMNS:
        out += check_values(name, frame) + check_quotes(name, frame)
    if "status" in frame.columns:
        out += check_statuses(name, frame, tables)
    if name == "sources":
        out += check_addresses(frame)
    if name == "claims":
        out += check_revisions(frame)
    if name == "weapon_mentions" and complete:  # a part left out would make its claim's sum look wrong
        out += check_breakdowns(frame, tables["claims"])
    if name == "places":
        out += check_coordinates(frame, status_column="coord_status")
    if name == "events":
        out += check_coordinates(frame, status_column=None)
        out += _problems(frame, frame["date_end"] < frame["date_start"], "date_end", "must not be before date_start")
    if name == "ohchr_totals":
        dup = frame.duplicated(["category", "outcome"], keep="first")
        out += _problems(frame, dup, "outcome", "each category and outcome appears once")
    if name == "ohchr_civilian_deaths_by_year":
        out += _problems(
            frame,
            frame["includes_mh17"] & frame["includes_mh17"].cumsum().gt(1),
            "includes_mh17",
            f"only one year can include the {_apart_name(tables['ohchr_totals'])} victims",
        )
        totals = tables["ohchr_totals"]
        civilians = totals[(totals["category"] == "civilians") & (totals["outcome"] == "killed")]["value_low"]
        if (
            complete
            and len(civilians) == 1
            and frame["killed"].notna().all()
            and frame["killed"].sum() != civilians.iloc[0]
        ):
            total = int(frame["killed"].sum())
            out.append(
                Problem(
                    None,
                    "killed",
                    total,
                    f"the years must add up to OHCHR's civilians killed in ohchr_totals.csv ({int(civilians.iloc[0])})",
                )
            )
    return out
