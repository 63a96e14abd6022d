"""The report catalogue (``catalogue.yml``): every report's id, notebook and parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .exceptions import CatalogueError, ParameterError

ID = re.compile(r"[a-z0-9][a-z0-9_\-]*")


@dataclass(frozen=True)
class Report:
    id: str
    notebook: str
    title: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def notebook_path(self, notebooks_dir: Path) -> Path:
        return notebooks_dir / f"{self.notebook}.ipynb"


def read_catalogue(path: Path, notebooks_dir: Path) -> list[Report]:
    """Read and check the catalogue's structure (names, types, notebooks present); not yet the data."""
    from . import parameters

    where = str(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{where}: catalogue not found") from None
    except yaml.YAMLError as err:
        raise CatalogueError(f"{where}: not valid YAML: {err}") from None
    if not isinstance(document, dict) or not isinstance(document.get("reports"), list) or not document["reports"]:
        raise CatalogueError(f"{where}: expected a mapping with a non-empty list under 'reports'")
    reports, problems, seen = [], [], set()
    for index, entry in enumerate(document["reports"], start=1):
        label = f"report {index}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a mapping with id, notebook, title, parameters")
            continue
        label = f"report {index} ({entry.get('id', 'no id')})"
        unknown = sorted(set(entry) - {"id", "notebook", "title", "parameters"})
        if unknown:
            problems.append(f"{label}: unknown field(s) {', '.join(unknown)}; allowed: id, notebook, title, parameters")
        report_id, notebook = entry.get("id"), entry.get("notebook")
        if not isinstance(report_id, str) or not ID.fullmatch(report_id):
            problems.append(f"{label}: id must be lower-case letters, digits, '_' or '-'")
            continue
        if report_id in seen:
            problems.append(f"{label}: id {report_id!r} is used twice")
        seen.add(report_id)
        if not isinstance(notebook, str) or not (notebooks_dir / f"{notebook}.ipynb").is_file():
            problems.append(f"{label}: notebook {notebook!r} not found as {notebooks_dir / f'{notebook}.ipynb'}")
            continue
        params = entry.get("parameters") or {}
        if not isinstance(params, dict):
            problems.append(f"{label}: parameters must be a mapping of name: value")
            continue
        try:
            parameters.spec(notebook)
        except ParameterError as err:
            problems.append(f"{label}: {err}")
            continue
        reports.append(Report(report_id, notebook, str(entry.get("title") or report_id), params))
    if problems:
        raise CatalogueError(f"{where}: " + (problems[0] if len(problems) == 1 else "\n  " + "\n  ".join(problems)))
    return reports


def check_parameters(reports: list[Report], catalogue_path: Path, tables: dict | None = None) -> None:
    """Every report's parameters are known, well typed and in range (data-backed choices included)."""
    from . import parameters

    problems = []
    for report in reports:
        try:
            parameters.check(report.notebook, report.parameters, where=f"report {report.id}", tables=tables)
        except ParameterError as err:
            problems.append(str(err))
    if problems:
        raise CatalogueError(f"{catalogue_path}: " + "\n".join(problems))
