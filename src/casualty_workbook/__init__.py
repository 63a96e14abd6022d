"""Casualty figures workbook: claimed casualty figures with their provenance, charted reproducibly.

Notebooks import from here (the names below) and from the layers, top to bottom:

- ``pipeline``: the catalogue, parameters, the build, where reports execute, warm kernels;
- ``publish`` (report pages, the index, drift), ``charts`` (draw and return Axes, the one saver,
  the house style) and ``interchange`` (UCDP GED, ACLED and OHCHR imports, the HXL export);
- ``analysis``: tables and prose computed from the loaded data;
- ``data``: schemas, rules, the one loader, provenance, the lock on ``data/``;
- ``core``: errors, paths, whole-file writes.

A module imports only from its own layer or those below (``make lint`` checks it). Names are
imported on first use, so the command line's no-op build never pays for pandas.
"""

from importlib import import_module

_EXPORTS = {
    "load_all": "data.loading",
    "load_claims": "data.loading",
    "load_table": "data.loading",
    "load_weapon_mentions": "data.loading",
    "save_figure": "charts.saving",
    "use_house_style": "charts.style",
    "show_provenance": "data.provenance",
    "format_value": "analysis.tables",
    "add_source_line": "charts.claim_charts",
    "WorkbookError": "core.exceptions",
    "DataValidationError": "core.exceptions",
    "ParameterError": "core.exceptions",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
