"""A CSV file's cells as Arrow text, read and stripped without pandas: the fast path of reading a table.

Kept free of pandas and pandera, so that a command can start reading its largest tables
(``ReadAhead``) while those two are still being imported: Arrow's reader and kernels let the
interpreter go, so the reading runs on the second core while the first one imports.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io
import os
import stat
from pathlib import Path
from types import TracebackType

import numpy as np

from casualty_workbook.core.paths import file_problem

BOM = b"\xef\xbb\xbf"
# Bytes Arrow parses as one block (its default is 1 MiB). Each block becomes a chunk of every column, and
# each later step (stripping, the checks; a round of the export's kernels) pays a little per chunk: a
# million claims are 48 chunks, not 190. Files of two blocks or more are still parsed on both cores, and
# a block's text is all the export holds of a column it reduces as it reads (the notes).
BLOCK_BYTES = 4 << 20
# Files at least this large are read ahead: below it, reading costs less than the thread's start.
READ_AHEAD_BYTES = 8 << 20


def arrow_table(raw: bytes, *, empty_as_missing: bool = False):
    """(pyarrow Table of text cells, header as written), or None when pyarrow is not installed or the
    file is anything but a clean, rectangular UTF-8 CSV with a unique header: the careful reader of
    ``loading`` then reads it and names the problem."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    body = memoryview(raw)[len(BOM) :] if raw.startswith(BOM) else raw  # no copy of a large file
    header = written_header(bytes(body[:65536]))
    if header is None:
        return None
    try:
        table = pacsv.read_csv(pa.BufferReader(body), **text_csv_options(header, empty_as_missing=empty_as_missing))
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.column_names != header:
        return None
    return table, header


def written_header(head: bytes) -> list[str] | None:
    """The header row as written: csv's reading of the first line of ``head`` (a file's first bytes, a
    UTF-8 BOM dropped); None when it is empty or names a column twice (the careful reader names that)."""
    head = head[len(BOM) :] if head.startswith(BOM) else head
    header = next(csv.reader(io.StringIO(head.decode("utf-8", errors="replace"))), [])
    return header if header and len(set(header)) == len(header) else None


def text_csv_options(names: list[str], *, empty_as_missing: bool = True, include: list[str] | None = None) -> dict:
    """Arrow's CSV options for every cell of the columns ``names`` as text (an empty one missing, with
    ``empty_as_missing``), a quoted cell may hold a newline; ``include``: the columns kept, all if None."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return {
        "read_options": pacsv.ReadOptions(block_size=BLOCK_BYTES),
        "parse_options": pacsv.ParseOptions(newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            include_columns=include,
            strings_can_be_null=empty_as_missing,
            quoted_strings_can_be_null=empty_as_missing,
            null_values=[""],
        ),
    }


def stripped_column(cells):
    """Text cells stripped of surrounding whitespace, an empty cell (or one of spaces) missing: what
    ``str.strip`` and a mask do in pandas, in Arrow's kernels (the same kernel), chunk by chunk. A chunk
    with nothing to strip and no empty cell is kept as it is, not copied (``_plain_edges``): most columns
    of a table have nothing to strip. An Array gives an Array, a ChunkedArray a ChunkedArray."""
    import pyarrow as pa

    if not isinstance(cells, pa.ChunkedArray):
        return _stripped_chunk(cells)
    return pa.chunked_array([_stripped_chunk(chunk) for chunk in cells.chunks], type=cells.type)


def _stripped_chunk(chunk):
    import pyarrow as pa
    import pyarrow.compute as pc

    starts, ends = _cell_bounds(chunk)
    if not _plain_edges(chunk, starts, ends):  # else no cell starts or ends with a space: nothing to strip
        trimmed = pc.utf8_trim_whitespace(chunk)
        if pc.sum(pc.binary_length(trimmed)) != pc.sum(pc.binary_length(chunk)):
            chunk = trimmed
            starts, ends = _cell_bounds(chunk)
    if not (ends == starts).any():  # no cell is empty (a missing one is empty too, and stays missing)
        return chunk
    empty = pc.equal(chunk, "")
    return pc.if_else(empty, pa.scalar(None, chunk.type), chunk) if pc.any(empty).as_py() else chunk


def _cell_bounds(chunk) -> tuple[np.ndarray, np.ndarray]:
    """Where each cell of an Arrow text array starts and ends in its data buffer, from its offsets (no copy)."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
    return offsets[:-1], offsets[1:]


def _plain_edges(chunk, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Whether no cell's first or last byte can be part of a space that ``utf8_trim_whitespace`` strips.

    Those spaces are ASCII's 0x09-0x0D, 0x1C-0x20 and characters beyond ASCII (U+0085, U+00A0, U+3000…),
    whose UTF-8 bytes are all 0x80 or above: a cell whose edge bytes are printable ASCII but for space has
    nothing to strip. Looking at two bytes a cell is a fraction of the kernel's pass over every character
    and its copy of the column."""
    data = chunk.buffers()[2]
    if data is None:
        return True
    data = np.frombuffer(data, dtype=np.uint8)
    full = ends > starts
    edges = np.concatenate([data[starts[full]], data[ends[full] - 1]])
    return not bool(((edges <= 0x20) | (edges >= 0x80)).any())


def stripped_table(columns: list, names: list[str]):
    """An Arrow table of ``columns`` (empty cells already missing), each stripped (``stripped_column``).
    ``columns`` is emptied as it goes, so that each column read is freed once stripped: a large file's
    text is never held three times.

    Two columns at a time, one on a second thread: Arrow's kernels let the interpreter go."""
    import pyarrow as pa

    stripped = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="strip") as pool:
        while columns:
            ahead = pool.submit(stripped_column, columns.pop(0))
            here = stripped_column(columns.pop(0)) if columns else None
            stripped += [ahead.result()] + ([here] if here is not None else [])
    return pa.table(stripped, names=names)


def read_text_cells(path: Path):
    """(Arrow table of a CSV file's stripped text cells, empty ones missing; header as written), or None
    when the file is not for the fast path (binary, not clean CSV, no pyarrow). The file's bytes are let
    go once Arrow has read them, and each column as soon as it is stripped."""
    raw = path.read_bytes()
    read = None if b"\x00" in raw[:65536] else arrow_table(raw, empty_as_missing=True)
    del raw
    if read is None:
        return None
    columns, header = read[0].columns, read[1]
    del read
    return stripped_table(columns, header), header


class ReadAhead:
    """The large CSV files of a folder, read as ``read_text_cells`` on a thread from the moment it is made.

    ``take(path)`` hands over a file's cells (waiting for them) once, or None when the file was not
    read ahead or did not read cleanly: the caller then reads it as usual, so errors are named the
    same way. A file is read ahead only when it is a regular file of the folder (``file_problem``)
    of at least ``READ_AHEAD_BYTES``: never a FIFO, a device or a link out of the folder. Leaving
    the ``with`` block waits for the thread and drops what was not taken.
    """

    def __init__(self, folder: Path, *, min_bytes: int = READ_AHEAD_BYTES):
        self._reads: dict[Path, concurrent.futures.Future] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        for path in _large_csv_files(Path(folder), min_bytes):
            self._reads[path] = self._pool.submit(read_text_cells, path)

    @property
    def paths(self) -> list[Path]:
        return list(self._reads)

    def take(self, path: Path):
        """The file's (stripped Arrow table, header) read ahead, or None; a file is handed over once."""
        read = self._reads.pop(Path(path).absolute(), None)
        if read is None:
            return None
        try:
            return read.result()
        except Exception:  # noqa: BLE001 - read again as usual, and that read names the problem
            return None

    def close(self) -> None:
        for read in self._reads.values():
            read.cancel()
        self._pool.shutdown(wait=True)
        self._reads.clear()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _large_csv_files(folder: Path, min_bytes: int) -> list[Path]:
    """The folder's regular .csv files of at least ``min_bytes``, largest first."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        path = Path(folder, entry.name).absolute()
        if not entry.name.endswith(".csv") or file_problem(path) is not None:
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size >= min_bytes:
            found.append((info.st_size, path))
    return [path for _, path in sorted(found, reverse=True)]
