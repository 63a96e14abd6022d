"""What a report must not change: the data folder and other reports' committed figures.

A notebook is code and could write anywhere (``os.remove("../data/claims.csv")``, an append to
another report's figure table). The build takes the hash of every file of the data folder and of
figures/ before any report runs; as each report comes back, before anything of it is published,
it hashes them again (cheap: ``sha256_input`` hashes again only a file whose size or times moved).
A difference fails the report, naming each file and what happened to it, and a file whose
content at the repository's HEAD is what it held before is restored from git, what it held
then kept in ``.build-state/changed/`` (the change may be the analyst's own edit, made while the
build ran: it is never lost). The figures a report publishes are its own: they become the
expected state of its folder.

Kernels run side by side: a change seen when one report comes back may have been made by
another still running. The message says so; with ``--jobs 1`` it is exact. A report whose data
changed while it ran, by whatever hand, is not published either: it read one version or the other.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from casualty_workbook.core.files import atomic_write, sha256_bytes, sha256_input


def _digests(folder: Path, *, skip_hidden: bool = True) -> dict[str, str]:
    """Every regular file under ``folder`` (its path relative to it → SHA-256); hidden names skipped
    (an import's scratch folder, editors' swap files), links to folders not followed.

    The build asks this of figures/ each time a report comes back, and figures/ grows by every report's
    files: strings and ``os.scandir`` instead of ``os.walk`` and ``Path`` objects cost a third as much
    (61 → 18 ms for the 2,496 files of a 200-report build); a file is hashed again only when its identity
    or times moved (``sha256_input``).
    """
    found: dict[str, str] = {}
    pending = [(os.fspath(folder), "")]
    while pending:
        base, prefix = pending.pop()
        try:
            entries = os.scandir(base)
        except OSError:  # not a folder (or gone): nothing under it
            continue
        with entries:
            for entry in entries:
                if skip_hidden and entry.name.startswith("."):
                    continue
                try:
                    is_folder = entry.is_dir()
                except OSError:
                    is_folder = False
                if is_folder:
                    if not entry.is_symlink():
                        pending.append((entry.path, f"{prefix}{entry.name}/"))
                    continue
                digest = sha256_input(entry.path, missing_ok=True)
                if digest is not None:
                    found[prefix + entry.name] = digest
    return found


def _from_git(path: Path, digest: str) -> bytes | None:
    """``path``'s bytes at the repository's HEAD when they hash to ``digest``; None otherwise."""
    try:
        shown = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if shown.returncode != 0 or sha256_bytes(shown.stdout) != digest:
        return None
    return shown.stdout


class InputsWatch:
    """The data folder and figures/ as they were before the build's reports ran (see the module's text)."""

    def __init__(self, data_dir: Path, figures: Path, keep: Path):
        self.folders = {"data": Path(data_dir), "figures": Path(figures)}
        self.keep = Path(keep)  # where a changed file's bytes go before git's copy is put back
        self.expected = {kind: _digests(folder) for kind, folder in self.folders.items()}

    def published(self, report_id: str) -> None:
        """``report_id`` has published: its figure folder as it is now is the expected one."""
        figures = self.folders["figures"]
        prefix = f"{report_id}/"
        kept = {k: v for k, v in self.expected["figures"].items() if not k.startswith(prefix)}
        own = _digests(figures / report_id)
        self.expected["figures"] = {**kept, **{prefix + k: v for k, v in own.items()}}

    def changes(self, report_id: str) -> str:
        """'' when nothing changed; else why ``report_id`` fails: each changed file and whether it was restored."""
        lines = []
        for kind, folder in self.folders.items():
            now = _digests(folder)
            was = self.expected[kind]
            if now == was:  # the usual case, compared at C speed
                continue
            for rel in sorted(set(was) | set(now)):
                if was.get(rel) == now.get(rel):
                    continue
                path = folder / rel
                what = "deleted" if rel not in now else "added" if rel not in was else "changed"
                restored = ""
                if rel in was:
                    content = _from_git(path, was[rel])
                    if content is not None:
                        if rel in now:
                            kept = self.keep / kind / rel
                            atomic_write(kept, path.read_bytes())
                            restored = f", restored from git (what it held is kept in {kept})"
                        else:
                            restored = ", restored from git"
                        atomic_write(path, content)
                elif kind == "figures" and not rel.startswith(f"{report_id}/"):
                    restored = " (left in place: remove it if it is not yours)"
                lines.append(f"{path} was {what}{restored}")
                if not restored.startswith(", restored"):
                    # Not restored: what is there now is what the next report is measured against.
                    if rel in now:
                        self.expected[kind][rel] = now[rel]
                    else:
                        self.expected[kind].pop(rel, None)
        if not lines:
            return ""
        return (
            "files no report may change (the data, other reports' figures) changed while it ran; nothing of "
            "this report was published:\n      "
            + "\n      ".join(lines)
            + "\n    A notebook must not write there (reports run side by side: --jobs 1 names the notebook "
            "exactly); if you edited a file yourself meanwhile, build again."
        )
