"""A fresh clone to its first figures: `make env` then `make figures`, as a new contributor runs them.

The clone is of the repository's current commit (uncommitted changes are not in it), in a
temporary folder; `make env` there creates its own .venv from the lock (uv, or pip where uv
cannot be installed) with the package caches this machine already has, and `make figures`
builds every report from nothing (no build state). The committed figures must come out
byte for byte.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from measure import REPO, BenchError, Ran, Stats, clean_environment, fmt_s, log, run, tree_hashes


@dataclass
class FreshSetup:
    """`make env` and `make figures` in a fresh clone, over the repetitions."""

    commit: str = ""
    clone: Stats = field(default_factory=Stats)
    env: Stats = field(default_factory=Stats)
    figures: Stats = field(default_factory=Stats)
    total: Stats = field(default_factory=Stats)  # env + figures: what `make figures` alone takes in a fresh clone
    installer: list[str] = field(default_factory=list)  # "uv" or "pip", per repetition
    identical: list[bool] = field(default_factory=list)


def head_commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as err:
        raise BenchError(f"fresh set-up needs a git checkout: {err}") from None


def clone_environment() -> dict[str, str]:
    """What a contributor's fresh shell has: no virtual environment or package path of this one."""
    return {k: v for k, v in clean_environment().items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTEST_ADDOPTS")}


def clone_at(commit: str, clone: Path, env: dict[str, str]) -> Ran:
    """A fresh clone of the repository at ``commit``; the run is the `git clone`'s (the checkout is not timed)."""
    cloned = run(["git", "clone", "--quiet", "--no-checkout", str(REPO), str(clone)], env=env)
    run(["git", "-C", str(clone), "checkout", "--quiet", "--detach", commit], env=env)
    return cloned


def measure_fresh_setup(work: Path, repeat: int, logs: Path) -> FreshSetup:
    result = FreshSetup(commit=head_commit())
    env = clone_environment()
    for rep in range(1, repeat + 1):
        clone = work / f"clone{rep}"
        cloned = clone_at(result.commit, clone, env)
        committed = tree_hashes(clone / "figures")
        made_env = run(["make", "--no-print-directory", "-C", str(clone), "env"], env=env, log_file=logs / "setup.log")
        made = run(["make", "--no-print-directory", "-C", str(clone), "figures"], env=env, log_file=logs / "setup.log")
        result.clone.add(cloned.seconds)
        result.env.add(made_env.seconds)
        result.figures.add(made.seconds)
        result.total.add(made_env.seconds + made.seconds)
        result.installer.append("pip" if "uv could not be installed" in made_env.output else "uv")
        result.identical.append(tree_hashes(clone / "figures") == committed)
        log(
            f"  fresh clone, repetition {rep}: make env {fmt_s(made_env.seconds)} ({result.installer[-1]}), "
            f"make figures {fmt_s(made.seconds)}: {fmt_s(made_env.seconds + made.seconds)}"
        )
        shutil.rmtree(clone, ignore_errors=True)
    return result
