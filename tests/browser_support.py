"""Helpers for the real-browser end-to-end test (tests/test_browser.py).

Two halves:

* ``LabServer`` starts JupyterLab on 127.0.0.1, on a free port, with a random
  token, in a throw-away root folder and with throw-away Jupyter/IPython
  runtime, config and settings folders, so the test touches neither the
  committed notebooks nor the user's own Jupyter setup.
* ``NotebookPage`` drives one notebook in that JupyterLab through Playwright
  (headless Chromium from Debian's ``chromium`` package): open it, run all
  cells from the Run menu, wait until execution is over, and read back what
  the page shows (error outputs, rendered figures, cells that did not run).

Nothing here imports Playwright at module level, so the test module can skip
cleanly on a machine without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SCREENSHOT_DIR = REPO_ROOT / "reports" / "browser"

# Debian's chromium; WORKBOOK_CHROMIUM overrides it (and setting it to a path
# that does not exist shows the skip message on a machine that has chromium).
CHROMIUM_ENV = "WORKBOOK_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Set (to anything but 0) where a browser is expected, as in CI: a missing browser then fails
# the suite instead of skipping the browser tests unseen.
REQUIRE_ENV = "WORKBOOK_REQUIRE_BROWSER"

# Flags that work for Debian's chromium as root in a container. Playwright adds
# its own (a fresh temporary --user-data-dir among them) on top of these.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SERVER_START_TIMEOUT = 60.0  # seconds for /api/status to answer
KERNEL_IDLE_TIMEOUT = 60.0  # seconds for a fresh kernel to become idle
# seconds for "Run All Cells" to finish, per notebook
RUN_ALL_TIMEOUT = float(os.environ.get("WORKBOOK_BROWSER_TIMEOUT") or 180)

# JupyterLab user settings written into the throw-away settings folder:
# render every cell (no virtual scrolling, so every output is in the DOM and
# in the screenshot), no blank page after the last cell, and never ask about
# or fetch Jupyter news.
LAB_USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "scrollPastEnd": False,
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


# --------------------------------------------------------------------------
# availability


def chromium_path() -> str:
    return os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM


def browser_unavailable_reason() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    path = chromium_path()
    if not Path(path).is_file():
        how = (
            f"(set {CHROMIUM_ENV} to another chromium)"
            if os.environ.get(CHROMIUM_ENV)
            else "(install Debian's chromium package: apt-get install chromium)"
        )
        return f"browser test skipped: {path} not found {how}"
    if not os.access(path, os.X_OK):
        return f"browser test skipped: {path} is not executable"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"browser test skipped: the playwright Python package is not installed ({exc}); pip install playwright"
    return None


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def skip_unless_available() -> None:
    """Skip the calling test module where no browser can run; fail it where one is required."""
    import pytest

    reason = browser_unavailable_reason()
    if reason is None:
        return
    if browser_required():
        pytest.fail(f"{REQUIRE_ENV} is set, but the " + reason.replace("skipped", "cannot run"), pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def launch_chromium(playwright):
    """Launch Debian's chromium, headless, through Playwright."""
    return playwright.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        args=list(CHROMIUM_ARGS),
    )


# --------------------------------------------------------------------------
# notebooks


def committed_notebooks() -> list[Path]:
    """The notebooks to drive: notebooks/*.ipynb, sorted by name."""
    return sorted(p for p in NOTEBOOKS_DIR.glob("*.ipynb") if p.is_file())


def copy_notebooks(dest: Path) -> None:
    """Copy notebooks/ into ``dest`` so executed notebooks never overwrite the
    committed ones (JupyterLab autosaves). Checkpoints are left behind."""
    if NOTEBOOKS_DIR.is_dir():
        shutil.copytree(
            NOTEBOOKS_DIR,
            dest,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    dest.mkdir(parents=True, exist_ok=True)


def write_notebook(path: Path, cells: list[tuple[str, str, list[str]]]) -> Path:
    """Write a small notebook: ``cells`` is a list of (cell_type, source, tags)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for cell_type, source, tags in cells:
        cell = nbformat.v4.new_markdown_cell(source) if cell_type == "markdown" else nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------
# the JupyterLab server


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 10.0):
    """GET without following redirects: (status, headers, body)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket in LISTEN state on ``port``, read
    from /proc/net/tcp{,6} (Linux). Empty when /proc is not there."""
    found: set[str] = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        table = Path("/proc/net") / name
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            parts = line.split()
            if len(parts) < 4 or parts[3] != "0A":  # 0A = LISTEN
                continue
            addr_hex, port_hex = parts[1].split(":")
            if int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(addr_hex)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                # each 32-bit word is in host (little-endian) order
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@dataclass
class LabServer:
    """JupyterLab serving ``root_dir`` on 127.0.0.1 with a random token."""

    root_dir: Path
    work_dir: Path
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    _ending: list[threading.Thread] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, with_token: bool = True) -> str:
        url = f"{self.base_url}/{path.lstrip('/')}"
        if with_token:
            url += ("&" if "?" in url else "?") + f"token={self.token}"
        return url

    def command(self) -> list[str]:
        jupyter = Path(sys.executable).parent / "jupyter"
        head = [str(jupyter)] if jupyter.exists() else [sys.executable, "-m", "jupyter"]
        w = self.work_dir
        return (
            head
            + [
                "lab",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",  # fail rather than drift to another port
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.open_browser=False",
                f"--ServerApp.root_dir={self.root_dir}",
                f"--LabApp.user_settings_dir={w / 'lab-user-settings'}",
                f"--LabApp.workspaces_dir={w / 'lab-workspaces'}",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
                # window.jupyterapp: one page opens notebook after notebook with the commands the
                # file browser uses, instead of booting JupyterLab again for each (3-4 s each).
                "--LabApp.expose_app_in_browser=True",
                # As `make lab`: kernels forked from a warm server.
                "--ServerApp.jpserver_extensions",
                "casualty_workbook.pipeline.lab_extension=True",
                "--ServerApp.log_level=INFO",
            ]
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
        )

    def environment(self) -> dict[str, str]:
        w = self.work_dir
        env = dict(os.environ)
        # The kernel inherits this. A backend forced for the other tests
        # (MPLBACKEND=Agg) would stop ipykernel choosing the inline one, and
        # no figure would show in the page.
        env.pop("MPLBACKEND", None)
        # The notebooks are checked against the committed data: no WORKBOOK_*
        # override (a test's or the shell's) may point them elsewhere.
        for name in [k for k in env if k.startswith("WORKBOOK_")]:
            del env[name]
        env.update(
            JUPYTER_RUNTIME_DIR=str(w / "jupyter-runtime"),
            JUPYTER_CONFIG_DIR=str(w / "jupyter-config"),
            JUPYTER_DATA_DIR=str(w / "jupyter-data"),
            IPYTHONDIR=str(w / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _write_settings(self) -> None:
        settings = self.work_dir / "lab-user-settings"
        for rel, value in LAB_USER_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value, indent=2))
        for sub in ("lab-workspaces", "jupyter-runtime", "jupyter-config", "jupyter-data", "ipython"):
            (self.work_dir / sub).mkdir(parents=True, exist_ok=True)

    def start(self, timeout: float = SERVER_START_TIMEOUT) -> LabServer:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._write_settings()
        self.port = self.port or free_port()
        self.log_path = self.work_dir / "jupyterlab.log"
        log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the server process, closed in stop()
        try:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.root_dir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so stop() can end the kernels too
            )
        finally:
            log.close()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.proc.returncode} before answering:\n{self.log_tail()}"
                )
            try:
                status, _, _ = http_get(self.url("api/status"), timeout=2)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.25)
        raise TimeoutError(f"JupyterLab did not answer /api/status within {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def api(self, method: str, path: str, timeout: float = 10.0):
        """A REST call authenticated with the token header: (status, body)."""
        req = urllib.request.Request(
            self.url(path, with_token=False),
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read()
                return resp.status, json.loads(body) if body else None
        except urllib.error.HTTPError as err:
            return err.code, None

    def shutdown_kernels(self, *, wait: bool = True) -> None:
        """End every session and kernel there is now, so each notebook starts afresh and finished kernels
        do not pile up. With ``wait=False`` they are ended in the background (the next notebook need not
        wait for the last kernel to stop, and its own session is not among them); ``stop`` waits for that."""
        _status, sessions = self.api("GET", "api/sessions")
        _status, kernels = self.api("GET", "api/kernels")
        paths = [f"api/sessions/{s['id']}" for s in sessions or []] + [f"api/kernels/{k['id']}" for k in kernels or []]

        def end() -> None:
            for path in paths:
                self.api("DELETE", path)

        if wait:
            end()
        else:
            ending = threading.Thread(target=end, name="end-kernels", daemon=True)
            ending.start()
            self._ending.append(ending)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        """Terminate JupyterLab (and its kernels: its own process group)."""
        for ending in self._ending:
            ending.join(timeout=grace)
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            pgid = os.getpgid(proc.pid)
        except ProcessLookupError:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # kernels may outlive the server by a moment: make sure none is left
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


# --------------------------------------------------------------------------
# driving one notebook in the page

# JupyterLab renders an error output as text with the mime type
# application/vnd.jupyter.stderr, exactly as it renders a stream written to
# stderr (warnings, logging), so the DOM alone does not tell them apart. An
# error's text is IPython's traceback: it has "Traceback (most recent call
# last)" or, for a SyntaxError and the like, ends on "SomeError: message".
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)")
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit)\b(?::.*)?$")


def looks_like_error(text: str) -> bool:
    """True for text that is a Python exception/traceback, not a warning."""
    if _TRACEBACK.search(text):
        return True
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return bool(lines) and bool(_EXCEPTION_LINE.match(lines[-1]))


@dataclass
class CellReport:
    index: int
    prompt: str  # e.g. "[3]:", "[*]:", "[ ]:"
    source: str
    error_texts: list[str]
    images: int

    @property
    def ran(self) -> bool:
        return bool(re.search(r"\[\d+\]", self.prompt))


# One pass over the notebook's DOM, in the page.
_READ_CELLS_JS = r"""
(panel) => {
  const cells = Array.from(panel.querySelectorAll('.jp-Notebook .jp-Cell'));
  return cells.map((cell, index) => {
    const isCode = cell.classList.contains('jp-CodeCell');
    const prompt = cell.querySelector('.jp-InputArea-prompt');
    const lines = Array.from(cell.querySelectorAll('.jp-InputArea-editor .cm-line'));
    const stderr = Array.from(cell.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'));
    const imgs = Array.from(cell.querySelectorAll(
      '.jp-OutputArea .jp-RenderedImage img, .jp-OutputArea .jp-RenderedSVG svg'));
    const drawn = imgs.filter(el => {
      const r = el.getBoundingClientRect();
      const decoded = el.tagName.toLowerCase() !== 'img' || (el.complete && el.naturalWidth > 0);
      return decoded && r.width > 0 && r.height > 0;
    });
    return {
      index,
      isCode,
      prompt: prompt ? prompt.textContent.trim() : '',
      source: lines.map(l => l.textContent).join('\n'),
      stderr: stderr.map(el => el.textContent),
      images: drawn.length,
    };
  });
}
"""


def close_documents(page) -> None:
    """Close every document in the page's JupyterLab main area without the unsaved-changes
    dialog (the root is a throw-away copy: run notebooks need not be saved). Their kernels keep
    running: ``LabServer.shutdown_kernels`` ends them."""
    page.evaluate(
        """() => {
            if (window.jupyterapp === undefined) return;
            for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
                if (widget.context) widget.context.model.dirty = false;
                widget.dispose();
            }
        }"""
    )


def _next_frames(page, frames: int = 2) -> None:
    """Wait until the page has drawn ``frames`` more animation frames (layout done after a resize or a scroll)."""
    page.evaluate(
        """(n) => new Promise((done) => {
            const step = (left) => (left ? requestAnimationFrame(() => step(left - 1)) : done());
            step(n);
        })""",
        frames,
    )


class NotebookPage:
    """One notebook open in JupyterLab in a Playwright page."""

    def __init__(self, page, server: LabServer, name: str):
        self.page = page
        self.server = server
        self.name = name
        self.panel = None

    # -- opening -----------------------------------------------------------
    def open(self, timeout: float = KERNEL_IDLE_TIMEOUT) -> None:
        """Open the notebook in this page's JupyterLab, alone in the main area.

        The first notebook boots JupyterLab from an empty workspace (``?reset``); later ones
        are opened in the same page with ``docmanager:open``, the command behind a double click
        in the file browser, after every open document has been closed."""
        page = self.page
        if not self._lab_loaded():
            page.goto(self.server.url("lab?reset"), wait_until="domcontentloaded")
            page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout * 1000)
            page.evaluate("() => window.jupyterapp.restored")
        close_documents(page)
        page.evaluate(
            """async (path) => {
                await window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
                return true;
            }""",
            self.name,
        )
        # the notebook's panel: the visible (current) notebook document
        self.panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        self.panel.wait_for(state="visible", timeout=timeout * 1000)
        self.panel.locator(".jp-Notebook .jp-Cell").first.wait_for(state="attached", timeout=timeout * 1000)
        self.wait_kernel_idle(timeout)
        self.collapse_left_sidebar()

    def _lab_loaded(self) -> bool:
        """This page shows this server's JupyterLab, with nothing (a dialog) in the way."""
        if not self.page.url.startswith(self.server.base_url + "/lab"):
            return False
        return bool(
            self.page.evaluate("() => window.jupyterapp !== undefined && !document.querySelector('.jp-Dialog')")
        )

    def collapse_left_sidebar(self) -> None:
        """Hide the file browser, so the notebook gets the page's width (and
        the screenshot shows more of it). Cosmetic: ignored if it fails."""
        tab = self.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        try:
            if tab.count():
                tab.first.click(timeout=2_000)
        except Exception:  # noqa: BLE001 - layout only
            pass

    def kernel_state(self) -> tuple[str, str]:
        """(kernel name in the notebook toolbar, execution indicator status)."""
        return tuple(
            self.panel.evaluate(
                """(panel) => {
                    const name = panel.querySelector(
                        '.jp-Toolbar-kernelName, .jp-KernelName');
                    const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                    return [name ? name.textContent.trim() : '',
                            ind ? (ind.getAttribute('data-status') || '') : ''];
                }"""
            )
        )

    def kernel_status(self) -> str:
        """The kernel's status, "" while the notebook has no kernel yet (the
        execution indicator says "idle" before a kernel is even chosen)."""
        name, status = self.kernel_state()
        if not name or name == "No Kernel":
            return ""
        return status

    def wait_kernel_idle(self, timeout: float = KERNEL_IDLE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        state: tuple[str, str] = ("", "")
        settled = 0
        while time.monotonic() < deadline:
            self.dismiss_dialogs()
            state = self.kernel_state()
            if self.kernel_status() == "idle":
                settled += 1
                if settled >= 2:
                    return
            else:
                settled = 0
            time.sleep(0.25)
        raise TimeoutError(
            f"{self.name}: kernel not idle after {timeout:.0f} s (kernel {state[0]!r}, status {state[1]!r})"
        )

    def dismiss_dialogs(self) -> None:
        """Accept a kernel-selection dialog if JupyterLab shows one."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            button = dialog.locator(".jp-Dialog-footer button.jp-mod-accept").first
            if button.count():
                button.click()

    # -- running -----------------------------------------------------------
    def run_all(self, timeout: float = RUN_ALL_TIMEOUT) -> list[CellReport]:
        """Run → Run All Cells, then wait for execution to end."""
        # If the click lands before the notebook's kernel is attached,
        # JupyterLab quietly skips every cell; so if nothing has started after
        # a while and the kernel is idle, choose the menu item again.
        for _attempt in range(3):
            self._click_run_all()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if self._execution_started() or self.kernel_status() != "idle":
                    return self.wait_finished(timeout)
                time.sleep(0.25)
        raise TimeoutError(f"{self.name}: Run All Cells started nothing (3 tries, kernel {self.kernel_state()!r})")

    def _click_run_all(self) -> None:
        page = self.page
        # focus the notebook so the Run menu acts on it
        self.panel.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).first.click()
        # "Run All Cells" is runmenu:run-all in JupyterLab 4 (it dispatches
        # to notebook:run-all-cells for the notebook in focus)
        item = page.locator(
            '.lm-Menu-content li[data-command="runmenu:run-all"],'
            ' .lm-Menu-content li[data-command="notebook:run-all-cells"]'
        ).first
        item.wait_for(state="visible", timeout=10_000)
        item.click()

    def _execution_started(self) -> bool:
        cells = self.read_cells()
        return any(c.ran or "*" in c.prompt for c in cells) or not any(c.source.strip() for c in cells)

    def read_cells(self) -> list[CellReport]:
        raw = self.panel.evaluate(_READ_CELLS_JS)
        return [
            CellReport(
                index=c["index"],
                prompt=c["prompt"],
                source=c["source"],
                error_texts=[t for t in c["stderr"] if looks_like_error(t)],
                images=c["images"],
            )
            for c in raw
            if c["isCode"]
        ]

    def wait_finished(self, timeout: float = RUN_ALL_TIMEOUT) -> list[CellReport]:
        """Until the kernel is idle, no prompt shows [*] and the first
        non-empty code cell has run; twice in a row, to ride over the
        moment between two cells."""
        deadline = time.monotonic() + timeout
        settled = 0
        cells: list[CellReport] = []
        while time.monotonic() < deadline:
            cells = self.read_cells()
            code = [c for c in cells if c.source.strip()]
            busy = any("*" in c.prompt for c in cells)
            started = not code or code[0].ran
            if not busy and started and self.kernel_status() == "idle":
                settled += 1
                if settled >= 2:
                    return cells
            else:
                settled = 0
            time.sleep(0.25)  # queued cells show [*] until they run: two quiet looks 0.25 s apart are enough
        prompts = " ".join(c.prompt for c in cells)
        raise TimeoutError(
            f"{self.name}: execution not finished after {timeout:.0f} s "
            f"(kernel {self.kernel_status()!r}, prompts {prompts})"
        )

    # -- the artefact ------------------------------------------------------
    def screenshot(self, path: Path, max_height: int = 20_000) -> Path:
        """The whole notebook: grow the viewport to the notebook's height
        (the notebook scrolls inside the page, so a plain full-page
        screenshot would only show the first screen)."""
        page = self.page
        path.parent.mkdir(parents=True, exist_ok=True)
        height = self.panel.evaluate(
            """(panel) => {
                const scroller = panel.querySelector('.jp-WindowedPanel-outer')
                  || panel.querySelector('.jp-Notebook');
                const chrome = window.innerHeight - scroller.clientHeight;
                return Math.ceil(scroller.scrollHeight + Math.max(chrome, 0) + 40);
            }"""
        )
        size = page.viewport_size or {"width": 1280, "height": 900}
        page.set_viewport_size({"width": size["width"], "height": int(min(max(height, size["height"]), max_height))})
        _next_frames(page)  # Lumino lays the panels out again on the next animation frame
        # Run All leaves the last cell active and scrolled to: back to the top
        self.panel.evaluate(
            """(panel) => {
                const scroller = panel.querySelector('.jp-WindowedPanel-outer')
                  || panel.querySelector('.jp-Notebook');
                scroller.scrollTop = 0;
            }"""
        )
        _next_frames(page)
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(size)
        return path
