"""Tables exported for analysts, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from casualty_workbook.core.files import atomic_write

if TYPE_CHECKING:  # pandas is loaded by the functions that take a frame: FORMULA_PREFIXES alone needs none
    import pandas as pd

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe."""
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_string_dtype(safe[column]) or safe[column].dtype == object:
            text = safe[column]
            cells = text.tolist()
            if all(type(cell) is str for cell in cells):
                # Plain text, the usual case: the same cells as below, a few times faster on a small table
                # (a chart's rows), where pandas' string methods cost more than the cells themselves.
                safe[column] = pd.Series(
                    ["'" + cell if cell.startswith(FORMULA_PREFIXES) else cell for cell in cells],
                    index=text.index,
                    dtype=object,
                    name=text.name,
                )
                continue
            risky = text.astype("string").str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
            safe[column] = text.astype(object).where(~risky, "'" + text.astype("string"))
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV bytes, formulas neutralised, no index."""
    handle = io.StringIO(newline="")
    # CRLF, as RFC 4180 and spreadsheets expect; it also makes the writer quote any cell holding \r or \n.
    neutralise_formulas(frame).to_csv(handle, index=False, lineterminator="\r\n")
    return handle.getvalue().encode("utf-8")


def _neutralised(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def text_csv_bytes(header: list[str], columns: list[list[str]]) -> bytes:
    """Columns of text cells (each a list of str, all of one length) as ``csv_bytes`` writes the frame of
    them, byte for byte, without building the frame: the same writer (the csv module's, as pandas uses
    it), formulas neutralised, CRLF."""
    handle = io.StringIO(newline="")
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(zip(*([_neutralised(cell) for cell in cells] for cells in columns), strict=True))
    return handle.getvalue().encode("utf-8")


def export_csv(frame: pd.DataFrame, name: str, directory: str | Path | None) -> Path | None:
    """Write ``directory/name.csv`` (UTF-8, formulas neutralised) atomically; nothing when directory is None."""
    if directory is None:
        return None
    return atomic_write(Path(directory) / f"{name}.csv", csv_bytes(frame))
