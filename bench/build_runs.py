"""The build, timed every way (each report of catalogue.yml, several repetitions):

(a) floor      each report's notebook converted to a plain Python script (its catalogue
               parameters injected after the parameters cell), run one after another;
(b) papermill  the ``papermill`` command-line tool once per report, one after another;
(c) cold       ``make figures`` after a ``make clean`` (no build state, no reports/);
(d) no-op      ``make figures`` with nothing changed;
(e) one edit   one data file changed: which reports rerun, against those that read it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from measure import BIN, REPO, BenchError, Project, Stats, fmt_s, log, run, tree_hashes

EDIT_FILE = "ohchr_mine_share.csv"  # a small table only one notebook reads
RAN = re.compile(r"^\[(\d+)/(\d+)\] (ok|FAILED)\s+(\S+)(?: \(([\d.]+) s\))?", re.M)


@dataclass
class Way:
    """One way of running the reports, over the repetitions."""

    label: str
    wall: Stats = field(default_factory=Stats)
    cpu: Stats = field(default_factory=Stats)
    per_report: dict[str, Stats] = field(default_factory=dict)  # report id -> its own seconds
    identical: list[bool] = field(default_factory=list)  # figures byte for byte the committed ones

    def note(self, seconds: float, cpu: float, by_report: dict[str, float] | None = None) -> None:
        self.wall.add(seconds)
        self.cpu.add(cpu)
        for report_id, value in (by_report or {}).items():
            self.per_report.setdefault(report_id, Stats()).add(value)


@dataclass
class BuildResults:
    """(a)–(e), with what (e) was expected to rerun and what it reran."""

    command: str
    floor: Way = field(default_factory=lambda: Way("(a) plain scripts"))
    papermill: Way = field(default_factory=lambda: Way("(b) papermill CLI"))
    cold: Way = field(default_factory=lambda: Way("(c) make figures, cold"))
    noop: Way = field(default_factory=lambda: Way("(d) make figures, no-op"))
    edit: Way = field(default_factory=lambda: Way("(e) one data file changed"))
    script_interpreter: str = "python"
    edit_file: str = EDIT_FILE
    reads: dict[str, list[str]] = field(default_factory=dict)  # report -> data files it recorded reading
    expected: list[str] = field(default_factory=list)  # reports that read the edited file
    reran: list[list[str]] = field(default_factory=list)  # reports (e) reran, per repetition

    @property
    def ways(self) -> tuple[Way, ...]:
        return (self.floor, self.papermill, self.cold, self.noop, self.edit)

    @property
    def reran_exactly(self) -> bool:
        return bool(self.expected) and all(r == self.expected for r in self.reran)


def build_command(via: str) -> list[str]:
    """The command `make figures` runs (through make itself unless --via direct)."""
    if via == "make":
        # -o: never remake the environment stamp in the middle of a benchmark
        return ["make", "--no-print-directory", "-C", str(REPO), "-o", ".venv/.installed", "figures"]
    return [str(BIN / "workbook"), "build"]


# ---- (a) plain scripts ----------------------------------------------------------------------------


def script_for(report, notebooks: Path, output_dir: Path) -> tuple[str, str]:
    """The report's notebook as a Python script with its parameters injected; returns (source, interpreter)."""
    import nbformat
    from nbconvert import PythonExporter

    nb = nbformat.read(notebooks / f"{report.notebook}.ipynb", as_version=4)
    params = {**report.parameters, "output_dir": str(output_dir)}
    injected = "# Parameters injected by the benchmark (as papermill would)\n" + "".join(
        f"{name} = {value!r}\n" for name, value in params.items()
    )
    where = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), -1)
    nb.cells.insert(where + 1, nbformat.v4.new_code_cell(injected))
    source, _ = PythonExporter().from_notebook_node(nb)
    # A line that needs IPython (magics, get_ipython) would need the ipython interpreter; the
    # notebooks have none (display() prints outside IPython), so plain python runs them.
    interpreter = "ipython" if "get_ipython(" in source else "python"
    return source, interpreter


def run_scripts(project: Project, rep: int, way: Way) -> str:
    """Time (a) once; returns the interpreter(s) used."""
    base = project.root / "a" / f"rep{rep}"
    jobs = []
    for report in project.reports:
        source, interpreter = script_for(report, project.root / "notebooks", base / "out" / report.id)
        path = base / "scripts" / f"{report.id}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        jobs.append((report.id, [str(BIN / interpreter), str(path)]))
    env = {**project.env, "MPLBACKEND": "Agg"}
    per, cpu, start = {}, 0.0, time.perf_counter()
    for report_id, cmd in jobs:
        ran = run(cmd, env=env, cwd=project.root / "notebooks", log_file=project.logs / "a.log")
        per[report_id] = ran.seconds
        cpu += ran.cpu
    way.note(time.perf_counter() - start, cpu, per)
    way.identical.append(project.same_figures(base / "out"))
    return ", ".join(sorted({Path(c[0]).name for _, c in jobs}))


# ---- (b) the papermill command line ---------------------------------------------------------------


def run_papermill(project: Project, rep: int, way: Way) -> None:
    base = project.root / "b" / f"rep{rep}"
    base.mkdir(parents=True)
    per, cpu, start = {}, 0.0, time.perf_counter()
    for report in project.reports:
        notebook = project.root / "notebooks" / f"{report.notebook}.ipynb"
        cmd = [str(BIN / "papermill"), str(notebook), str(base / f"{report.id}.ipynb"), "-k", "python3"]
        cmd += ["--cwd", str(project.root / "notebooks"), "--no-progress-bar"]
        for name, value in {**report.parameters, "output_dir": str(base / "out" / report.id)}.items():
            cmd += ["-p", name, str(value)]  # papermill reads True/False/ints back as such
        ran = run(cmd, env=project.env, log_file=project.logs / "b.log")
        per[report.id] = ran.seconds
        cpu += ran.cpu
    way.note(time.perf_counter() - start, cpu, per)
    way.identical.append(project.same_figures(base / "out"))


# ---- (c), (d), (e) the build ----------------------------------------------------------------------


def run_build(project: Project, via: str, label: str) -> tuple[float, float, dict[str, float], str]:
    """Run the build; returns (wall s, CPU s, {report it built: the runner's seconds for it}, output)."""
    ran = run(build_command(via), env=project.env, cwd=REPO, log_file=project.logs / f"{label}.log")
    built = {m.group(4): float(m.group(5) or "nan") for m in RAN.finditer(ran.output) if m.group(3) == "ok"}
    return ran.seconds, ran.cpu, built, ran.output


def edit_data_file(path: Path, stamp: str) -> None:
    """Change one note cell (the last row's) so the file's content, and hash, changes; the table stays valid."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    header = [c.strip() for c in rows[0]]
    column = header.index("note") if "note" in header else len(header) - 1
    last = max(i for i, r in enumerate(rows) if any(c.strip() for c in r))
    rows[last][column] = f"Benchmark edit {stamp}."
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def data_read_by(project: Project) -> dict[str, list[str]]:
    """Report id -> data files its executed notebook recorded reading (metadata casualty_workbook.data)."""
    out = {}
    for report in project.reports:
        nb = json.loads((project.root / "reports" / f"{report.id}.ipynb").read_text())
        out[report.id] = sorted(nb.get("metadata", {}).get("casualty_workbook", {}).get("data", {}))
    return out


def measure_build(project: Project, *, repeat: int, via: str, edit_file: str) -> BuildResults:
    import shlex

    results = BuildResults(command=shlex.join(build_command(via)), edit_file=edit_file)
    for rep in range(1, repeat + 1):
        log(f"build, repetition {rep} of {repeat}")
        results.script_interpreter = run_scripts(project, rep, results.floor)
        log(f"  (a) plain scripts, one after another:  {fmt_s(results.floor.wall.values[-1])}")
        run_papermill(project, rep, results.papermill)
        log(f"  (b) papermill CLI, one after another:   {fmt_s(results.papermill.wall.values[-1])}")
        project.clean()
        seconds, cpu, built, out = run_build(project, via, "c")
        if sorted(built) != sorted(project.report_ids):
            raise BenchError(f"(c) a cold build ran {sorted(built)}, not every report:\n{out}")
        results.cold.note(seconds, cpu, built)
        results.cold.identical.append(tree_hashes(project.root / "figures") == project.figures_at_start)
        log(f"  (c) make figures after make clean:     {fmt_s(seconds)}")
    for _ in range(repeat):
        seconds, cpu, built, out = run_build(project, via, "d")
        if built or "up to date" not in out:
            raise BenchError(f"(d) a build with nothing changed rebuilt {sorted(built)}:\n{out}")
        results.noop.note(seconds, cpu)
    log(f"  (d) make figures, nothing changed:     {results.noop.wall.seconds()}")
    results.reads = data_read_by(project)
    results.expected = sorted(r for r, files in results.reads.items() if edit_file in files)
    for rep in range(1, repeat + 1):
        edit_data_file(project.root / "data" / edit_file, f"{rep} at {time.time_ns()}")
        seconds, cpu, built, _ = run_build(project, via, "e")
        results.edit.note(seconds, cpu)
        results.reran.append(sorted(built))
        log(f"  (e) after editing {edit_file}: {fmt_s(seconds)}, reran {sorted(built)} (expected {results.expected})")
    return results
