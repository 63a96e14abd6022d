"""The only door into ``data/``: read a table, check every rule, return a typed DataFrame.

A table is read as text (a UTF-8 BOM, Windows line endings, blank trailing lines and spaces
around headers or cells are forgiven, as spreadsheets write them), each cell is checked
against its schema with pandera, the cells are typed, and the rules across rows and
tables run. Any problem stops the load with one ``DataValidationError`` listing them all.

A table that passed is kept for the rest of the process, by the content of its files and of
the tables its rules read (``TABLE_CACHE``): loading it again, from the same folder or a copy,
costs a hash of its files and a copy-on-write copy. ``check_ahead`` fills the cache before a
warm server forks its kernels, so a build checks each table once, not once per report. A table's
own stage (read, cells checked, typed) is kept by its CSV's content alone: when only
a table it refers to changed, just its rules across tables run again.

When ``load_all`` finds every table passing, it records a verdict of the folder's content
(``verdicts``): the hashes it made of each table's files, for a later process that only reads them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from casualty_workbook.core.exceptions import DataValidationError, InvalidDataFiles, Problem, WorkbookError
from casualty_workbook.core.files import sha256_file
from casualty_workbook.core.frozen import frozen
from casualty_workbook.core.paths import check_file, default_data_dir, file_problem
from casualty_workbook.core.threads import on_a_thread
from casualty_workbook.data import arrow_text, provenance
from casualty_workbook.data.arrow_text import ReadAhead
from casualty_workbook.data.rules import QuoteText, check_table
from casualty_workbook.data.schemas import COUNT_DIGITS, TABLES, VALUE_COLUMNS, TableSpec, dtype_for, text_schema
from casualty_workbook.data.verdicts import record_verdict

PANDERA_RULE_MESSAGES = {
    "not_nullable": "must not be empty",
    "field_uniqueness": "must be unique: another row has the same value",
}


def _decode(path: Path, raw: bytes) -> str:
    if b"\x00" in raw[:65536]:
        raise DataValidationError(path, [Problem(None, None, None, "is binary, not a CSV text file")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start : err.start + 1].hex()
        raise DataValidationError(
            path,
            [
                Problem(
                    line, None, None, f"is not UTF-8 text: byte 0x{byte} cannot be decoded (save the file as CSV UTF-8)"
                )
            ],
        ) from None


def _read_carefully(path: Path, raw: bytes, spec: TableSpec) -> tuple[pd.DataFrame, list[str]]:
    """pandas' C parser over the decoded text: slower, but it says exactly what is wrong with a file."""
    text = _decode(path, raw)
    if not text.strip():
        raise DataValidationError(
            path,
            [Problem(None, None, None, f"is empty: expected a header row with the columns {', '.join(spec.columns)}")],
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
        )
    except (pd.errors.ParserError, csv.Error) as err:
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if ragged:
            expected, line, saw = map(int, ragged.groups())
            raise DataValidationError(
                path, [Problem(line, None, None, f"has {saw} cells, but the header has {expected}")]
            ) from None
        raise DataValidationError(
            path, [Problem(None, None, None, f"is not a well-formed CSV file: {err}".strip())]
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas silently takes the surplus leading cells of the first data row as an index: that row is ragged.
        n = len(frame.columns)
        raise DataValidationError(
            path, [Problem(2, None, None, f"has {n + frame.index.nlevels} cells, but the header has {n}")]
        )
    # The header as written: pandas renames a repeated name ('note' -> 'note.1'), which would hide it.
    written = next((r for r in csv.reader(io.StringIO(text)) if r), [])
    return frame, written


def read_with_arrow(raw: bytes) -> tuple[pd.DataFrame, list[str]] | None:
    """The fast path for a clean file: pyarrow's multi-threaded CSV reader, every cell as text.

    Returns None when pyarrow is not installed or the file is anything but a clean, rectangular
    UTF-8 CSV with a unique header; the careful path below then reads it and names the problem.
    The import reads the tables it merges into with it too.
    """
    read = arrow_text.arrow_table(raw)
    return None if read is None else (read[0].to_pandas(), read[1])


_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _other_separator(header: list[str], spec: TableSpec) -> str | None:
    """A header read as one cell that splits into the expected names on ';', tab or '|': say so, once."""
    if len(header) != 1:
        return None
    for sep, name in _SEPARATORS.items():
        names = [c.strip() for c in header[0].split(sep)]
        if len(names) > 1 and set(names) & set(spec.columns):
            return (
                f"the cells are separated by {name} ({sep!r}), not commas: save the file as "
                "comma-separated CSV (in a spreadsheet: 'CSV UTF-8 (comma delimited)')"
            )
    return None


def read_text_table(path: Path, spec: TableSpec, ahead: ReadAhead | None = None) -> pd.DataFrame:
    """Read a CSV file as stripped text cells (empty cells are missing), checking its header. A file
    ``ahead`` read already is taken from it."""
    check_file(path)
    fast = ahead.take(path) if ahead is not None else None
    if fast is None:
        fast = arrow_text.read_text_cells(path)
    careful = fast is None
    if fast is not None:
        frame, written = fast[0].to_pandas(), fast[1]
        del fast  # the Arrow table, once pandas holds the cells
    else:
        frame, written = _read_carefully(path, path.read_bytes(), spec)
    header = (
        [c.strip() or f"Unnamed: {i}" for i, c in enumerate(written)]
        if len(written) == len(frame.columns)
        else [str(c).strip() for c in frame.columns]
    )
    separator = _other_separator(header, spec)
    if separator:
        raise DataValidationError(path, [Problem(1, None, None, separator)])
    problems = [
        Problem(1, c, None, "appears twice in the header") for c in sorted({c for c in header if header.count(c) > 1})
    ]
    problems += [Problem(1, c, None, "required column is missing") for c in spec.columns if c not in header]
    problems += [
        Problem(1, c, None, f"unexpected column (expected only: {', '.join(spec.columns)})")
        for c in header
        if c not in spec.columns and not c.startswith("Unnamed:")
    ]
    problems += [Problem(1, None, None, "a header cell is empty") for c in header if c.startswith("Unnamed:") or not c]
    if problems:
        raise DataValidationError(path, problems)
    frame.columns = header
    if frame.empty:
        raise DataValidationError(path, [Problem(None, None, None, "has a header but no data rows")])
    if careful:  # the Arrow path stripped its cells already
        for column in frame.columns:
            stripped = frame[column].str.strip()
            frame[column] = stripped.mask(stripped == "")
    return frame


def _all_distinct(column: pd.Series) -> bool:
    """Whether no value (nor an empty cell) appears twice: Arrow counts the distinct cells, a missing one
    counted as a value, so that two empty cells are a repeat as pandera's uniqueness check has them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(column) < 10_000:
        return False  # pandera's own check is cheap on a short column
    try:
        cells = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return pc.count_distinct(cells, mode="all").as_py() == len(column)


def unique_columns(spec: TableSpec, frame: pd.DataFrame) -> frozenset[str]:
    """The columns that must hold no value twice and (found by Arrow) do not: pandera need not check them."""
    return frozenset(f.name for f in spec.fields if f.unique and f.name in frame and _all_distinct(frame[f.name]))


def check_cells(path: Path, spec: TableSpec, frame: pd.DataFrame) -> list[Problem]:
    """Every cell rule of ``spec`` on the text as read, each problem with its row and column.

    On a long table, whether the ids repeat is counted by Arrow on a second core while pandera checks the
    cells with no uniqueness check; only when a column does repeat is pandera's own check run (again,
    with every rule) to name the rows."""
    unique = [f.name for f in spec.fields if f.unique and f.name in frame]
    if len(frame) < 10_000 or not unique:
        return _schema_problems(spec, frame, unique_columns(spec, frame))
    counting = on_a_thread(unique_columns, spec, frame[unique])  # its own frame, made here
    problems = _schema_problems(spec, frame, frozenset(unique))
    distinct = counting.result()
    return problems if distinct == frozenset(unique) else _schema_problems(spec, frame, distinct)


def _schema_problems(spec: TableSpec, frame: pd.DataFrame, known_unique: frozenset[str]) -> list[Problem]:
    try:
        text_schema(spec, known_unique=known_unique).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        problems = []
        for column, check, value, index in zip(
            cases["column"], cases["check"], cases["failure_case"], cases["index"], strict=False
        ):
            rule = PANDERA_RULE_MESSAGES.get(str(check), str(check))
            row = None if index is None or pd.isna(index) else int(index) + 2
            problems.append(Problem(row, None if pd.isna(column) else str(column), value, rule))
        return sorted(
            problems, key=lambda p: (p.row or 0, spec.columns.index(p.column) if p.column in spec.columns else -1)
        )
    return []


# Typed as a whole number only when it is one and stays exact (a longer one broke its cell rule).
WHOLE = rf"[+-]?\d{{1,{COUNT_DIGITS}}}"


def _whole_numbers(text: pd.Series) -> pd.Series:
    """Cells that are whole numbers (``WHOLE``) as Int64, any other cell missing; Arrow's kernels do
    the matching and parsing over the whole column (five times faster than pandas' on a million rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(text) >= 10_000:  # each distinct cell parsed once (a million counts hold some tens of thousands)
        codes, distinct = pd.factorize(text)
        if len(distinct) <= len(text) // 2:
            parsed = _whole_numbers(pd.Series(distinct, dtype=text.dtype)).array
            return pd.Series(parsed.take(codes, allow_fill=True), index=text.index)
    cells = pa.array(text, from_pandas=True, type=pa.large_string())
    whole = pc.match_substring_regex(cells, f"^{WHOLE}$")  # RE2: ASCII digits only, as before
    kept = pc.if_else(whole, pc.replace_substring_regex(cells, r"^\+", ""), pa.scalar(None, pa.large_string()))
    numbers = pc.cast(kept, pa.int64())
    values = numbers.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array  # the array: not realigned
    return pd.Series(values, index=text.index)


def _in_vocabulary(text: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    """Cells as the vocabulary's categories, a word outside it missing (Arrow's hash lookup, not pandas')."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(text, from_pandas=True, type=pa.large_string())
    words = pa.array([str(c) for c in dtype.categories], type=pa.large_string())
    codes = pc.fill_null(pc.index_in(cells, value_set=words), -1).to_numpy(zero_copy_only=False)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=text.index)


def to_typed(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Give each column its type (cells that broke a rule become missing)."""
    typed = {}
    for f in spec.fields:
        s = frame[f.name]
        dtype = dtype_for(f)
        if dtype == "Int64":
            s = _whole_numbers(s)
        elif dtype == "Float64":
            s = pd.to_numeric(s, errors="coerce").astype("Float64")
        elif dtype == "boolean":
            s = s.map({"true": True, "false": False}).astype("boolean")
        elif dtype == "datetime64[s]":  # each distinct date parsed once, then spread back
            codes, distinct = pd.factorize(s)
            parsed = pd.to_datetime(pd.Series(distinct, dtype=s.dtype), format="%Y-%m-%d", errors="coerce")
            days = np.append(parsed.to_numpy(dtype="datetime64[s]"), np.datetime64("NaT", "s"))
            s = pd.Series(days[codes], index=s.index)
        elif isinstance(dtype, pd.CategoricalDtype):  # a word outside the vocabulary becomes missing
            s = _in_vocabulary(s, dtype)
        else:
            s = s.astype(dtype)
        typed[f.name] = s
    return pd.DataFrame(typed, index=frame.index)


def _spreadsheet_rows(path: Path, problems: list[Problem]) -> list[Problem]:
    """Renumber problems' rows as a spreadsheet shows them: the readers skip blank lines, a spreadsheet does not.

    Problems count the rows the reader kept (header = 1); here each becomes the number of its record in
    the file, blank records included. Only run when there are problems, so a clean load pays nothing.
    """
    if not any(p.row for p in problems):
        return problems
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    kept = [
        number
        for number, record in enumerate(csv.reader(io.StringIO(text)), start=1)
        if not (len(record) <= 1 and not "".join(record).strip())
    ]
    if kept == list(range(1, len(kept) + 1)):
        return problems
    return [replace(p, row=kept[p.row - 1]) if p.row and p.row <= len(kept) else p for p in problems]


@dataclass(eq=False)
class _Checked:
    """A table that passed every rule, and what it was checked from: the content hashes of its CSV and
    .meta.yml, and the checked tables its rules read (by serial number: entries of this cache)."""

    frame: pd.DataFrame
    digests: tuple[str, str]
    dependencies: tuple[int, ...]
    serial: int = field(default_factory=itertools.count().__next__)


class TableCache:
    """What this process has read and checked of ``data/``, kept to save reading and checking it again.

    ``checked``: tables already checked in this process. A later load of the same content (a notebook
    loading claims, then mentions that refer to them; a report page after the build checked everything;
    a kernel forked from a warm server that checked the tables ahead; a copy of the data folder) takes
    the checked table instead of reading and checking it again. The key is what the rules' verdict
    depends on: the table's name, its files' content hashes and the entries of the tables its rules
    read. Never a file's time or size, so an edited file is always read afresh. Callers get a copy: with
    pandas' copy-on-write a caller's changes stay in its own frame, at no cost until it makes one.

    ``cells``: each table's own stage, by its CSV's content hash: the file read as text, every cell
    checked, the columns typed. None of it reads another table, so a table whose neighbours changed or
    broke (its ``checked`` key then misses) is not read and checked cell by cell again: only its rules
    across tables run. Problems are kept too, so a broken file named again is named as fast.

    ``joined``: ``load_claims``' and ``load_weapon_mentions``' joins, by the folder and the ``checked``
    entries they joined: a kernel forked from a warm server takes them instead of joining four tables again.

    One instance, ``TABLE_CACHE``, lives as long as the process; each part keeps at most ``MAX_ENTRIES``
    tables, the oldest going first.
    """

    MAX_ENTRIES = 64

    def __init__(self) -> None:
        self.checked: OrderedDict[tuple, _Checked] = OrderedDict()
        self.cells: OrderedDict[tuple[str, str], tuple[pd.DataFrame, tuple[Problem, ...]]] = OrderedDict()
        self.joined: OrderedDict[tuple, pd.DataFrame] = OrderedDict()

    @staticmethod
    def get(cache: OrderedDict, key: tuple | None):
        """The entry of ``key`` (now the newest), or None."""
        if key is None or key not in cache:
            return None
        cache.move_to_end(key)
        return cache[key]

    def remember(self, cache: OrderedDict, key: tuple, entry) -> None:
        """Keep ``entry`` in ``cache`` (``checked`` or ``cells``), the oldest going beyond ``MAX_ENTRIES``."""
        cache[key] = entry
        while len(cache) > self.MAX_ENTRIES:
            cache.popitem(last=False)

    def knows(self, name: str) -> bool:
        """Whether any entry is of table ``name``: if none is, no lookup of it can hit."""
        return any(key[0] == name for cache in (self.checked, self.cells) for key in cache)

    def clear(self) -> None:
        self.checked.clear()
        self.cells.clear()
        self.joined.clear()


TABLE_CACHE = TableCache()


def _file_digests(path: Path) -> tuple[str, str] | None:
    """The content hashes of a table's CSV and its .meta.yml, or None when either cannot be read as a
    data file (missing, a folder, a link out of its folder: the full load then names the problem)."""
    files = (path, provenance.metadata_path(path))
    if any(file_problem(p) is not None for p in files):
        return None
    try:
        return tuple(sha256_file(p) for p in files)  # type: ignore[return-value]
    except OSError:
        return None


def _hashing(name: str, path: Path) -> Callable[[], tuple[str, str] | None]:
    """A call that returns the table's ``_file_digests``. When the cache holds nothing of this table, no
    lookup needs them before the file is read: they are then computed on a thread while it is read and
    checked (hashing lets the interpreter go), and the call waits for them. Else they are computed now."""
    if TABLE_CACHE.knows(name):
        digests = _file_digests(path)
        return lambda: digests
    return on_a_thread(_file_digests, path).result


def _cache_key(name: str, digests: tuple[str, str] | None, checked: dict[str, _Checked]) -> tuple | None:
    """The cache key of a table, or None when it cannot be cached (a file unreadable, a dependency unchecked)."""
    dependencies = TABLES[name].dependencies
    if digests is None or any(dep not in checked for dep in dependencies):
        return None
    return (name, digests, tuple(checked[dep].serial for dep in dependencies))


def _cell_stage(
    name: str,
    spec: TableSpec,
    path: Path,
    digests_of: Callable[[], tuple[str, str] | None],
    ahead: ReadAhead | None = None,
):
    """(typed frame, problems of its cells, its quotes being read or None): from ``TABLE_CACHE.cells``
    when this CSV content was read before here. Raises DataValidationError when the file cannot be read
    as a table (nothing is kept then)."""
    if TABLE_CACHE.knows(name):
        digests = digests_of()
        known = TABLE_CACHE.get(TABLE_CACHE.cells, (name, digests[0]) if digests is not None else None)
        if known is not None:
            typed, problems = known
            return typed.copy(deep=False), list(problems), None
    text = read_text_table(path, spec, ahead)
    # The quotes' numbers are read on a second core while the cells are checked and typed here.
    quotes = QuoteText(text["quote"], in_background=True) if name in VALUE_COLUMNS and len(text) >= 10_000 else None
    problems = check_cells(path, spec, text)
    typed = to_typed(spec, text)
    digests = digests_of()
    if digests is not None:
        TABLE_CACHE.remember(TABLE_CACHE.cells, (name, digests[0]), (typed.copy(deep=False), tuple(problems)))
    return typed, problems, quotes


def _copy(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    copied = frame.copy(deep=False)  # copy-on-write: the caller's changes never reach the cache
    copied.attrs = {k: (dict(v) if type(v) is dict else v) for k, v in frame.attrs.items()}  # frozen: shared
    copied.attrs["path"] = str(path)  # the same content may have been checked in another folder
    return copied


def _record_reads(path: Path, digests: tuple[str, str]) -> None:
    # The source line is drawn from the .meta.yml: it is an input too.
    for file, digest in zip((path, provenance.metadata_path(path)), digests, strict=True):
        provenance.record_read(file, digest=digest)


def _load(
    name: str,
    data_dir: Path,
    memo: dict[str, pd.DataFrame],
    failures: dict[str, list[DataValidationError]],
    checked: dict[str, _Checked],
    ahead: ReadAhead | None = None,
) -> pd.DataFrame | None:
    """Load one table into ``memo``, or record every problem of its files in ``failures`` and return None.

    Both files of a table (the CSV and its .meta.yml) are checked even when one fails; a table whose
    dependencies failed still has its own cells checked (the rules across tables wait for them).
    A table checked before in this process from the same content is taken from the cache (``TABLE_CACHE``);
    ``checked`` collects the cache entries this load used or made.
    """
    if name in memo or name in failures:
        return memo.get(name)
    spec = TABLES[name]
    dependencies = {dep: _load(dep, data_dir, memo, failures, checked, ahead) for dep in spec.dependencies}
    path = data_dir / spec.filename
    digests_of = _hashing(name, path)
    entry = (
        TABLE_CACHE.get(TABLE_CACHE.checked, _cache_key(name, digests_of(), checked))
        if TABLE_CACHE.knows(name)
        else None
    )
    if entry is not None:
        # Its cells' stage is used too (when a table it reads changes): both stay as long as it is used.
        TABLE_CACHE.get(TABLE_CACHE.cells, (name, entry.digests[0]))
        _record_reads(path, entry.digests)
        checked[name] = entry
        memo[name] = _copy(entry.frame, path)
        return memo[name]
    errors: list[DataValidationError] = []
    try:
        metadata = provenance.read_metadata(path)
    except DataValidationError as err:
        errors.append(err)
    try:
        typed, problems, quotes = _cell_stage(name, spec, path, digests_of, ahead)
    except DataValidationError as err:
        failures[name] = [err, *errors]
        digests_of()  # no thread left running when the load returns: a warm server forks after it
        return None
    problems += _rules_across(name, typed, problems, dependencies, quotes)
    if problems:
        errors.insert(0, DataValidationError(path, _spreadsheet_rows(path, sorted(problems, key=lambda p: p.row or 0))))
    if errors:
        failures[name] = errors
        digests_of()  # as above
        return None
    typed.attrs.update(table=name, path=str(path), metadata=frozen(metadata))
    _keep(name, path, typed, digests_of(), checked)
    memo[name] = _copy(typed, path)
    return memo[name]


def _rules_across(
    name: str, typed: pd.DataFrame, problems: list[Problem], dependencies: dict, quotes: QuoteText | None
) -> list[Problem]:
    """The problems of the rules across rows and tables (none when a table they read failed to load), the
    rows with bad cells left out. The quotes' thread is waited for whatever happens: nothing is left
    running when the load returns (a warm server forks its kernels after it)."""
    try:
        if any(frame is None for frame in dependencies.values()):
            return []
        bad_rows = {p.row - 2 for p in problems if p.row is not None and p.row >= 2}
        clean = typed.drop(index=list(bad_rows)) if bad_rows else typed
        return check_table(
            name, clean, {**dependencies, name: typed}, complete=not bad_rows, quotes=None if bad_rows else quotes
        )
    finally:
        if quotes is not None:
            quotes.settle()


def _keep(name: str, path: Path, typed: pd.DataFrame, digests: tuple[str, str] | None, checked: dict) -> None:
    """Record a table that passed as read, and keep it in ``TABLE_CACHE`` by its key."""
    if digests is None:  # unreadable a moment ago, read now: hashed as it is now
        provenance.record_read(path)
        provenance.record_read(provenance.metadata_path(path))
    else:
        _record_reads(path, digests)
    key = _cache_key(name, digests, checked)
    if key is not None:  # not when a table its rules read went unchecked
        checked[name] = _Checked(typed, digests, key[2])
        TABLE_CACHE.remember(TABLE_CACHE.checked, key, checked[name])


def _raise_failures(failures: dict[str, list[DataValidationError]]) -> None:
    errors = [err for errs in failures.values() for err in errs]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidDataFiles(errors)


def _load_checked(
    name: str, data_dir: str | Path | None, memo: dict[str, pd.DataFrame], checked: dict[str, _Checked] | None = None
) -> pd.DataFrame:
    failures: dict[str, list[DataValidationError]] = {}
    frame = _load(
        name, Path(data_dir) if data_dir else default_data_dir(), memo, failures, {} if checked is None else checked
    )
    _raise_failures(failures)
    return frame


def load_table(name: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load one table of ``data/`` (and, to check references, the tables it points at)."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}")
    return _load_checked(name, data_dir, {})


def load_all(data_dir: str | Path | None = None, *, ahead: ReadAhead | None = None) -> dict[str, pd.DataFrame]:
    """Load and check every table; this is what ``make validate`` runs. Every file's problems are
    reported at once (``InvalidDataFiles`` when more than one file has them). A file ``ahead`` has read
    already (``arrow_text.ReadAhead``, started before pandas was imported) is taken from it."""
    memo: dict[str, pd.DataFrame] = {}
    failures: dict[str, list[DataValidationError]] = {}
    folder = Path(data_dir) if data_dir else default_data_dir()
    if not folder.is_dir():  # one line, not one per table
        raise DataValidationError(
            folder, [Problem(None, None, None, "data folder not found" if not folder.exists() else "is not a folder")]
        )
    checked: dict[str, _Checked] = {}
    for name in TABLES:
        _load(name, folder, memo, failures, checked, ahead)
    _raise_failures(failures)
    _record_verdict(folder, checked)
    return memo


def _record_verdict(folder: Path, checked: dict[str, _Checked]) -> None:
    """Every table of ``folder`` passed: keep that verdict, by the hashes this load already made of each
    table's files (``verdicts``), for a later command that only reads them. None is kept when a file could
    not be hashed as the load began (its hash then says nothing of what was checked)."""
    if set(checked) != set(TABLES):
        return
    digests = {}
    for name, entry in checked.items():
        path = folder / TABLES[name].filename
        digests[path.name], digests[provenance.metadata_path(path).name] = entry.digests
    record_verdict(folder, digests)


def check_ahead(data_dir: str | Path | None = None, *, joins: bool = False) -> None:
    """Check every table now (and, with ``joins``, join the claims and the mentions as ``load_claims`` and
    ``load_weapon_mentions`` do), so that later loads here, and in processes forked from here, take them
    from the cache; records nothing as read, and a table with problems is simply not kept."""
    with provenance.reads_not_recorded(), contextlib.suppress(WorkbookError):
        load_all(data_dir)  # a table with problems is reported by the load that needs it
        if joins:
            load_claims(data_dir)
            load_weapon_mentions(data_dir)


def _with_who(frame: pd.DataFrame, memo: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Add who said it (claimant_name, claimant_side), who published it and the event's name."""
    claimants = memo["claimants"][["claimant_id", "name", "side"]].rename(
        columns={"claimant_id": "claimant", "name": "claimant_name", "side": "claimant_side"}
    )
    sources = memo["sources"][["source_id", "publisher", "published", "url"]]
    events = memo["events"][["event_id", "name"]].rename(columns={"name": "event_name"})
    joined = (
        frame.merge(claimants, on="claimant", how="left")
        .merge(sources, on="source_id", how="left")
        .merge(events, on="event_id", how="left")
    )
    joined.attrs.update(frame.attrs)
    return joined


def _joined(name: str, data_dir: str | Path | None, join: Callable[[dict[str, pd.DataFrame]], pd.DataFrame]):
    """``join`` of table ``name`` and the tables it refers to (``memo``), from ``TABLE_CACHE.joined`` when
    the same checked tables of the same folder were joined before here. Every table is loaded either way:
    its files are hashed and recorded as read, and a changed one is read afresh (its entry, and so the key,
    is new)."""
    memo: dict[str, pd.DataFrame] = {}
    checked: dict[str, _Checked] = {}
    frame = _load_checked(name, data_dir, memo, checked)
    key = None
    if set(memo) <= set(checked):  # every table of the join came from, or went into, the cache
        key = (name, frame.attrs["path"], tuple(sorted((n, checked[n].serial) for n in memo)))
    known = TABLE_CACHE.get(TABLE_CACHE.joined, key)
    if known is None:
        known = join(memo)
        if key is not None:
            TABLE_CACHE.remember(TABLE_CACHE.joined, key, known)
    return _copy(known, Path(frame.attrs["path"]))


def _claims_joined(memo: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return _with_who(memo["claims"], memo)


def _mentions_joined(memo: dict[str, pd.DataFrame]) -> pd.DataFrame:
    systems = memo["weapon_systems"][["system_id", "canonical_name", "type", "origin"]]
    return _with_who(memo["weapon_mentions"], memo).merge(systems, on="system_id", how="left")


def load_claims(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Claims joined with who said them, who published them and the event's name."""
    return _joined("claims", data_dir, _claims_joined)


def load_weapon_mentions(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Weapon mentions joined with their canonical system, who said them and who published them."""
    return _joined("weapon_mentions", data_dir, _mentions_joined)
