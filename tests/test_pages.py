"""Report pages and the index render for a reader: markup kept, nothing unsafe, nothing internal, offline."""

from __future__ import annotations

import re

import pytest
from conftest import REPO, run_cli_here, tree_digest

from casualty_workbook.publish import drift
from casualty_workbook.publish.pages import markdown_html, sanitize

# Anything a browser would fetch by itself: a src, a stylesheet link, a CSS url() or an import.
_FETCHED = re.compile(
    r"""(?:\bsrc\s*=\s*["']?|<link[^>]+href\s*=\s*["']?|url\(\s*["']?|import\s*\(?\s*["'])(https?:)?//""", re.I
)


def test_sanitising_keeps_markup_and_removes_scripts_styles_handlers_and_remote_images():
    dirty = (
        '<h1>Title</h1><p onclick="steal()">text</p><style>.x { color: red }</style>'
        "<script>alert(1)</script><table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
        '<img src="https://example.org/pixel.png"><a href="javascript:alert(1)">link</a>'
    )
    clean = sanitize(dirty)
    assert "<h1>Title</h1>" in clean and "<p>text</p>" in clean
    assert "<thead>" in clean and "<th>a</th>" in clean and "<td>1</td>" in clean
    for gone in ("onclick", "<style", "color: red", "<script", "alert(1)", "<img", "example.org", "javascript:"):
        assert gone not in clean, gone


def test_markdown_becomes_headings_and_paragraphs_not_text():
    rendered = markdown_html("# An event\n\nSome **bold** text.\n\n## Part\n\n<script>x()</script>")
    assert "<h1>An event</h1>" in rendered and "<h2>Part</h2>" in rendered
    assert "<strong>bold</strong>" in rendered and "&lt;h1" not in rendered and "<script" not in rendered


def test_a_figure_that_changed_shows_its_changed_numbers_before_the_images():
    committed = {"r/f.csv": b"panel,id,best,status\r\n1,C1,15,claimed\r\n1,C2,20,claimed\r\n", "r/f.png": b"a"}
    regenerated = {"r/f.csv": b"panel,id,best,status\r\n1,C1,16,claimed\r\n1,C3,9,claimed\r\n", "r/f.png": b"b"}
    message = drift.format_drift(drift.compare_files(committed, regenerated))
    assert "row C1: best: '15' → '16'" in message
    assert "row C3 added" in message and "row C2 removed" in message
    assert message.index("row C1") < message.index("Images that differ: r/f.png")
    assert drift.compare_files(committed, committed) == []


@pytest.mark.slow
def test_pages_show_no_build_internals_and_fetch_nothing(built_project):
    root, result = built_project
    assert result.returncode == 0, result.stderr
    pages = sorted((root / "reports").glob("*.html"))
    assert len(pages) >= 2
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for internal in (".build-state", "PosixPath", "staging/", "&lt;h1", "&lt;style", "&lt;p&gt;"):
            assert internal not in text, f"{page.name} shows {internal!r}"
        assert not _FETCHED.search(text), f"{page.name} loads something from the network: {_FETCHED.search(text)}"
        assert "../figures/" not in text, f"{page.name} points outside the reports folder"


@pytest.mark.slow
def test_reports_folder_alone_holds_every_figure_and_its_data(built_project):
    root, _ = built_project
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    for png in sorted((root / "figures").rglob("*.png")):
        report_id = png.parent.name
        for suffix in (".png", ".svg", ".csv"):
            copy = root / "reports" / report_id / png.with_suffix(suffix).name
            assert copy.read_bytes() == png.with_suffix(suffix).read_bytes(), copy
        assert f'src="{report_id}/{png.name}"' in index
        page = (root / "reports" / f"{report_id}.html").read_text(encoding="utf-8")
        assert f'href="{report_id}/{png.stem}.csv"' in page and f'href="{report_id}/{png.stem}.svg"' in page


def test_each_saved_figure_shows_in_the_notebook_as_the_file_saved_and_once_on_its_page(built_project):
    """The executed notebook shows a saved figure as the PNG written (not a second drawing of it), and
    the page shows the figure block alone in its place: no inline image beside it."""
    import base64

    import nbformat

    from casualty_workbook.charts.saving import FIGURE_MIME

    root, result = built_project
    assert result.returncode == 0, result.stderr
    seen = 0
    for executed in sorted((root / "reports").glob("*.ipynb")):
        report_id = executed.stem
        nb = nbformat.read(executed, as_version=4)
        for cell in nb.cells:
            outputs = [o.get("data", {}) for o in cell.get("outputs", []) if "data" in o]
            saved = [d for d in outputs if FIGURE_MIME in d]
            for data in saved:
                name = data[FIGURE_MIME]["name"]
                png = root / "reports" / report_id / f"{name}.png"
                assert base64.b64decode(data["image/png"]) == png.read_bytes(), f"{report_id}: {name}"
                seen += 1
            if saved:  # the figure was closed once saved: the backend drew no second image of it
                assert sum("image/png" in d for d in outputs) == len(saved), f"{report_id}: {cell.source[:60]}"
        page = (root / "reports" / f"{report_id}.html").read_text(encoding="utf-8")
        assert "data:image/png" not in page, f"{report_id}.html shows an inline image beside its figure blocks"
    assert seen >= 5


@pytest.mark.slow
def test_the_same_inputs_give_byte_identical_pages(built_copy):
    before = {
        name: digest
        for name, digest in tree_digest(built_copy / "reports").items()
        if name.endswith(".html") and "/" not in name
    }
    result = run_cli_here(built_copy, "build", "--force", "--only", "context", "--only", "kharkiv_front")
    assert result.returncode == 0, result.stderr
    after = {
        name: digest
        for name, digest in tree_digest(built_copy / "reports").items()
        if name.endswith(".html") and "/" not in name
    }
    assert after == before


@pytest.mark.slow
def test_changing_one_value_in_the_data_shows_in_the_drift_message(built_copy):
    places = built_copy / "data" / "places.csv"
    places.write_text(places.read_text(encoding="utf-8").replace("50.2092", "50.3092"), encoding="utf-8")
    result = run_cli_here(built_copy, "build", "--only", "kharkiv_front")
    assert result.returncode == 0, result.stderr
    message = drift.format_drift(drift.compare(REPO / "figures", built_copy / "figures"))
    assert "kharkiv_front/places" in message
    assert "row lyptsi: " in message and "latitude: '50.2092' → '50.3092'" in message
    assert message.index("latitude") < message.index("Images that differ")
    assert "kharkiv_front/places.png" in message


def _page_with_link(tmp_path, index_link: str | None) -> str:
    import nbformat

    from casualty_workbook.pipeline.catalogue import Report
    from casualty_workbook.publish.pages import render_report

    executed = tmp_path / "run.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A run")]), executed)
    report = Report("run", "provenance", "A run", {})
    return render_report(executed, report, {}, tmp_path, index_link=index_link).decode("utf-8")


def test_a_page_links_to_the_index_it_is_given_and_to_none_without_one(tmp_path):
    assert '<a href="../index.html">All reports</a>' in _page_with_link(tmp_path, "../index.html")
    page = _page_with_link(tmp_path, None)
    assert "All reports" not in page and "index.html" not in page


def test_an_analyst_s_run_links_to_the_build_s_index_only_when_it_exists(tmp_path):
    from casualty_workbook.core.paths import Layout
    from casualty_workbook.pipeline.custom_run import custom_layout

    layout = Layout(tmp_path, tmp_path / "figures", tmp_path / "reports")
    assert layout.index_link == "index.html", "the build's pages sit beside the index it writes"
    assert custom_layout(layout, None).index_link is None, "no index yet: no link to a missing page"
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "index.html").write_text("<html></html>")
    custom = custom_layout(layout, None)
    assert custom.reports == tmp_path / "reports" / "custom"
    assert (custom.reports / custom.index_link).resolve() == (tmp_path / "reports" / "index.html").resolve()


@pytest.mark.slow
def test_an_analyst_s_report_page_links_to_an_index_that_exists(built_copy):
    result = run_cli_here(built_copy, "report", "provenance", "status=claimed")
    assert result.returncode == 0, result.stderr
    [page] = (built_copy / "reports" / "custom").glob("provenance--*.html")
    [link] = re.findall(r'<a href="([^"]+)">All reports</a>', page.read_text(encoding="utf-8"))
    assert (page.parent / link).resolve() == (built_copy / "reports" / "index.html").resolve()
    assert (page.parent / link).is_file()


def test_the_build_reads_the_kernels_outputs_and_writes_pages_without_matplotlib():
    """Only the kernels draw: the build's coordinating process (planning, running, publishing the pages
    and the index) never imports matplotlib, which would cost every `workbook build` about half a second."""
    import subprocess
    import sys

    modules = (
        "casualty_workbook.cli",
        "casualty_workbook.pipeline.build",
        "casualty_workbook.pipeline.execute",
        "casualty_workbook.pipeline.publish_outputs",
        "casualty_workbook.pipeline.executors",
        "casualty_workbook.publish.pages",
        "casualty_workbook.publish.index_page",
        "casualty_workbook.data.loading",
    )
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\nprint('matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_table_library_is_written_once_and_every_page_loads_it_from_there(built_project):
    from casualty_workbook.publish.pages import shared_script, shared_script_name

    root, _ = built_project
    reports = root / "reports"
    script = reports / shared_script_name()
    assert script.read_bytes() == shared_script()
    pages = sorted(reports.glob("*.html"))
    with_tables = [p for p in pages if 'class="figure"' in p.read_text(encoding="utf-8")]
    assert len(with_tables) >= 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "injectModule(" not in text, f"{page.name} carries the table library itself"
        if page in with_tables:
            assert f'<script src="{shared_script_name()}"></script>' in text, page.name


def test_the_reports_folder_is_light(built_project):
    """Today's reports, their figures, data and executed notebooks: under 6.5 MB in all. (6 MB until the
    PNGs were written unhinted at zlib's default level, a third larger for a fifth of the CPU; each PNG
    is in reports/ twice, as a file and in its executed notebook.)"""
    root, _ = built_project
    size = sum(p.stat().st_size for p in (root / "reports").rglob("*") if p.is_file())
    assert size < 6_500_000, f"reports/ holds {size / 1e6:.1f} MB"


def test_the_builds_files_have_the_mode_the_users_umask_gives(built_project):
    """A web server running as another user can read the pages (0644 under umask 022, never 0600)."""
    import os
    import stat

    root, _ = built_project
    mask = os.umask(0o022)
    os.umask(mask)
    wanted = 0o666 & ~mask
    for folder in ("reports", "figures"):
        for path in (root / folder).rglob("*"):
            if path.is_file():
                assert stat.S_IMODE(path.stat().st_mode) == wanted, (path, oct(path.stat().st_mode))


def test_the_table_library_is_written_once_and_its_mode_mended(tmp_path):
    import os
    import stat

    from casualty_workbook.core.files import FILE_MODE
    from casualty_workbook.publish.pages import shared_script, write_shared_script

    path = write_shared_script(tmp_path)
    assert path.read_bytes() == shared_script() and stat.S_IMODE(path.stat().st_mode) == FILE_MODE
    before = path.stat().st_mtime_ns
    assert write_shared_script(tmp_path).stat().st_mtime_ns == before, "the same bytes are not written again"
    os.chmod(path, 0o600)  # as written before files took the user's umask
    write_shared_script(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE


def test_a_figures_sources_tab_lists_each_source_its_table_cites_once_with_what_the_table_says():
    """A cell may cite several sources (';'); each is listed once, by id, with its title, publisher, date and
    address, or the reason it has none; a source the table does not hold is still named by its id."""
    import pandas as pd

    from casualty_workbook.data.loading import load_table
    from casualty_workbook.publish.pages import SourceBook, _sources_of, reader_columns

    book = SourceBook.of(load_table("sources", REPO / "data"))
    table = pd.DataFrame({"source": ["dagens_2024; seed_report", "dagens_2024", "not_a_source", ""]})
    listed = _sources_of(table, book)
    assert [entry["id"] for entry in listed] == ["dagens_2024", "not_a_source", "seed_report"]
    dagens, unknown, seed = listed
    assert dagens == {
        "id": "dagens_2024",
        "title": "Death Toll Rises to 17 After Building Collapse in Belgorod",
        "publisher": "Dagens",
        "date": "14 May 2024",
        "url": "https://dagens.com/news/death-toll-rises-to-17-after-building-collapse-in-belgorod",
        "why_no_url": "",
    }
    assert seed["url"] == "" and seed["why_no_url"].startswith("The text as received names no outlet")
    assert seed["date"] == "13 May 2024"
    assert unknown == {"id": "not_a_source", "title": "", "publisher": "", "date": "", "url": "", "why_no_url": ""}
    shown = reader_columns(table, book.publishers)
    assert shown["Source"].tolist() == ["Dagens; No outlet named (report as received)", "Dagens", "not_a_source", ""]


def test_a_source_without_title_publisher_or_date_is_listed_with_empty_fields():
    import pandas as pd

    from casualty_workbook.publish.pages import SourceBook, _sources_of

    sources = pd.DataFrame(
        {
            "source_id": pd.array(["s1"], dtype="string"),
            "title": pd.array([pd.NA], dtype="string"),
            "publisher": pd.array([pd.NA], dtype="string"),
            "published": pd.to_datetime([None]),
            "url": pd.array([pd.NA], dtype="string"),
            "no_url_reason": pd.array(["not recorded"], dtype="string"),
        }
    )
    assert _sources_of(pd.DataFrame({"source": ["s1"]}), SourceBook.of(sources)) == [
        {"id": "s1", "title": "", "publisher": "", "date": "", "url": "", "why_no_url": "not recorded"}
    ]
