"""One exception family: every error a user can cause says what is wrong and where.

The command line prints ``str(error)`` without a traceback (unless ``--debug`` or
``DEBUG=1``) and exits with ``error.exit_code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class WorkbookError(Exception):
    """Base class of the errors the workbook reports to its user."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One broken rule in one place of a data file."""

    row: int | None  # spreadsheet numbering: the header is row 1, so data starts at row 2
    column: str | None
    value: object
    rule: str
    field: str | None = None  # a field of a YAML file, e.g. "origin.producer"

    def describe(self) -> str:
        where = [f"field {self.field}"] if self.field is not None else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        place = ", ".join(where) if where else "file"
        if self.value is None or (isinstance(self.value, float) and self.value != self.value):
            shown = ""
        else:
            text = str(self.value)
            shown = f", value {text[:60]!r}" + ("…" if len(text) > 60 else "")
        return f"{place}{shown}: {self.rule}"


class DataValidationError(WorkbookError):
    """A data file breaks one or more rules; lists them all."""

    exit_code = 2

    def __init__(self, path: Path | str, problems: list[Problem]):
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}: invalid data ({len(problems)} problem{'s' if len(problems) != 1 else ''})"]
        shown = problems[:50]
        lines += [f"  {p.describe()}" for p in shown]
        if len(problems) > len(shown):
            lines.append(f"  … and {len(problems) - len(shown)} more")
        super().__init__("\n".join(lines))


class InvalidDataFiles(DataValidationError):
    """Several data files break rules: each file's message in turn, so one run lists them all."""

    def __init__(self, errors: list[DataValidationError]):
        self.errors = errors
        self.path = errors[0].path
        self.problems = [p for err in errors for p in err.problems]
        names = ", ".join(err.path.name for err in errors)
        WorkbookError.__init__(
            self, "\n".join(str(err) for err in errors) + f"\n{len(errors)} files have problems: {names}"
        )


class ParameterError(WorkbookError):
    """A notebook parameter is unknown, of the wrong type or out of range."""

    exit_code = 2


class CatalogueError(WorkbookError):
    """The report catalogue is malformed or names something that does not exist."""

    exit_code = 2


class BuildError(WorkbookError):
    """One or more reports failed; the others were built."""

    exit_code = 1


class BuildLockedError(WorkbookError):
    """Another build holds the lock on the output folders."""

    exit_code = 3
