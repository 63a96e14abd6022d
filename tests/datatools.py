"""Helpers for the data tests: copy ``data/`` somewhere and break one thing in the copy.

Rows are named by the value of their table's first column (``"C003"``, ``"ru_mod"``,
``"2015"``); every helper that touches a row returns its spreadsheet row number
(the header is row 1), which is what the loader's errors name.
"""

from __future__ import annotations

import base64
import csv
import io
import shutil
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def copy_data(dest: Path) -> Path:
    """A copy of the real ``data/`` folder (CSVs and .meta.yml files) at ``dest/data``."""
    target = Path(dest) / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def csv_path(data_dir: Path, table: str) -> Path:
    return Path(data_dir) / f"{table}.csv"


def read_rows(data_dir: Path, table: str) -> tuple[list[str], list[list[str]]]:
    with csv_path(data_dir, table).open(newline="", encoding="utf-8") as fh:
        records = list(csv.reader(fh))
    return records[0], records[1:]


def write_rows(data_dir: Path, table: str, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    csv_path(data_dir, table).write_text(buffer.getvalue(), encoding="utf-8")


def row_number(data_dir: Path, table: str, key: str) -> int:
    """Spreadsheet row number of the row whose first cell is ``key``."""
    _, rows = read_rows(data_dir, table)
    for i, row in enumerate(rows):
        if row[0] == key:
            return i + 2
    raise KeyError(f"{table}.csv has no row {key!r}")


def get_cell(data_dir: Path, table: str, key: str, column: str) -> str:
    header, rows = read_rows(data_dir, table)
    return rows[row_number(data_dir, table, key) - 2][header.index(column)]


def set_cell(data_dir: Path, table: str, key: str, column: str, value: str) -> int:
    """Write ``value`` into one cell; returns the cell's spreadsheet row number."""
    header, rows = read_rows(data_dir, table)
    number = row_number(data_dir, table, key)
    rows[number - 2][header.index(column)] = value
    write_rows(data_dir, table, header, rows)
    return number


def set_cells(data_dir: Path, table: str, key: str, values: dict[str, str]) -> int:
    number = 0
    for column, value in values.items():
        number = set_cell(data_dir, table, key, column, value)
    return number


def drop_column(data_dir: Path, table: str, column: str) -> None:
    header, rows = read_rows(data_dir, table)
    i = header.index(column)
    write_rows(data_dir, table, header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows])


def rename_column(data_dir: Path, table: str, old: str, new: str) -> None:
    header, rows = read_rows(data_dir, table)
    header[header.index(old)] = new
    write_rows(data_dir, table, header, rows)


def add_column(data_dir: Path, table: str, name: str, value: str = "") -> None:
    header, rows = read_rows(data_dir, table)
    write_rows(data_dir, table, [*header, name], [[*r, value] for r in rows])


def drop_row(data_dir: Path, table: str, key: str) -> None:
    header, rows = read_rows(data_dir, table)
    del rows[row_number(data_dir, table, key) - 2]
    write_rows(data_dir, table, header, rows)


# ---- declarative edits (the bad-input corpus) -----------------------------------------------------

EDIT_KINDS = (
    "set_cell",
    "drop_column",
    "rename_column",
    "add_column",
    "drop_row",
    "replace_text",
    "append_text",
    "content",
    "content_base64",
    "encoding",
    # the table's metadata file (<table>.meta.yml)
    "meta_content",
    "meta_replace_text",
    "meta_encoding",
    # what stands at a file's place; the argument says which file: csv or meta
    "delete",
    "folder",
    "symlink_outside",
    "broken_symlink",
)


def apply_edit(data_dir: Path, table: str, edit: dict) -> None:
    """Apply one declarative edit (a mapping with exactly one key of ``EDIT_KINDS``) to ``table``."""
    if len(edit) != 1 or next(iter(edit)) not in EDIT_KINDS:
        raise ValueError(f"an edit has exactly one of the keys {', '.join(EDIT_KINDS)}: {edit!r}")
    ((kind, arg),) = edit.items()
    path = csv_path(data_dir, table)
    if kind in ("delete", "folder", "symlink_outside", "broken_symlink"):
        if arg not in ("csv", "meta"):
            raise ValueError(f"{kind}: say which file, csv or meta, not {arg!r}")
        path = path.with_suffix(".meta.yml") if arg == "meta" else path
    meta = path.with_suffix(".meta.yml")
    if kind == "set_cell":
        set_cell(data_dir, table, str(arg["row"]), arg["column"], str(arg["value"]))
    elif kind == "drop_column":
        drop_column(data_dir, table, arg)
    elif kind == "rename_column":
        rename_column(data_dir, table, arg["from"], arg["to"])
    elif kind == "add_column":
        add_column(data_dir, table, arg["name"], str(arg.get("value", "")))
    elif kind == "drop_row":
        drop_row(data_dir, table, str(arg))
    elif kind == "replace_text":
        text = path.read_text(encoding="utf-8")
        if arg["old"] not in text:
            raise ValueError(f"{path.name} does not contain {arg['old']!r}")
        path.write_text(text.replace(arg["old"], arg["new"], 1), encoding="utf-8")
    elif kind == "append_text":
        path.write_text(path.read_text(encoding="utf-8") + arg, encoding="utf-8")
    elif kind == "content":
        path.write_bytes(arg.encode("utf-8"))
    elif kind == "content_base64":
        path.write_bytes(base64.b64decode(arg))
    elif kind == "encoding":
        # re-encode the file as it stands now, e.g. as latin-1
        path.write_bytes(path.read_text(encoding="utf-8").encode(arg))
    elif kind == "meta_content":
        meta.write_bytes(arg.encode("utf-8"))
    elif kind == "meta_replace_text":
        text = meta.read_text(encoding="utf-8")
        if arg["old"] not in text:
            raise ValueError(f"{meta.name} does not contain {arg['old']!r}")
        meta.write_text(text.replace(arg["old"], arg["new"], 1), encoding="utf-8")
    elif kind == "meta_encoding":
        meta.write_bytes(meta.read_text(encoding="utf-8").encode(arg))
    elif kind == "delete":
        path.unlink()
    elif kind == "folder":
        path.unlink()
        path.mkdir()
        (path / "note.txt").write_text("a folder where a file should be\n")
    elif kind == "symlink_outside":
        # the same bytes, but in a folder beside data/: the link leads out of the data folder
        elsewhere = Path(data_dir).parent / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        target = elsewhere / path.name
        shutil.move(path, target)
        path.symlink_to(target)
    elif kind == "broken_symlink":
        path.unlink()
        path.symlink_to(path.with_name(f"missing-{path.name}").name)


def apply_case(data_dir: Path, case: dict) -> None:
    """Apply a corpus case's edits, in order, to its table in ``data_dir``; then those of ``also``
    (a list of {table, edits}: other files broken in the same run)."""
    for edit in case["edits"]:
        apply_edit(data_dir, case["table"], edit)
    for other in case.get("also", []):
        for edit in other["edits"]:
            apply_edit(data_dir, other["table"], edit)


# ---- benign variants spreadsheets write: each must load exactly as the original ---------------------


def bom(data_dir: Path) -> None:
    for path in data_dir.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def crlf(data_dir: Path) -> None:
    for path in data_dir.glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def trailing_blank_lines(data_dir: Path) -> None:
    for path in data_dir.glob("*.csv"):
        path.write_bytes(path.read_bytes() + b"\n\n  \n")


def padded(data_dir: Path) -> None:
    for path in data_dir.glob("*.csv"):
        header, rows = read_rows(data_dir, path.stem)
        write_rows(data_dir, path.stem, [f" {c}  " for c in header], [[f"  {c} " for c in row] for row in rows])


def all_at_once(data_dir: Path) -> None:
    for variant in (padded, crlf, trailing_blank_lines, bom):
        variant(data_dir)


BENIGN_VARIANTS = {
    "bom": bom,
    "crlf": crlf,
    "trailing_blank_lines": trailing_blank_lines,
    "padded": padded,
    "all_at_once": all_at_once,
}
