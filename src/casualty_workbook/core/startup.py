"""Imports the workbook's own processes can do without.

jsonschema (which nbformat imports, so papermill and the report pages too) loads the optional
``rfc3987_syntax`` package whenever it is installed (jupyter-events, for JupyterLab, brings it),
and that package builds three Earley parsers as it is imported: about a second of CPU in every
process that reads or writes a notebook. Its one use is jsonschema's ``iri`` format check, which
no notebook schema uses (nbformat checks no formats). The command line and the Dask workers skip
it; JupyterLab and the kernels are left as they are.
"""

from __future__ import annotations

import sys

SKIPPED = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Make ``import rfc3987_syntax`` fail fast here (jsonschema then leaves the iri format unchecked)."""
    if "jsonschema" in sys.modules:  # jsonschema has already imported what it wanted: too late to save anything
        return
    for name in SKIPPED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type] - None makes the import raise ImportError
