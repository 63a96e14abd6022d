"""End to end in a real browser: JupyterLab driven by Playwright in headless
Chromium (Debian's ``chromium`` package, /usr/bin/chromium).

One JupyterLab serves the whole module, on 127.0.0.1, a free port and a random
token, from a temporary copy of notebooks/ (JupyterLab autosaves executed
notebooks: the committed ones must stay as they are), and one page of it opens
each notebook in turn, alone and with a fresh kernel (JupyterLab boots once,
not once per notebook). Each notebook is opened, run with Run → Run All Cells,
and must end with no error output, every code
cell run and at least one figure drawn; a screenshot of the whole notebook is
saved to reports/browser/<notebook>.png either way.

Without Chromium (or the playwright package) the whole module is skipped with
the reason in pytest's summary, unless WORKBOOK_REQUIRE_BROWSER is set (as CI
does): then it fails. WORKBOOK_CHROMIUM=/path/to/chromium points it
at another binary; WORKBOOK_BROWSER_TIMEOUT sets the seconds a notebook may
run (180).
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from pathlib import Path

import pytest

try:
    import browser_support as bs
except ImportError:  # tests/ imported as a package, or importlib import mode
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import browser_support as bs

pytestmark = pytest.mark.browser

bs.skip_unless_available()

NOTEBOOKS = bs.committed_notebooks()
HARNESS = "_harness"  # folder of generated notebooks in the temporary root


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory) -> Path:
    """A temporary copy of notebooks/, plus generated notebooks that check
    the harness itself."""
    root = tmp_path_factory.mktemp("lab-root")
    bs.copy_notebooks(root)
    harness = root / HARNESS
    harness.mkdir()
    bs.write_notebook(
        harness / "draws.ipynb",
        [
            ("markdown", "# Harness check: draws a figure", []),
            ("code", "n_points = 2", ["parameters"]),
            (
                "code",
                "import matplotlib.pyplot as plt\nplt.plot(range(n_points))\nplt.show()",
                [],
            ),
            ("code", "", []),
            (
                "code",
                "import warnings\nwarnings.warn('a warning on stderr is not an error')\nprint('done')",
                [],
            ),
        ],
    )
    bs.write_notebook(
        harness / "raises.ipynb",
        [
            ("code", "divisor = 0", ["parameters"]),
            ("code", "1 / divisor", []),
            ("code", "print('never reached')", []),
        ],
    )
    return root


@pytest.fixture(scope="module")
def lab_server(lab_root, tmp_path_factory):
    server = bs.LabServer(root_dir=lab_root, work_dir=tmp_path_factory.mktemp("lab-work"))
    server.start()  # stops the process itself if it never answers
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = bs.launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab_page(browser, lab_server):
    """One JupyterLab page for the module: each notebook is opened in it after the last is closed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(lab_page, lab_server):
    try:
        yield lab_page
    finally:
        # each notebook starts alone, with a fresh kernel
        with contextlib.suppress(Exception):  # a page that failed is reloaded by the next open()
            bs.close_documents(lab_page)
        lab_server.shutdown_kernels(wait=False)


def run_notebook(page, lab_server, name: str, screenshot: Path | None = None):
    """Open ``name``, run all cells and return the cells' reports; the
    screenshot is taken even when opening or running fails."""
    notebook = bs.NotebookPage(page, lab_server, name)
    try:
        notebook.open()
        return notebook.run_all()
    except Exception as exc:
        raise AssertionError(f"{name}: {exc}\n--- JupyterLab log ---\n{lab_server.log_tail()}") from exc
    finally:
        if screenshot is not None and notebook.panel is not None:
            notebook.screenshot(screenshot)


def describe(cells) -> str:
    return "\n".join(
        f"  cell {c.index + 1} {c.prompt} {c.source.strip().splitlines()[0][:60] if c.source.strip() else '(empty)'}"
        for c in cells
    )


# --------------------------------------------------------------------------
# the server


def test_lab_listens_on_loopback_only_and_needs_the_token(lab_server):
    # no token: the API refuses, the UI sends you to the login page
    status, _, _ = bs.http_get(lab_server.url("api/contents", with_token=False))
    assert status in (401, 403), f"/api/contents without token answered {status}"
    status, headers, _ = bs.http_get(lab_server.url("lab", with_token=False))
    location = headers.get("Location", "")
    assert status == 403 or (status == 302 and "/login" in location), f"/lab without token answered {status} {location}"
    # a wrong token is no better
    status, _, _ = bs.http_get(
        lab_server.url("api/contents", with_token=False),
        headers={"Authorization": "token not-the-token"},
    )
    assert status in (401, 403), f"/api/contents with a wrong token answered {status}"

    # with the token (header or query): 200 and the copied notebooks
    status, _, body = bs.http_get(
        lab_server.url("api/contents", with_token=False),
        headers={"Authorization": f"token {lab_server.token}"},
    )
    assert status == 200
    names = {item["name"] for item in json.loads(body)["content"]}
    assert {p.name for p in NOTEBOOKS} <= names
    status, _, _ = bs.http_get(lab_server.url("lab"))
    assert status == 200

    # bound to 127.0.0.1 and nothing else (not 0.0.0.0, not ::)
    addresses = bs.listening_addresses(lab_server.port)
    if not addresses and not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp here to read the listening address from")
    assert addresses == {"127.0.0.1"}, f"port {lab_server.port} listens on {addresses}"


# --------------------------------------------------------------------------
# the harness on generated notebooks: it must see a figure, and an error


def test_harness_sees_a_figure_and_ignores_warnings(page, lab_server):
    cells = run_notebook(page, lab_server, f"{HARNESS}/draws.ipynb")
    assert [c.error_texts for c in cells if c.error_texts] == []
    assert sum(c.images for c in cells) == 1, describe(cells)
    assert all(c.ran for c in cells if c.source.strip()), describe(cells)
    assert not cells[2].ran, "an empty cell has no execution count"


def test_harness_detects_an_error_cell(page, lab_server):
    cells = run_notebook(page, lab_server, f"{HARNESS}/raises.ipynb")
    failing = [c for c in cells if c.error_texts]
    assert [c.index for c in failing] == [1], describe(cells)
    assert "ZeroDivisionError" in failing[0].error_texts[0]
    # Run All stops at the error: the cell after it never ran
    assert cells[0].ran and cells[1].ran and not cells[2].ran, describe(cells)


@pytest.mark.parametrize(
    "text, is_error",
    [
        (
            "----------\nZeroDivisionError      Traceback (most recent call last)\n"
            "Cell In[2], line 1\n----> 1 1/0\n\nZeroDivisionError: division by zero",
            True,
        ),
        ("  Cell In[1], line 1\n    1/\n      ^\nSyntaxError: invalid syntax", True),
        ("KeyboardInterrupt", True),
        ("pandera.errors.SchemaError: column 'x' not in dataframe", True),
        ("/tmp/ipykernel_1/1.py:1: UserWarning: careful\n  warnings.warn('careful')", False),
        ("INFO loading claims.csv\n", False),
        ("FutureWarning: the default will change", False),
    ],
    ids=[
        "traceback",
        "syntax-error",
        "interrupt",
        "qualified-name",
        "warning",
        "log-line",
        "warning-name",
    ],
)
def test_error_text_recognised(text, is_error):
    assert bs.looks_like_error(text) is is_error


# --------------------------------------------------------------------------
# the project's notebooks


@pytest.mark.parametrize(
    "notebook",
    NOTEBOOKS or [None],
    ids=[p.stem for p in NOTEBOOKS] or ["no-notebooks"],
)
def test_notebook_runs_in_browser(notebook, request):
    if notebook is None:
        pytest.fail(f"no notebooks found: {bs.NOTEBOOKS_DIR}/*.ipynb matched nothing")
    # asked for here, so the check above needs no server or browser
    lab_server = request.getfixturevalue("lab_server")
    page = request.getfixturevalue("page")
    shot = bs.SCREENSHOT_DIR / f"{notebook.stem}.png"
    cells = run_notebook(page, lab_server, notebook.name, screenshot=shot)

    errors = [f"cell {c.index + 1} {c.prompt}:\n{text}" for c in cells for text in c.error_texts]
    assert not errors, f"{notebook.name} shows {len(errors)} error output(s) (screenshot {shot}):\n" + "\n\n".join(
        errors
    )
    not_run = [c for c in cells if c.source.strip() and not c.ran]
    assert not not_run, f"{notebook.name}: code cells that did not run (screenshot {shot}):\n" + describe(not_run)
    assert sum(c.images for c in cells) >= 1, (
        f"{notebook.name}: no figure rendered in any output (screenshot {shot}):\n" + describe(cells)
    )
    assert shot.is_file() and shot.stat().st_size > 0


# --------------------------------------------------------------------------
# the report pages and the index, opened from disk as a reader would

_LOCAL = ("file:", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def reports_dir(built_project) -> Path:
    root, result = built_project
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "reports"


@pytest.fixture
def reader(browser):
    """A page with no network (offline), recording every request that is not for a local file."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if not request.url.startswith(_LOCAL) else None)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page, fetched, errors
    finally:
        context.close()


def _dataframes(executed: Path) -> int:
    """The DataFrames a report's notebook displayed (their HTML carries pandas' class)."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return sum(
        1
        for cell in nb["cells"]
        for output in cell.get("outputs", [])
        if 'class="dataframe"' in "".join(output.get("data", {}).get("text/html", ""))
    )


def test_report_page_renders_headings_and_tables_not_markup(reader, reports_dir):
    page, fetched, errors = reader
    page.goto((reports_dir / "event_report--belgorod_strike_2024.html").as_uri())
    page.wait_for_load_state("load")
    assert page.locator("main h1").count() >= 1, "the notebook's title is a heading"
    assert page.locator("main h2").count() >= 2, "its sections are headings"
    text = page.locator("body").inner_text()
    for shown in ("<h1", "<h2", "<p>", "<style", "PosixPath", ".build-state", "output_dir"):
        assert shown not in text, f"the page shows {shown!r} as text"
    outputs = page.locator("main .output.html")
    assert outputs.count() == _dataframes(reports_dir / "event_report--belgorod_strike_2024.ipynb") >= 1
    for i in range(outputs.count()):
        assert outputs.nth(i).locator("table th").count() >= 2, "each DataFrame is a table with headings"
    assert page.locator("main .code").first.is_hidden(), "code is hidden by default"
    page.locator("label[for=show-code]").click()
    assert page.locator("main .code").first.is_visible(), "and shown on request"
    assert fetched == [], f"the page loaded from the network: {fetched}"
    assert errors == [], errors


def test_report_page_data_tab_sorts_searches_and_offers_the_csv(reader, reports_dir):
    page, fetched, errors = reader
    page.goto((reports_dir / "event_report--belgorod_strike_2024.html").as_uri())
    figure = page.locator("section.figure").first
    assert figure.locator(".chart img").evaluate("img => img.complete && img.naturalWidth > 0"), "the chart shows"
    figure.locator("label", has_text="Data").click()
    table = figure.locator("table.dataTable")
    table.wait_for(state="visible")
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    # who said it, where, when and how far it was checked come first, then the number, in words
    assert headers[:5] == ["Who said it", "Source", "Date", "Status", "Figure as worded"], headers
    column = headers.index("Best") + 1
    cells = table.locator(f"tbody tr td:nth-child({column})")

    def numbers() -> list[float]:
        return [float(v) for v in cells.all_inner_texts() if v.strip()]

    from playwright.sync_api import expect

    heading = table.locator("thead th").nth(column - 1)
    heading.click()
    expect(heading).to_have_attribute("aria-sort", "ascending")
    ascending = numbers()
    assert len(ascending) >= 3 and ascending == sorted(ascending), ascending
    heading.click()
    expect(heading).to_have_attribute("aria-sort", "descending")
    descending = numbers()  # the first page of a longer table: its largest values, largest first
    assert descending == sorted(descending, reverse=True), "a second click sorts the other way, as numbers"
    assert descending[0] >= ascending[-1] and descending[-1] >= ascending[0], (ascending, descending)
    rows = table.locator("tbody tr").count()
    figure.locator("input[type=search]").fill("Sputnik")
    page.wait_for_function(
        "([id, n]) => document.querySelectorAll('#' + id + ' tbody tr').length < n",
        arg=[table.get_attribute("id"), rows],
    )
    assert all("sputnik" in row.lower() for row in table.locator("tbody tr").all_inner_texts())
    figure.locator("label", has_text="Sources").click()
    assert figure.locator(".sources li").count() >= 1
    href = figure.locator("a.csv").get_attribute("href")
    csv_file = reports_dir / href
    assert csv_file.is_file() and csv_file.suffix == ".csv", href
    assert csv_file.read_bytes() == (reports_dir.parent / "figures" / href).read_bytes()
    assert fetched == [], f"the page loaded from the network: {fetched}"
    assert errors == [], errors


def test_index_shows_every_thumbnail_from_the_reports_folder_and_filters_by_event(reader, reports_dir):
    page, fetched, errors = reader
    page.goto((reports_dir / "index.html").as_uri())
    page.wait_for_load_state("load")
    images = page.locator("img")
    pngs = sorted((reports_dir.parent / "figures").rglob("*.png"))
    assert images.count() == len(pngs)
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    for src in page.eval_on_selector_all("img", "imgs => imgs.map(i => i.getAttribute('src'))"):
        assert not src.startswith(".."), src
    sections = page.locator("section.report")
    total = sections.count()
    page.select_option("#event-filter", "belgorod_strike_2024")
    visible = [s for s in range(total) if sections.nth(s).is_visible()]
    assert 0 < len(visible) < total
    assert page.locator("#report-event_report--belgorod_strike_2024").is_visible()
    assert not page.locator("#report-ohchr_2014_2021").is_visible()
    page.select_option("#event-filter", "")
    assert all(sections.nth(s).is_visible() for s in range(total))
    assert fetched == [], f"the index loaded from the network: {fetched}"
    assert errors == [], errors


def test_no_page_names_the_build_state(reports_dir):
    for page in sorted(reports_dir.glob("*.html")):
        assert ".build-state" not in page.read_text(encoding="utf-8"), page.name


# --------------------------------------------------------------------------
# every page at a desktop's and a phone's width: what a reader sees

WIDTHS = (1280, 390)
READABLE_PX = 11  # the smallest chart text a page may show, in CSS pixels
_SVG_WIDTH = re.compile(r'<svg[^>]*\bwidth="([0-9.]+)pt"')
_SVG_FONT = re.compile(r"font-size:\s*([0-9.]+)px")


def _sideways(page) -> list[str]:
    """The page scrolls sideways when its content is wider than the window."""
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return [f"the page is {wide} px wide in a {window} px window: it scrolls sideways"] if wide > window else []


def _smallest_chart_text(page, folder: Path) -> list[tuple[str, float]]:
    """(chart, CSS px of its smallest text) for each chart shown: the smallest font of the chart's SVG
    (in points), scaled by the width the page shows its image at over the SVG's width in points."""
    found = []
    for image in page.locator("section.figure .chart img").all():
        src = image.get_attribute("src")
        svg = (folder / src).with_suffix(".svg").read_text(encoding="utf-8")
        points = float(_SVG_WIDTH.search(svg).group(1))
        smallest = min(float(v) for v in _SVG_FONT.findall(svg))
        shown = image.evaluate("img => img.getBoundingClientRect().width")
        found.append((src, smallest * shown / points))
    return found


def _small_chart_text(page, folder: Path) -> list[str]:
    return [
        f"{src}: its smallest text is {px:.1f} CSS px (under {READABLE_PX})"
        for src, px in _smallest_chart_text(page, folder)
        if px < READABLE_PX - 0.05
    ]


def _cut_charts(page) -> list[str]:
    """A chart wider than its frame (a phone) must scroll in that frame, keep its readable width and
    have its hint shown above it; a chart that fits must not show the hint; no frame may pass the window."""
    problems = []
    window = page.evaluate("window.innerWidth")
    for figure in page.locator("section.figure").all():
        name = figure.get_attribute("id")
        chart = figure.locator(".chart")
        if not chart.is_visible():
            continue
        frame = chart.locator(".frame")
        image, box, scroll, right, overflow = frame.evaluate(
            "f => [f.querySelector('img').getBoundingClientRect().width, f.clientWidth, f.scrollWidth,"
            " f.getBoundingClientRect().right, getComputedStyle(f).overflowX]"
        )
        if right > window + 0.5:
            problems.append(f"{name}: its frame ends at {right:.0f} px, past the {window} px window")
        hint = chart.locator(".hint")
        shown = hint.count() and hint.is_visible()
        if image > box + 1:
            if scroll <= box or overflow not in ("auto", "scroll"):
                problems.append(f"{name}: its chart ({image:.0f} px) is cut by its frame ({box} px) and cannot scroll")
            if not shown:
                problems.append(
                    f"{name}: its chart ({image:.0f} px) is wider than its frame ({box} px), and no hint says so"
                )
        elif shown:
            problems.append(f"{name}: the chart fits its frame, yet the hint says to swipe")
    return problems


def _raw_cells(page) -> list[str]:
    """'<NA>' shown anywhere, or a table with pandas' index column (row headings in its body)."""
    problems = []
    if "<NA>" in page.locator("body").inner_text():
        problems.append("the page shows <NA>")
    indexed = page.locator("main .output table tbody th").count()
    if indexed:
        problems.append(f"a table shows an index column ({indexed} row headings)")
    return problems


def _tabs_fail(page) -> list[str]:
    """Each figure's Data and Sources tabs show their panel and hide the chart; Chart brings it back."""
    problems = []
    for figure in page.locator("section.figure").all():
        name = figure.get_attribute("id")
        for tab, panel in (("Data", ".data"), ("Sources", ".sources"), ("Chart", ".chart")):
            figure.locator(".tabs > label", has_text=tab).click()
            if not figure.locator(f".panel{panel}").is_visible():
                problems.append(f"{name}: the {tab} tab does not show its panel")
            others = [p for p in (".chart", ".data", ".sources") if p != panel]
            if any(figure.locator(f".panel{p}").is_visible() for p in others):
                problems.append(f"{name}: the {tab} tab leaves another panel shown")
    return problems


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html"))


@pytest.fixture
def viewer(browser):
    """An offline page whose window width a test sets."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page, errors
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_reads_at_a_desktops_and_a_phones_width(viewer, reports_dir, width):
    page, errors = viewer
    page.set_viewport_size({"width": width, "height": 900})
    problems = []
    measured = 0
    for path in _pages(reports_dir):
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        found = _sideways(page) + _raw_cells(page)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        found += [f"with its details open, {p}" for p in _sideways(page)]  # the hashes and packages listed
        if path.name != "index.html":
            found += _small_chart_text(page, reports_dir) + _cut_charts(page) + _tabs_fail(page)
            measured += len(_smallest_chart_text(page, reports_dir))
            found += _sideways(page)  # a table opened in the Data tab must not widen the page either
        problems += [f"{path.name} at {width} px: {p}" for p in found]
    assert measured >= 10, "the charts of the pages were measured"
    assert not problems, "\n".join(problems)
    assert errors == [], errors


def test_the_reader_checks_can_fail(viewer, tmp_path):
    """A page that scrolls sideways, shrinks its chart's text, cuts its chart with no way to scroll and no
    hint, shows <NA> and an index column, and whose tabs do nothing, is caught by each check."""
    page, _errors = viewer
    page.set_viewport_size({"width": 390, "height": 900})
    (tmp_path / "r").mkdir()
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="600pt" height="300pt"><text style="font-size: 8px">a</text></svg>'
    (tmp_path / "r" / "c.svg").write_text(svg, encoding="utf-8")
    (tmp_path / "r" / "c.png").write_bytes(b"")
    (tmp_path / "bad.html").write_text(
        "<!doctype html><meta name=viewport content='width=device-width'><body><main>"
        "<p><code>3f9a0c1b6d2e4f5a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6</code></p>"
        "<div class='output'><table><tbody><tr><th>0</th><td>&lt;NA&gt;</td></tr></tbody></table></div>"
        "<section class='figure' id='figure-c'><div class='tabs'>"
        "<label>Chart</label><label>Data</label><label>Sources</label>"
        "<div class='panel chart'><div class='frame' style='overflow: hidden'>"
        "<img src='r/c.png' style='width: 600px; height: 10px'></div></div>"
        "<div class='panel data'>d</div><div class='panel sources'>s</div></div></section>"
        "</main></body>",
        encoding="utf-8",
    )
    page.goto((tmp_path / "bad.html").as_uri())
    assert _sideways(page)
    assert _raw_cells(page) == ["the page shows <NA>", "a table shows an index column (1 row headings)"]
    [(src, px)] = _smallest_chart_text(page, tmp_path)
    assert src == "r/c.png" and px == pytest.approx(8) and _small_chart_text(page, tmp_path)
    cut = " ".join(_cut_charts(page))
    assert "cannot scroll" in cut and "no hint says so" in cut
    assert _tabs_fail(page)
