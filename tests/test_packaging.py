"""The package declares what it imports: installed alone, from pyproject.toml, every module imports.

Two checks. The first reads every ``import`` of ``src/`` (those inside functions too) and asks
which distribution provides each module: it must be one pyproject.toml names, so no page or
kernel breaks for an analyst who installs the package without the lock's other entries. The
second installs the package into an empty environment, its dependencies pinned by the lock,
and imports every module there.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from conftest import REPO

SRC = REPO / "src"
PACKAGE = "casualty_workbook"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_canonical(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def third_party_imports(root: Path) -> dict[str, set[str]]:
    """Each top-level module imported under ``root`` that is neither the standard library's
    nor the package's own, with the files that import it."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top != PACKAGE:
                    found.setdefault(top, set()).add(str(path.relative_to(root)))
    return found


def undeclared(imports: dict[str, set[str]], declared: set[str]) -> list[str]:
    """One line per imported module whose distribution pyproject.toml does not name."""
    providers = packages_distributions()
    missing = []
    for module, files in sorted(imports.items()):
        dists = {_canonical(d) for d in providers.get(module, [module])}
        if not dists & declared:
            missing.append(
                f"{module} (distribution {', '.join(sorted(dists))}), imported by {', '.join(sorted(files))}"
            )
    return missing


def test_every_import_of_src_is_declared_in_pyproject():
    missing = undeclared(third_party_imports(SRC), _declared())
    assert not missing, "declare in pyproject.toml's dependencies:\n" + "\n".join(missing)


def test_the_declaration_check_finds_an_undeclared_import(tmp_path):
    """The check can fail: a module importing a package the declarations leave out is named."""
    (tmp_path / "pages.py").write_text("def render():\n    import nh3\n    return nh3\n")
    missing = undeclared(third_party_imports(tmp_path), _declared() - {"nh3"})
    assert missing == ["nh3 (distribution nh3), imported by pages.py"]


def _modules() -> list[str]:
    return sorted(
        ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for p in (SRC / PACKAGE).rglob("*.py")
    )


@pytest.mark.slow
def test_the_package_alone_installs_and_imports_every_module(tmp_path):
    """An empty environment with the package and what pyproject.toml declares (at the lock's
    versions), nothing else: every module of the package imports."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not in this environment (make env installs it)")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The lock pins versions (as constraints: only what pyproject.toml asks for is installed);
    # a copy of the sources, so the build leaves nothing in the work tree.
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "".join(line for line in (REPO / "requirements.lock").open() if re.match(r"^[A-Za-z0-9].*==", line)).replace(
            " \\", ""
        )
    )
    project = tmp_path / "project"
    # The project's own folders beside the package are left out; the package's subpackages (its data/
    # layer among them) are not: only names at the top of the checkout are ignored.
    top_level = shutil.ignore_patterns(
        ".venv*", ".git", "reports", ".build-state", "figures", "bench", "tests", "data", "notebooks"
    )
    shutil.copytree(
        REPO, project, ignore=lambda folder, names: top_level(folder, names) if Path(folder) == REPO else set()
    )
    install = subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "--constraint",
            str(constraints),
            f"{project}[dask]",
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    imported = subprocess.run(
        [str(python), "-c", script, *_modules()],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(tmp_path)},
    )
    assert imported.returncode == 0, imported.stderr[-3000:]


def test_citation_and_licences_name_this_version_and_the_code_licence():
    import yaml

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert "CC BY 4.0" in (REPO / "LICENSE-DATA.md").read_text()
