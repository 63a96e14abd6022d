"""Casualty figures workbook: claimed casualty figures with their provenance, charted reproducibly.

Notebooks import from here; everything they share lives in the package's modules:
``loading`` (the only door into data), ``schemas`` and ``rules`` (what valid data is),
``analysis``, ``charts`` (draw and return Axes), ``figures`` (the one saver), ``style``,
``provenance``, ``parameters``, ``catalogue`` and ``build`` (the build, a package), ``cli``.

Names are imported on first use, so the command line's no-op build never pays for pandas.
"""

from importlib import import_module

_EXPORTS = {
    "load_all": "loading",
    "load_claims": "loading",
    "load_table": "loading",
    "load_weapon_mentions": "loading",
    "save_figure": "figures",
    "use_house_style": "style",
    "show_provenance": "provenance",
    "format_value": "analysis",
    "add_source_line": "charts",
    "WorkbookError": "exceptions",
    "DataValidationError": "exceptions",
    "ParameterError": "exceptions",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
