"""State a process keeps: each piece owned by one object, listed in docs/architecture.md, nothing else.

A module-level dict, list or set that functions change is state with no owner: the test finds
every one in the package (and every ``global`` statement) and allows only those of the table
below, each of which docs/architecture.md's "State a process keeps" describes.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "casualty_workbook"
DOC = ROOT / "docs" / "architecture.md"

# module (path in the package) -> names of module-level containers it changes, each documented.
OWNED = {
    "charts/chart_data.py": {"_TABLES"},
    # the sizes of texts measured, shared by the saver's renderers: same answers, so nothing to leak
    "charts/text_sizes.py": {"TEXT_SIZES"},
    # the glyphs of texts shaped for drawing, shared by the saver's Agg renderers: same answers too
    "charts/agg_canvas.py": {"GLYPH_LAYOUTS"},
    # the fonts the saver's renderers read from memory: the same bytes as on disk, so the same glyphs
    "charts/memory_fonts.py": {"FONT_FILES", "FONTS"},
    # the Jupyter server's one WarmKernels, set when the extension loads: a list, since a module-style
    # extension of this jupyter_server has no object of its own to hold it
    "pipeline/lab_extension.py": {"KERNELS"},
}
CONTAINER_CALLS = {"dict", "list", "set", "OrderedDict", "WeakKeyDictionary", "WeakValueDictionary", "defaultdict"}
MUTATORS = {
    "append", "extend", "update", "clear", "pop", "popitem", "setdefault", "add", "discard",
    "move_to_end", "insert", "remove",
}  # fmt: skip


def _module_containers(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        is_container = isinstance(value, ast.Dict | ast.List | ast.Set) or (
            isinstance(value, ast.Call)
            and (getattr(value.func, "id", None) or getattr(value.func, "attr", None)) in CONTAINER_CALLS
        )
        if is_container:
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _changed_in_functions(tree: ast.Module, names: set[str]) -> set[str]:
    changed = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Global):
                changed.update(node.names)
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
                if isinstance(node.value, ast.Name) and node.value.id in names:
                    changed.add(node.value.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func.value
                if isinstance(target, ast.Name) and target.id in names and node.func.attr in MUTATORS:
                    changed.add(target.id)
    return changed


def _state_by_module() -> dict[str, set[str]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        changed = _changed_in_functions(tree, _module_containers(tree))
        if changed:
            found[str(path.relative_to(PACKAGE))] = changed
    return found


def test_only_the_documented_owners_keep_module_level_state() -> None:
    assert _state_by_module() == OWNED


def test_every_owner_of_state_is_described_in_one_place() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## State a process keeps") :]
    for owner in (
        "READ_LOG",
        "INPUT_HASHES",
        "TABLE_CACHE",
        "TEXT_SIZES",
        "GLYPH_LAYOUTS",
        "FONT_FILES",
        "chart_data",
        "WarmKernels",
    ):
        assert owner in section, owner


def test_the_check_finds_state_changed_by_a_function() -> None:
    """The scan is not blind: a module-level dict filled by a function, and a ``global``, are found."""
    tree = ast.parse("SEEN = {}\ncount = 0\ndef note(k):\n    SEEN[k] = 1\ndef bump():\n    global count\n")
    assert _changed_in_functions(tree, _module_containers(tree)) == {"SEEN", "count"}
    constant = ast.parse("LABELS = {'a': 'A'}\ndef label(k):\n    return LABELS[k]\n")
    assert _changed_in_functions(constant, _module_containers(constant)) == set()
