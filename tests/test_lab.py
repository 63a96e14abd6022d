"""`make lab`: JupyterLab from the project's environment, on localhost only, behind a token."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except urllib.error.URLError:  # not listening yet
        return 0


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def _command_lines_holding(secret: str) -> list[str]:
    """Command lines of running processes (what `ps` shows every user) that contain ``secret``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended meanwhile
            continue
        text = " ".join(w.decode(errors="replace") for w in words)
        if secret in text:
            found.append(text)
    return found


def test_make_lab_refuses_a_taken_port_before_printing_a_token(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "TOKEN": "never-shown-token", "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
        result = subprocess.run(
            ["make", "-s", "lab", f"PORT={port}"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
    assert result.returncode != 0
    assert f"error: port {port} on 127.0.0.1 is taken" in result.stderr
    assert "choose another port, e.g. PORT=9000 make lab" in result.stderr
    assert "never-shown-token" not in result.stdout + result.stderr and "JupyterLab: http" not in result.stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` running, once for the module: its process, address and token."""
    tmp_path = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), "test-token-123"
    env = {
        **os.environ,
        "PORT": str(port),
        "TOKEN": token,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
    }
    env.pop("MPLBACKEND", None)  # as in an analyst's shell: the kernels choose the inline backend
    process = subprocess.Popen(
        ["make", "-s", "lab", f"PORT={port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        first = process.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and _get(f"{base}/api/status?token={token}") != 200:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.25)
        yield SimpleNamespace(process=process, port=port, token=token, base=base, first_line=first)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_make_lab_serves_the_notebooks_on_localhost_with_a_token(lab):
    port, token, base = lab.port, lab.token, lab.base
    assert lab.first_line.strip() == f"JupyterLab: http://127.0.0.1:{port}/lab?token={token}"
    assert _get(f"{base}/api/status?token={token}") == 200
    assert _get(f"{base}/api/contents") in (401, 403), "no token, no access"
    assert _get(f"{base}/api/contents?token=wrong") in (401, 403)
    assert _get(f"{base}/api/contents/event_report.ipynb?token={token}") == 200, "root is notebooks/"
    assert _listening_addresses(port) == {"127.0.0.1"}
    assert not _command_lines_holding(token), "the token must not be visible to other users in `ps`"


def _api(lab, method: str, path: str) -> dict:
    request = urllib.request.Request(
        f"{lab.base}/api/{path}",
        data=b"{}" if method == "POST" else None,
        method=method,
        headers={"Authorization": f"token {lab.token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else {}


class _KernelChannels:
    """A kernel's messages through the Jupyter server's websocket, as the browser gets them."""

    def __init__(self, lab, kernel_id: str):
        from tornado.websocket import websocket_connect

        self.loop = asyncio.new_event_loop()
        url = f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels?token={lab.token}"
        self.ws = self.loop.run_until_complete(self._connect(websocket_connect, url))
        self.session = uuid.uuid4().hex

    def send(self, code: str) -> str:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "",
            "session": self.session,
            "version": "5.3",
        }
        content = {"code": code, "silent": False, "store_history": False}
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}
        self._in_loop(self.ws.write_message, json.dumps(message))
        return msg_id

    @staticmethod
    async def _connect(websocket_connect, url: str):
        return await websocket_connect(url)  # inside the running loop: its futures belong to it

    async def _read(self, timeout: float) -> str | None:
        return await asyncio.wait_for(self.ws.read_message(), timeout)

    def until_idle(self, msg_id: str, timeout: float = 60) -> list[dict]:
        """The IOPub messages answering ``msg_id``, up to the kernel going idle."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no idle status within {timeout} s: {got}"
            raw = self.loop.run_until_complete(self._read(remaining))
            assert raw is not None, "the kernel's websocket closed"
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id or message["channel"] != "iopub":
                continue
            got.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return got

    def run(self, code: str) -> list[dict]:
        return self.until_idle(self.send(code))

    def close(self) -> None:
        self._in_loop(self.ws.close)
        self.loop.close()

    def _in_loop(self, call, *args) -> None:
        """Tornado's websocket makes its futures on the running loop: call it inside ours."""

        async def inside():
            call(*args)

        self.loop.run_until_complete(inside())


def _printed(messages: list[dict]) -> str:
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")


def _kernel_of(lab, kernel_pid: int) -> tuple[str, bool]:
    """The command line of the kernel's parent, and whether that parent runs under `make lab`."""
    kernel = psutil.Process(kernel_pid)
    parent = kernel.parent()
    return " ".join(parent.cmdline()), any(p.pid == lab.process.pid for p in parent.parents())


def test_make_lab_forks_each_kernel_warm_and_it_behaves_as_a_fresh_one(lab):
    """The kernels come from the warm server (casualty_workbook.pipeline.lab_extension), draw inline, and can be
    interrupted, restarted and shut down as an ordinary kernel can."""
    kernel_id = _api(lab, "POST", "kernels")["id"]
    channels = _KernelChannels(lab, kernel_id)
    try:
        shown = channels.run(
            "import os, matplotlib.pyplot as plt\n"
            "print(os.getpid(), 'inline' in plt.get_backend())\n"
            "plt.plot([1, 2]); plt.show()"
        )
        pid, inline = _printed(shown).split()
        assert inline == "True", "figures are drawn inline, as in a kernel started the ordinary way"
        assert any("image/png" in m["content"].get("data", {}) for m in shown if m["msg_type"] == "display_data")
        parent, under_lab = _kernel_of(lab, int(pid))
        assert "casualty_workbook.pipeline.warm" in parent and under_lab, (
            "the kernel is forked from the lab's warm server"
        )

        # Interrupt: a long cell stops with KeyboardInterrupt, and the kernel lives on.
        sleeping = channels.send("import time; time.sleep(60)")
        deadline = time.monotonic() + 30
        while _api(lab, "GET", f"kernels/{kernel_id}")["execution_state"] != "busy":
            assert time.monotonic() < deadline, "the cell never started"
            time.sleep(0.05)
        time.sleep(0.2)
        _api(lab, "POST", f"kernels/{kernel_id}/interrupt")
        errors = [m["content"]["ename"] for m in channels.until_idle(sleeping, timeout=20) if m["msg_type"] == "error"]
        assert errors == ["KeyboardInterrupt"]
        assert _printed(channels.run("print(os.getpid())")).strip() == pid

        # Restart: a new process, forked warm again, with nothing of the old one's variables.
        _api(lab, "POST", f"kernels/{kernel_id}/restart")
        channels.close()
        channels = _KernelChannels(lab, kernel_id)
        after = _printed(channels.run("import os\nprint(os.getpid(), 'plt' in dir())")).split()
        assert after[0] != pid and after[1] == "False"
        assert "casualty_workbook.pipeline.warm" in _kernel_of(lab, int(after[0]))[0]
    finally:
        channels.close()
    _api(lab, "DELETE", f"kernels/{kernel_id}")
    assert not psutil.pid_exists(int(after[0])) or psutil.Process(int(after[0])).status() == psutil.STATUS_ZOMBIE


def test_lab_kernels_draw_inline_unless_the_analyst_chose_a_backend():
    from casualty_workbook.pipeline import lab_extension as lab

    assert lab.kernel_env({}) == {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    assert lab.kernel_env({"MPLBACKEND": "agg"}) == {}


@pytest.mark.parametrize("warm_kernels", ["1", "0"])
def test_the_lab_extension_forks_kernels_warm_unless_turned_off(monkeypatch, warm_kernels):
    from casualty_workbook.pipeline import lab_extension as lab
    from casualty_workbook.pipeline import warm

    started = []
    monkeypatch.setattr(warm.WarmKernels, "prestart", lambda self, env=None: started.append(env))
    monkeypatch.setattr(lab, "KERNELS", [])
    monkeypatch.setenv("WORKBOOK_WARM_KERNELS", warm_kernels)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    default = "jupyter_server.services.kernels.kernelmanager.ServerKernelManager"
    server = SimpleNamespace(kernel_manager=SimpleNamespace(kernel_manager_class=default), log=logging.getLogger("lab"))
    lab._load_jupyter_server_extension(server)
    if warm_kernels == "0" or not warm.supported():
        assert server.kernel_manager.kernel_manager_class == default and started == []
    else:
        assert (
            server.kernel_manager.kernel_manager_class
            == "casualty_workbook.pipeline.lab_extension.WarmServerKernelManager"
        )
        # started ahead with the environment a kernel will have, so the first kernel finds it ready
        assert [env["MPLBACKEND"] for env in started] == ["module://matplotlib_inline.backend_inline"]
        # the lab's warm kernels, for the Jupyter server's life: what its kernel managers fork from
        [kernels] = lab.KERNELS
        assert lab.WarmServerKernelManager(kernel_name="python3").kernels is kernels
        kernels.close()


def test_a_notebook_opened_in_the_lab_shows_explore_s_controls(lab):
    """The server marks the kernel of an open notebook (JPY_SESSION_NAME): explore draws its controls there,
    and only there (a batch run draws none: test_explore_batch.py)."""
    body = json.dumps({"path": "explore.ipynb", "type": "notebook", "name": "", "kernel": {"name": "python3"}})
    request = urllib.request.Request(
        f"{lab.base}/api/sessions",
        data=body.encode(),
        method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        session = json.loads(response.read())
    channels = _KernelChannels(lab, session["kernel"]["id"])
    try:
        shown = channels.run(
            "from casualty_workbook.charts import explore\nprint(explore.frontend_attached())\n"
            "explore.controls(event='belgorod_strike_2024', claimant='all', metric='killed', years=(2014, 2021))"
        )
    finally:
        channels.close()
        _api(lab, "DELETE", f"sessions/{session['id']}")
    assert _printed(shown).strip() == "True"
    views = [m for m in shown if "application/vnd.jupyter.widget-view+json" in m["content"].get("data", {})]
    assert views, "the controls are shown"
