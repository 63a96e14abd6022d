"""The data files this process has read, each with its content hash: what a report says it was built from.

``READ_LOG`` is the one log of a process. Its lifetime is the process: a report's kernel starts
with an empty log (a kernel forked from the warm server gets the server's, which records nothing:
the server checks the tables ahead inside ``paused``), and the build reads it from the executed
notebook (``provenance.show_provenance``). ``loading`` records every read through
``provenance.record_read``; the HXL export records here the files it reads unchecked when a
verdict vouches for them (``verdicts``), as the loader would have; nothing else writes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from casualty_workbook.core.files import sha256_file


class ReadLog:
    """Paths read (resolved) → their sha256, as this process read them."""

    def __init__(self) -> None:
        self._reads: dict[str, str] = {}

    def record(self, path: str | Path, *, digest: str | None = None) -> None:
        """Note that ``path`` was read: its content hash (``digest`` when the caller has it)."""
        self._reads[str(Path(path).resolve())] = digest or sha256_file(path)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """What is read inside is not recorded (work done ahead, for later runs, not for this one)."""
        kept = dict(self._reads)
        try:
            yield
        finally:
            self._reads.clear()
            self._reads.update(kept)

    def paths(self) -> list[str]:
        """The resolved paths read so far, sorted."""
        return sorted(self._reads)

    def by_name(self) -> dict[str, str]:
        """Files read so far, file name → sha256, sorted by name."""
        return {Path(p).name: h for p, h in sorted(self._reads.items(), key=lambda kv: Path(kv[0]).name)}

    def clear(self) -> None:
        self._reads.clear()


READ_LOG = ReadLog()
