"""The package's layers: imports only downward (import-linter's contracts), no private names across modules."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import casualty_workbook as wb

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "casualty_workbook"
LAYERS = ("core", "data", "analysis", "charts", "publish", "interchange", "pipeline")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(src: Path, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layer_contracts_hold() -> None:
    result = _lint_imports(ROOT / "src", ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import", "broken"),
    [
        ("core/paths.py", "from casualty_workbook.data import loading", "Layers"),
        ("data/schemas.py", "from casualty_workbook.charts import style", "Layers"),
        ("charts/style.py", "from casualty_workbook.publish import pages", "Layers"),
        ("pipeline/build_lock.py", "from casualty_workbook.pipeline import build", "No loops"),
    ],
)
def test_an_import_against_the_layers_is_caught(tmp_path: Path, module: str, upward_import: str, broken: str) -> None:
    """The contracts can fail: a copy of the package with one import against them breaks one."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "casualty_workbook", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = src / "casualty_workbook" / module
    target.write_text(target.read_text() + f"\n{upward_import}  # noqa\n")
    result = _lint_imports(src, tmp_path / "pyproject.toml")
    assert result.returncode != 0
    assert "1 broken" in result.stdout
    assert broken in result.stdout.split("Broken contracts", 1)[1]


def _imports(path: Path) -> list[ast.ImportFrom]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ImportFrom)]


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in _imports(path):
            from_workbook = node.level > 0 or (node.module or "").startswith("casualty_workbook")
            if not from_workbook:
                continue
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if private:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {', '.join(private)}")
    assert offenders == []


def test_every_layer_says_what_it_owns_and_what_it_may_import() -> None:
    for layer in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
        assert doc, f"{layer}/__init__.py has no docstring"
        assert "Imports" in doc, f"{layer}/__init__.py does not say what it may import"
    # nothing but the command line sits beside the layers
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "cli.py"})
    assert loose == []


def test_the_names_notebooks_import_from_the_package_resolve() -> None:
    for name in wb.__all__:
        assert getattr(wb, name) is not None
    with pytest.raises(AttributeError):
        wb.no_such_name  # noqa: B018


def _unexplained_imports(source: str) -> list[int]:
    """Lines of imports of the package inside a function with no comment saying why: on the import's
    own line, or on the comment line just above the run of imports it belongs to."""
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("casualty_workbook")):
                continue
            if "#" in lines[node.lineno - 1]:
                continue
            above = node.lineno - 2
            while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
                above -= 1
            if above < 0 or not lines[above].strip().startswith("#"):
                found.append(node.lineno)
    return found


def test_every_import_inside_a_function_says_why() -> None:
    """An import belongs at the top of its module; one inside a function says why (a command's start-up)."""
    unexplained = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(PACKAGE))
        if lines := _unexplained_imports(path.read_text()):
            unexplained[where] = lines
    assert unexplained == {}


def test_an_unexplained_import_inside_a_function_is_found() -> None:
    source = "def f():\n    x = 1\n    from casualty_workbook.core import paths\n"
    assert _unexplained_imports(source) == [3]
    explained = "def f():\n    # start-up: pandas\n    from casualty_workbook.data import loading\n    from casualty_workbook.core import paths\n"
    assert _unexplained_imports(explained) == []
