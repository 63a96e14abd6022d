"""An analyst's own run: one notebook with their parameters into reports/custom/, never over figures/."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from casualty_workbook.core.exceptions import BuildError, ParameterError
from casualty_workbook.core.guard import check_output_folder
from casualty_workbook.core.paths import Layout, default_data_dir, default_layout
from casualty_workbook.data.loading import load_all
from casualty_workbook.data.transaction import data_lock
from casualty_workbook.pipeline import parameters
from casualty_workbook.pipeline.build import progress, run_all
from casualty_workbook.pipeline.build_lock import release_scratch, run_lock
from casualty_workbook.pipeline.catalogue import Report
from casualty_workbook.pipeline.data_watch import InputsWatch
from casualty_workbook.pipeline.kernel_environment import prepare_environment


def run_custom_report(
    notebook: str, assignments: list[str], *, timeout: int | None = None, layout: Layout | None = None
) -> int:
    """Run one notebook with the analyst's parameters into reports/custom/<name>/, never over figures/."""
    layout = layout or default_layout()
    values = parameters.parse_assignments(notebook, assignments)
    if not (layout.notebooks / f"{notebook}.ipynb").is_file():
        raise ParameterError(f"notebook {notebook!r} not found in {layout.notebooks}")
    has_output_dir = "output_dir" in values
    output_dir = _custom_output_dir(values.pop("output_dir", None), layout)
    data_dir = default_data_dir().resolve()
    tables = load_all(data_dir)
    parameters.check(notebook, values, where=f"notebook {notebook}", tables=tables)
    slug = "-".join(f"{k}={v}" for k, v in sorted(values.items())) or "defaults"
    name = custom_report_name(notebook, slug)
    if has_output_dir and output_dir is None:
        values["output_dir"] = None  # figures shown in the report only, saved nowhere
    report = Report(name, notebook, f"{notebook} ({slug})", values)
    custom = custom_layout(layout, output_dir)
    prepare_environment(data_dir)
    progress(f"Running {notebook} with {slug} …")
    # Its own scratch folder (a build may run beside it); no import and no clean meanwhile.
    with run_lock(layout, what="report"), data_lock(data_dir, exclusive=False, what="report"):
        try:
            outcome = run_all(
                [report], custom, 1, timeout, watch=InputsWatch(data_dir, layout.figures, layout.state_dir / "changed")
            )[0]
        finally:
            release_scratch(layout)
    if not outcome.ok:
        raise BuildError(
            f"{name}: {outcome.error}\n  executed notebook: {custom.reports / 'failed' / (name + '.ipynb')}"
        )
    if has_output_dir and output_dir is None:
        progress(f"Wrote {custom.reports / (name + '.html')} (output_dir=None: figures shown there, not saved)")
    else:
        progress(
            f"Wrote {custom.reports / (name + '.html')} and figures in "
            f"{custom.figures if custom.figures_flat else custom.figures / name}"
        )
    return 0


# Characters of a custom run's name: it names files (<name>.html, .<name>.html.XXXXXXXX.tmp) and a folder,
# and a file name holds 255 bytes; a longer name keeps its start and a hash of the whole.
MAX_NAME = 120


def custom_report_name(notebook: str, slug: str) -> str:
    """The file name of an analyst's run of ``notebook`` with the parameters ``slug`` (name=value-...)."""
    import hashlib

    name = f"{notebook}--{slug}".replace("/", "_").replace(" ", "_").replace("\0", "_")
    if len(name.encode("utf-8")) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    cut = name.encode("utf-8")[: MAX_NAME - 17].decode("utf-8", errors="ignore")
    return f"{cut}-{digest}"


def custom_layout(layout: Layout, output_dir: Path | None) -> Layout:
    """Where an analyst's run writes: reports/custom/, its figures in reports/custom/figures/ or ``output_dir``.

    No index is written there: the page's "All reports" link goes to the build's index when one
    exists, and is left out when none does.
    """
    reports = layout.reports / "custom"
    index = layout.reports / "index.html"
    return replace(
        layout,
        figures=output_dir or reports / "figures",
        reports=reports,
        figures_flat=output_dir is not None,
        index_link=Path(os.path.relpath(index, reports)).as_posix() if index.is_file() else None,
    )


def _custom_output_dir(value: str | None, layout: Layout) -> Path | None:
    """Where an analyst's ``output_dir=...`` puts the figures: any folder but data/, the committed figures/
    and the build's state (``guard``); a file already there that is not a regular file is refused when
    the figures are published."""
    if value is None:
        return None
    return check_output_folder(value, what="parameter output_dir", layout=layout, data_dir=default_data_dir())
