"""No function in the package over 60 lines: a long function is split into steps named for what they do."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "casualty_workbook"
MAX_LINES = 60


def _long_functions(source: str, where: str) -> dict[str, int]:
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_LINES:
                found[f"{where}:{node.name}"] = lines
    return found


def _package_long_functions() -> dict[str, int]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found.update(_long_functions(path.read_text(), str(path.relative_to(PACKAGE))))
    return found


def test_no_function_is_over_60_lines() -> None:
    assert _package_long_functions() == {}


def test_a_long_function_is_found() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    assert _long_functions(f"def f():\n{body}\n", "m.py") == {"m.py:f": MAX_LINES + 1}
    assert _long_functions("def g():\n    return 1\n", "m.py") == {}
