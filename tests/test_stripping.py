"""The stripping of text cells by the loader, the import and the export (data/arrow_text.py,
``stripped_column``): the same cells as Arrow's ``utf8_trim_whitespace`` with empty cells missing,
though it skips the kernel where no cell's edge can be a space."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from casualty_workbook.data.arrow_text import stripped_column

# Cells' pieces: spaces of every kind the kernel strips at either end, and characters it keeps.
PIECES = ["", " ", "a", "b c", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x07", "~", "é", "ß", "中"]
PIECES += ["\u0085", "\u00a0", "\u1680", "\u2002", "\u2028", "\u202f", "\u3000", "\u00e9 "]


def expected(cells: pa.ChunkedArray) -> pa.ChunkedArray:
    """Every cell through the kernel, an empty one missing: what the import's cells must be."""
    trimmed = pc.utf8_trim_whitespace(cells)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, cells.type), trimmed)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_cells_are_stripped_as_the_kernel_strips_them(kind: pa.DataType) -> None:
    rng = random.Random(7)
    for _ in range(3000):
        cells = [
            rng.choice(PIECES) + rng.choice(PIECES) + rng.choice(PIECES) if rng.random() < 0.9 else None
            for _ in range(rng.randint(0, 10))
        ]
        cut = rng.randint(0, len(cells))
        column = pa.chunked_array([pa.array(cells[:cut], kind), pa.array(cells[cut:], kind)], type=kind)
        for case in (column, column.slice(rng.randint(0, len(cells))), pa.array(cells, kind).slice(1)):
            case = case if isinstance(case, pa.ChunkedArray) else pa.chunked_array([case], type=kind)
            got = stripped_column(case)
            assert got.type == kind and got.combine_chunks().equals(expected(case).combine_chunks()), cells


def test_a_chunk_with_nothing_to_strip_and_no_empty_cell_is_kept_as_it_is() -> None:
    chunk = pa.array(["UCDP GED 90.1: best estimate 14", "ucdp-ged-900001", "x"] * 1000, pa.large_string())
    got = stripped_column(pa.chunked_array([chunk]))
    assert got.chunk(0).buffers()[2].address == chunk.buffers()[2].address  # the same text, not a copy


def test_an_array_gives_an_array_as_the_kernel_strips_it() -> None:
    cells = pa.array([" a ", "b", "\u00a0", None, "", "c\t"])
    got = stripped_column(cells)
    assert isinstance(got, pa.Array) and got.to_pylist() == ["a", "b", None, None, None, "c"]
