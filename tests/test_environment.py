"""One environment: the conda spec, the pip lock and the Makefile agree."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import sync_environment


def test_environment_yml_matches_the_lock():
    expected = sync_environment.render(REPO / "requirements.in", REPO / "requirements.lock")
    assert (REPO / "environment.yml").read_text() == expected, "run `make lock` to regenerate environment.yml"


def test_the_bootstrap_pins_uv_as_the_lock_does():
    """`make env` installs uv from tools/bootstrap.txt first: the same version and hashes as the lock."""
    expected = sync_environment.render_bootstrap(REPO / "requirements.lock")
    assert (REPO / "tools" / "bootstrap.txt").read_text() == expected, "run `make lock` to regenerate it"
    assert "uv==" in expected and "--hash=sha256:" in expected


def test_every_direct_requirement_is_pinned_with_hashes():
    lock = (REPO / "requirements.lock").read_text()
    for name in sync_environment.direct_requirements(REPO / "requirements.in"):
        block = re.search(
            rf"^{re.escape(name)}==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{{64}}.*\n)+)", lock, flags=re.M | re.I
        )
        assert block, f"{name} is not pinned with hashes in requirements.lock"


def test_the_design_card_packages_are_in_both():
    env = (REPO / "environment.yml").read_text()
    versions = sync_environment.locked_versions(REPO / "requirements.lock")
    for name in ("jupyterlab", "pandas", "matplotlib", "seaborn", "papermill", "pandera"):
        assert f"  - {name}={versions[name]}\n" in env


def test_installed_versions_are_the_locked_ones():
    from importlib import metadata

    versions = sync_environment.locked_versions(REPO / "requirements.lock")
    for name in ("pandas", "matplotlib", "seaborn", "papermill", "pandera", "jupyterlab", "numpy"):
        assert metadata.version(name) == versions[name], f"{name}: run `make env` again"


def test_make_help_lists_every_target_with_a_line():
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for target in ("figures", "report", "validate", "test", "lint", "lab", "bench", "clean", "lock", "env"):
        assert re.search(rf"^  {target}\s+\S", out, flags=re.M), target


def test_notebooks_kernel_resolves_to_this_environment():
    """JupyterLab and papermill start the same interpreter: the project's environment."""
    from pathlib import Path

    import nbformat

    names = {
        nbformat.read(p, as_version=4).metadata["kernelspec"]["name"] for p in (REPO / "notebooks").glob("*.ipynb")
    }
    assert names == {"python3"}
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name="python3")
    command = manager.format_kernel_cmd()
    assert Path(command[0]).resolve() == Path(sys.executable).resolve(), command
