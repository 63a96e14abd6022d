"""`make lab`: JupyterLab from the project's environment, on localhost only, behind a token."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

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


def test_make_lab_serves_the_notebooks_on_localhost_with_a_token(tmp_path):
    port, token = _free_port(), "test-token-123"
    env = {
        **os.environ,
        "PORT": str(port),
        "TOKEN": token,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
    }
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
        assert first.strip() == f"JupyterLab: http://127.0.0.1:{port}/lab?token={token}"
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and _get(f"{base}/api/status?token={token}") != 200:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.5)
        assert _get(f"{base}/api/status?token={token}") == 200
        assert _get(f"{base}/api/contents") in (401, 403), "no token, no access"
        assert _get(f"{base}/api/contents?token=wrong") in (401, 403)
        assert _get(f"{base}/api/contents/event_report.ipynb?token={token}") == 200, "root is notebooks/"
        assert _listening_addresses(port) == {"127.0.0.1"}
        assert not _command_lines_holding(token), "the token must not be visible to other users in `ps`"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
