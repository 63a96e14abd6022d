"""`make lab` reaches out to no one: no news feed (nor the prompt asking to fetch it), no update check, no
searches of the package index by the extension manager.

JupyterLab is started inside a network namespace with only loopback (networking denied); a client in the
same namespace asks the server's own API what it would fetch, and the server's log must name no failed
connection. Without network namespaces here, the same is asked of a server on the machine's network."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import REPO, network_isolation_problem

pytestmark = pytest.mark.slow

# Run inside the namespace: start `make lab`, wait for it, ask its API, stop it; print what it answered.
CLIENT = r"""
import json, os, signal, socket, subprocess, sys, time, urllib.request

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
token = "offline-test-token"
env = {**os.environ, "PORT": str(port), "TOKEN": token}
log = open(sys.argv[1], "w")
lab = subprocess.Popen(["make", "-s", "lab"], cwd=sys.argv[2], env=env, stdout=log, stderr=subprocess.STDOUT,
                       start_new_session=True)
base = f"http://127.0.0.1:{port}"

def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read().decode()

try:
    deadline = time.monotonic() + 120
    while True:
        try:
            get("/api/status")
            break
        except OSError:
            if time.monotonic() > deadline or lab.poll() is not None:
                raise SystemExit("JupyterLab did not start")
            time.sleep(0.25)
    answers = {
        "news": json.loads(get("/lab/api/news")),
        "update": json.loads(get("/lab/api/update")),
        "extensions": json.loads(get("/lab/api/extensions?query=widgets&page=1&per_page=10")),
        "page": get("/lab"),
    }
    time.sleep(1)  # anything the server would fetch on its own has had its chance to fail in the log
    print(json.dumps(answers))
finally:
    os.killpg(lab.pid, signal.SIGTERM)
    lab.wait(timeout=30)
"""


def test_make_lab_fetches_no_news_no_update_and_searches_no_index(tmp_path):
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
    }
    log = tmp_path / "lab.log"
    command = [sys.executable, "-c", CLIENT, str(log), str(REPO)]
    if network_isolation_problem() is None:
        command = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr + log.read_text()
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["news"]["news"] == [], "no news fetched"
    assert answers["update"]["notification"] is None, "no update check"
    listed = answers["extensions"]
    assert all(entry["installed"] for entry in listed), "only what is installed is listed, nothing found remotely"
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', answers["page"], re.S)
    config = json.loads(found.group(1))
    assert config["news"] == {"disabled": True}, "the frontend does not ask to fetch news"
    assert config["extensionManager"]["name"] == "read-only", "the extension manager searches no index"
    assert config["extensionManager"]["can_install"] is False
    server_log = log.read_text()
    for sign in ("Failed to fetch", "Name or service not known", "Temporary failure in name resolution"):
        assert sign not in server_log, server_log
