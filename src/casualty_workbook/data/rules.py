"""Rules across rows and tables: references resolve, low ≤ best ≤ high, a qualifier fits its
values, the number stands in its quote, a revision points backwards in time, breakdowns add up.

Every rule is vectorised (no Python loop per row) and returns ``Problem``s; the loader
collects them all before it raises, so a file's every problem is reported at once.
"""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pandas as pd

from casualty_workbook.core.exceptions import Problem
from casualty_workbook.core.threads import on_a_thread
from casualty_workbook.data.schemas import TABLES, UNNAMED_SIDE, VALUE_COLUMNS, WAR_PARTIES, TableSpec

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
_STRING = np.dtypes.StringDType()


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


def is_member(values: pd.Series, allowed: pd.Series) -> pd.Series:
    """``values.isin(allowed)``, fast whatever the sizes: text is matched by Arrow's hash kernel
    (a table's own million ids in a fraction of a second); other types by ``isin`` for a short
    list of allowed values and through a hash index for a long one."""
    allowed = allowed.dropna()
    if isinstance(values.dtype, pd.StringDtype) and isinstance(allowed.dtype, pd.StringDtype):
        import pyarrow as pa
        import pyarrow.compute as pc

        cells = pa.array(values, from_pandas=True)
        listed = pa.array(allowed, from_pandas=True).cast(cells.type)
        if len(listed) > 100_000:  # a long list (a table's own ids): hash the few values, not the list
            distinct = pc.unique(pc.drop_null(cells))
            if len(distinct) < len(listed):
                listed = pc.filter(listed, pc.is_in(listed, value_set=distinct))
        value_set = pc.unique(listed)
        found = pc.is_in(cells, value_set=value_set).to_numpy(zero_copy_only=False)
        return pd.Series(found.astype(bool), index=values.index)  # a missing value is in no list
    if len(allowed) <= 10_000:
        return values.isin(list(pd.unique(allowed.to_numpy(dtype=object)))).fillna(False).astype(bool)
    present = values.dropna()
    lookup = pd.Index(pd.unique(allowed.to_numpy(dtype=object)))
    found = pd.Series(False, index=values.index)
    found[present.index] = lookup.get_indexer(present.to_numpy(dtype=object)) >= 0
    return found


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


def _distinct_text(text: pd.Series):
    """(each cell's code, the distinct cells): a column of text dictionary-encoded in Arrow, a missing
    cell as ''. The chunks of a column read by Arrow are encoded as they are (their dictionaries are one
    and the same), not first copied into one array: a million quotes' text is not held twice."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(text, from_pandas=True)
    if cells.type != pa.large_string():
        cells = cells.cast(pa.large_string())
    if cells.null_count:
        cells = pc.fill_null(cells, "")
    encoded = pc.dictionary_encode(cells)
    if isinstance(encoded, pa.ChunkedArray):
        if encoded.num_chunks == 0:
            return np.zeros(0, dtype=np.intp), pa.array([], type=pa.large_string())
        codes = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks])
        return codes.astype(np.intp, copy=False), encoded.chunk(0).dictionary
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False), encoded.dictionary


# A number written in digits, as a whole token: plain ('14200', no leading zero) or with commas every three
# digits ('14,200', from 1,000 up); at most 18 digits, so that every token fits an int64 (a count has 15).
_NUMBER_TOKEN = r"^(0|[1-9][0-9]{0,17}|[1-9][0-9]{0,2}(,[0-9]{3}){1,5})$"


class _Numbers:
    """The numbers each of a list of texts holds, flattened: ``values[starts[i]:starts[i + 1]]`` are text i's."""

    def __init__(self, owner: np.ndarray, values: np.ndarray, count: int):
        self.values = values
        self.starts = np.concatenate(([0], np.cumsum(np.bincount(owner, minlength=count))))

    def hold(self, texts: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """For each pair (text i, number), whether text i holds the number: every row against its own
        text's few numbers at once, with NumPy (a row's numbers are laid out after the previous row's)."""
        starts = self.starts[texts]
        counts = self.starts[texts + 1] - starts
        pair = np.repeat(np.arange(len(texts)), counts)
        position = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts - starts, counts)
        found = np.zeros(len(texts), dtype=bool)
        found[pair[self.values[position] == numbers[pair]]] = True
        return found


def _digit_text(texts):
    """Each text as its numbers in digits are read: a decimal dropped ("2.5" holds no 2 and no 5), a
    thousands separator (no-break or narrow space) made a comma, a comma that ends a clause ("15, 20")
    a space. Arrow's kernels over the whole column; [0-9], not \\d: ten times faster in RE2."""
    import pyarrow as pa
    import pyarrow.compute as pc

    space, empty = pa.scalar(" ", texts.type), pa.scalar("", texts.type)
    text = pc.binary_join_element_wise(texts, space, empty)  # a comma at the very end ends a clause too
    dotted = pc.match_substring(text, ".")  # the regex only where it can match: most quotes hold no '.'
    if pc.any(dotted).as_py():
        decimals = pc.replace_substring_regex(pc.filter(text, dotted), r"[0-9]+\.[0-9]+", " ")
        text = pc.replace_with_mask(text, dotted, decimals)
    for separator in ("\u00a0", "\u202f"):
        text = pc.replace_substring(text, separator, ",")
    return pc.replace_substring(text, ", ", " ")


_SLICE = 1 << 14  # distinct texts read at a time (a million claims hold some 700,000)


def _digit_numbers(texts) -> _Numbers:
    """The numbers each text writes in digits: its tokens (runs of digits and commas in ``_digit_text``)
    that are a number exactly as ``str(n)`` writes it or, from 1,000 up, as ``f"{n:,}"`` does."""
    import pyarrow as pa
    import pyarrow.compute as pc

    owners, values = [], []
    # In slices: the texts' rewritten copies and tokens are held for a slice at a time, not for all.
    for start in range(0, len(texts), _SLICE):
        tokens = pc.split_pattern_regex(_digit_text(texts.slice(start, _SLICE)), r"[^0-9,]+")
        flat = pc.list_flatten(tokens)
        number = pc.match_substring_regex(flat, _NUMBER_TOKEN)
        owners.append(pc.filter(pc.list_parent_indices(tokens), number).to_numpy() + start)
        values.append(pc.cast(pc.replace_substring(pc.filter(flat, number), ",", ""), pa.int64()).to_numpy())
    if not owners:
        return _Numbers(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), len(texts))
    return _Numbers(np.concatenate(owners), np.concatenate(values), len(texts))


def _spaced_digits(texts) -> np.ndarray:
    """Each text's runs of digits and commas, one space between them and around: ' 14 000 20 '."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kept = pc.replace_substring_regex(_digit_text(texts), r"[^0-9,]+", " ")
    space, empty = pa.scalar(" ", kept.type), pa.scalar("", kept.type)
    padded = pc.binary_join_element_wise(space, kept, space, empty)
    return np.asarray(padded.to_numpy(zero_copy_only=False), dtype=_STRING)


_WORD_LIST = list(NUMBER_WORDS)
_WORD_VALUES = np.array(list(NUMBER_WORDS.values()), dtype=np.int64)


def _word_numbers(texts) -> _Numbers:
    """The number words each text holds ('fifteen', 'dozen'): its tokens (runs of letters a-z and digits,
    lower-cased) that are words of ``NUMBER_WORDS``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    tokens = pc.split_pattern_regex(pc.utf8_lower(texts), r"[^a-z0-9]+")
    owner = pc.list_parent_indices(tokens)
    flat = pc.list_flatten(tokens)
    word = pc.index_in(flat, value_set=pa.array(_WORD_LIST, type=flat.type))
    known = pc.is_valid(word)
    values = _WORD_VALUES[pc.filter(word, known).to_numpy()]
    return _Numbers(pc.filter(owner, known).to_numpy(), values, len(texts))


class QuoteText:
    """A table's quotes, each distinct quote reduced once to the numbers it writes in digits; to its
    number words only for the rows that need them.

    Each distinct quote is read once (an imported dataset repeats a few thousand wordings over
    hundreds of thousands of rows); rows are then matched against their quote's numbers.

    ``in_background=True`` reads the quotes' numbers on a thread of their own, from the moment the
    table is read: the work is Arrow's kernels, which let the interpreter go, so it runs on the second
    core while the cell rules and the typing run on the first. The first question waits for it.
    """

    def __init__(self, quotes: pd.Series, *, in_background: bool = False):
        self._reading: concurrent.futures.Future | None = None
        if in_background:
            self._reading = on_a_thread(self._read, quotes, name="quotes")
        else:
            self._read(quotes, False)

    def _read(self, quotes: pd.Series, digits: bool = True) -> None:
        self._codes, self._distinct = _distinct_text(quotes)
        self._digits: _Numbers | None = _digit_numbers(self._distinct) if digits else None

    def settle(self) -> None:
        """Wait for the thread, if one is reading, whatever it raised (a load that failed already, or whose
        quotes were not needed, leaves nothing running)."""
        if self._reading is not None:
            concurrent.futures.wait([self._reading])

    def _wait(self) -> None:
        if self._reading is not None:
            reading, self._reading = self._reading, None
            reading.result()  # an error on the thread is raised here, in the load

    def in_digits(self, rows: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """Whether each row's number is written in its quote in digits: '14200', or from 1,000 '14,200'
        (a no-break or narrow space as separator counts as a comma)."""
        self._wait()
        if self._digits is None:
            self._digits = _digit_numbers(self._distinct)
        return self._digits.hold(self._codes[rows], numbers)

    def _needed(self, rows: np.ndarray):
        import pyarrow as pa

        self._wait()
        needed, where = np.unique(self._codes[rows], return_inverse=True)
        return self._distinct.take(pa.array(needed)), where

    def in_spaced_digits(self, rows: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """Whether each row's number (1,000 or more) is written with spaces between its thousands ('14 000')."""
        distinct, where = self._needed(rows)
        return _contains_token(_spaced_digits(distinct)[where], _with_separators(numbers, " "))

    def in_words(self, rows: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """Whether each row's number is written in its quote in words ('fifteen', 'a dozen')."""
        distinct, where = self._needed(rows)
        return _word_numbers(distinct).hold(where, numbers)


def number_stands_in(quotes: pd.Series | QuoteText, values: pd.Series) -> pd.Series:
    """For each row, whether its value (a whole number; missing counts as true) is written in its
    quote: in digits, with or without thousands separators, or in words ("fifteen", "a dozen")."""
    text = quotes if isinstance(quotes, QuoteText) else QuoteText(quotes)
    result = np.ones(len(values), dtype=bool)
    rows = np.flatnonzero(values.notna().to_numpy(dtype=bool))
    if len(rows):
        numbers = values.to_numpy(dtype=np.int64, na_value=0)[rows]
        found = text.in_digits(rows, numbers)
        big = np.flatnonzero(~found & (numbers >= 1000))  # 14 000: rare, read the slower way
        if len(big):
            found[big] = text.in_spaced_digits(rows[big], numbers[big])
        unfound = np.flatnonzero(~found & np.isin(numbers, _WORD_VALUES))
        if len(unfound):
            found[unfound] = text.in_words(rows[unfound], numbers[unfound])
        result[rows] = found
    return pd.Series(result, index=values.index)


class _Words:
    """A column of words compared as its text would be (``s.astype("string") == word``: missing where
    the cell is missing), without turning a categorical column of a million rows into a million strings:
    a categorical's codes are compared instead."""

    def __init__(self, column: pd.Series):
        self.column = column
        self.coded = isinstance(column.dtype, pd.CategoricalDtype)
        if self.coded:
            self.codes = column.cat.codes.to_numpy()
            self.categories = column.cat.categories
        else:
            self.column = column.astype("string")

    def __eq__(self, word: object) -> pd.Series:  # type: ignore[override]
        if not self.coded:
            return self.column == word
        code = self.categories.get_loc(word) if word in self.categories else -2
        equal = pd.arrays.BooleanArray(self.codes == code, self.codes == -1)
        return pd.Series(equal, index=self.column.index)

    def __ne__(self, word: object) -> pd.Series:  # type: ignore[override]
        return ~(self == word)

    __hash__ = None  # type: ignore[assignment]

    def isin(self, words) -> pd.Series:
        return self.column.isin(words)


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``keys.map(table).astype("string")``: each key's value in ``table`` (indexed by key), missing where
    the key is missing or absent. Text keys are looked up with Arrow's hash kernel, not as Python objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (isinstance(keys.dtype, pd.StringDtype) and isinstance(table.index.dtype, pd.StringDtype)):
        return keys.map(table).astype("string")
    cells = pa.array(keys, from_pandas=True)
    index = pa.array(table.index, from_pandas=True).cast(cells.type)
    positions = pc.index_in(cells, value_set=index)
    values = pa.array(table.astype("string"), from_pandas=True).cast(pa.large_string())
    found = values.take(positions)
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks()
    return pd.Series(pd.arrays.ArrowStringArray(found), index=keys.index)


def check_references(spec: TableSpec, frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    out: list[Problem] = []
    for ref in spec.references:
        target = tables[ref.table]  # for a table's own ids: all its rows, even those with bad cells
        values = frame[ref.column]
        mask = values.notna() & ~is_member(values, target[ref.target])
        out += _problems(frame, mask, ref.column, f"must name a {ref.target} listed in {TABLES[ref.table].filename}")
    return out


def check_values(name: str, frame: pd.DataFrame) -> list[Problem]:
    """low ≤ best ≤ high, and the qualifier agrees with which values are given."""
    low_c, best_c, high_c = VALUE_COLUMNS[name]
    low, best, high = frame[low_c], frame[best_c], frame[high_c]
    q = _Words(frame["qualifier"])
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


def check_quotes(name: str, frame: pd.DataFrame, quotes: QuoteText | None = None) -> list[Problem]:
    """Each value given must stand in the row's quote, in digits or words (``quotes``: the frame's
    quote column already being read, row for row, or None to read it here)."""
    out: list[Problem] = []
    # A derived figure is computed, not quoted: its inputs are in derived_from, checked by check_statuses.
    # (A row without a status is left out too; its cell rule names it.) Every row is read, the verdicts of
    # the others are dropped: no copy of a table of a million rows for the few derived ones.
    status = frame["status"]
    kept = (status.notna() & (status != "derived")).to_numpy(dtype=bool)
    quotes = quotes if quotes is not None else QuoteText(frame["quote"])
    for column in VALUE_COLUMNS[name]:
        missing = ~number_stands_in(quotes, frame[column]).to_numpy() & kept
        out += _problems(
            frame, pd.Series(missing, index=frame.index), column, "must stand in the quote (in digits or words)"
        )
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
    status = _Words(frame["status"])
    return (
        _party_status_problems(frame, status, tables)
        + _quote_status_problems(frame, status)
        + _source_status_problems(frame, status, tables)
        + _derived_status_problems(frame, status)
    )


def _party_status_problems(frame: pd.DataFrame, status: _Words, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """``claimed`` for a party to the war's figure and only for it; ``unattributed`` for no one's and only it."""
    out: list[Problem] = []
    if "claimant" not in frame.columns:
        return out
    sides = tables["claimants"].drop_duplicates("claimant_id").set_index("claimant_id")["side"].astype("string")
    side = _lookup(frame["claimant"], sides)
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
    return out


def _quote_status_problems(frame: pd.DataFrame, status: _Words) -> list[Problem]:
    """``verified`` needs a verbatim quote."""
    out: list[Problem] = []
    if "quote_kind" in frame.columns:
        unquoted = (_Words(frame["quote_kind"]) != "verbatim").fillna(True) | frame["quote"].isna()
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
    return out


def _source_status_problems(frame: pd.DataFrame, status: _Words, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """``secondary`` needs a carrying source, not the producer's own document; no source, only ``unverified``."""
    out: list[Problem] = []
    if "source_id" in frame.columns:
        owners = (
            tables["sources"].drop_duplicates("source_id").set_index("source_id")["own_document_of"].astype("string")
        )
        owner = _lookup(frame["source_id"], owners)
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
    return out


def _derived_status_problems(frame: pd.DataFrame, status: _Words) -> list[Problem]:
    """``derived`` names its inputs in ``derived_from``, and only a derived figure does."""
    out: list[Problem] = []
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
    revised = frame[is_member(frame["claim_id"], revising["revises"])].drop_duplicates("claim_id").set_index("claim_id")
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
    if step.index.is_unique:  # on positions with NumPy: a chain of 150 revisions is 150 cheap steps
        following = step.index.get_indexer(step.to_numpy(dtype=object))  # -1: the chain ends there
        current = following.copy()
        here = np.arange(len(step))
        cycle = np.zeros(len(step), dtype=bool)
        for _ in range(len(step)):
            if not (current >= 0).any():
                break
            current = np.where(current >= 0, following[np.maximum(current, 0)], -1)
            cycle |= current == here
        in_cycle = pd.Series(cycle, index=step.index)
    else:
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
    # Only the claims broken down are indexed: a dataset's million claims are not copied for a few.
    broken_down = claims.loc[is_member(claims["claim_id"], pd.Series(sums.index, dtype=claims["claim_id"].dtype))]
    totals = broken_down.set_index("claim_id")["value_best"].reindex(sums.index)
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
    name: str,
    frame: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    *,
    complete: bool = True,
    quotes: QuoteText | None = None,
) -> list[Problem]:
    """All rules that span rows or tables, for one typed table (``tables`` holds its dependencies).

    ``complete`` is false when rows with bad cells were left out: totals over the table are then skipped.
    ``quotes``: the table's quote column, row for row, already being read (``QuoteText(in_background=True)``).
    """
    spec = TABLES[name]
    out = check_references(spec, frame, tables)
    if name in VALUE_COLUMNS:
        out += check_values(name, frame) + check_quotes(name, frame, quotes)
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
