"""Executors: warm kernels give each report a clean state of its own; the coordinator alone publishes."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from conftest import REPO, run_cli_here

from casualty_workbook.core.paths import Layout
from casualty_workbook.pipeline import executors, warm
from casualty_workbook.pipeline.catalogue import Report
from casualty_workbook.pipeline.executors import Execution, LocalExecutor, execute_report
from casualty_workbook.pipeline.publish_outputs import publish_execution

# A report that changes every kind of state a later report could see if kernels were reused.
POLLUTE = r"""
leaked_variable = "from an earlier report"
import os, sys, json
import numpy as np
import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns
import casualty_workbook as wb
from pathlib import Path
from casualty_workbook.data import provenance; from casualty_workbook.charts import style
mpl.rcParams["lines.linewidth"] = 9.0
plt.style.use("dark_background")
sns.set_theme(style="darkgrid", context="poster", palette="rocket")
wb.use_house_style()
mpl.rcParams["font.size"] = 31.0
style.STATUS_COLOURS["verified"] = "#000000"
claims = wb.load_claims()
claims.loc[claims.index[0], "value_best"] = 999_999  # a report's own copy of a table it loaded
from casualty_workbook.data import loading
for checked in loading.TABLE_CACHE.checked.values():  # and the tables checked ahead, changed in place
    if "value_best" in checked.frame:
        checked.frame.loc[checked.frame.index[0], "value_best"] = 999_999
provenance.record_read(Path("leaked.csv"), digest="0" * 64)
json.LEAKED = True
sys.modules["leaked_module"] = json
os.environ["LEAKED_ENV"] = "1"
np.random.seed(1)
os.chdir("/")
plt.figure()
"""

# What a report sees when it starts: printed as one JSON line.
FINGERPRINT = r"""
import hashlib, json, os, sys
warm_imports = "pandas" in sys.modules
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from casualty_workbook.data import read_log; from casualty_workbook.charts import style
state = {
    "leaked_variable": "leaked_variable" in globals(),
    "rcparams": hashlib.sha256(repr(sorted((k, repr(v)) for k, v in mpl.rcParams.items())).encode()).hexdigest(),
    "linewidth": mpl.rcParams["lines.linewidth"],
    "font_size": mpl.rcParams["font.size"],
    "verified_colour": style.STATUS_COLOURS["verified"],
    "reads": read_log.READ_LOG.paths(),
    "json_attr": hasattr(json, "LEAKED"),
    "leaked_module": "leaked_module" in sys.modules,
    "leaked_env": "LEAKED_ENV" in os.environ,
    "cwd": os.getcwd(),
    "sys_path": sys.path,
    "figures_open": plt.get_fignums(),
    "hash_seed": os.environ.get("PYTHONHASHSEED"),
    "str_hash": hash("casualty"),
    "backend": mpl.get_backend(),
}
import casualty_workbook as wb
state["first_claim_best"] = int(wb.load_claims().loc[0, "value_best"])  # as a fresh kernel loads it
stdin = os.readlink("/proc/self/fd/0") if os.path.exists("/proc/self/fd/0") else "n/a"
print("STATE " + json.dumps({"state": state, "warm_imports": warm_imports, "random": np.random.random(), "stdin": stdin}))
"""


def _notebook(path, source: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def probe_layout(tmp_path, monkeypatch):
    root = tmp_path / "probe"
    (root / "notebooks").mkdir(parents=True)
    _notebook(root / "notebooks" / "pollute.ipynb", POLLUTE)
    _notebook(root / "notebooks" / "fingerprint.ipynb", FINGERPRINT)
    monkeypatch.setenv("WORKBOOK_DATA_DIR", str(REPO / "data"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    yield Layout(root, root / "figures", root / "reports")


def _state(execution: Execution) -> dict:
    assert execution.ok, execution.error
    nb = nbformat.reads(execution.notebook.decode(), as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    return json.loads(text.split("STATE ", 1)[1])


@pytest.mark.slow
@pytest.mark.skipif(not warm.supported(), reason="fork servers need POSIX fork")
def test_no_state_leaks_from_one_report_to_the_next(probe_layout):
    """One kernel at a time through one warm server: a report sees what a fresh kernel sees, never the last one's state."""
    reports = [
        Report("pollute", "pollute", "pollute"),
        Report("first", "fingerprint", "first"),
        Report("pollute2", "pollute", "pollute again"),
        Report("second", "fingerprint", "second"),
    ]
    with LocalExecutor(1, probe_layout) as executor:
        done = {e.report_id: e for e in executor.run(reports, 120)}
    assert done["pollute"].ok and done["pollute2"].ok, done["pollute"].error + done["pollute2"].error
    first, second = _state(done["first"]), _state(done["second"])
    cold = _state(execute_report(Report("cold", "fingerprint", "cold"), probe_layout, 120, warm=False))

    assert first["warm_imports"] and second["warm_imports"], "the reports did not run in warm kernels"
    assert not cold["warm_imports"], "the reference kernel should be an ordinary one"
    for name, seen in (("first", first), ("second", second)):
        state = seen["state"]
        assert not state["leaked_variable"] and not state["json_attr"] and not state["leaked_module"], name
        assert not state["leaked_env"] and state["reads"] == [] and state["figures_open"] == [], name
        assert state["verified_colour"] == "#0072B2" and state["font_size"] != 31.0, name
        assert state["first_claim_best"] != 999_999, name
        # Everything a fresh kernel would see (rcParams, backend, cwd, sys.path, hash seed): the same.
        assert state == cold["state"], name
    # Each kernel draws its own random numbers, as a new process does (not the server's state).
    assert first["random"] != second["random"]
    # The server's pipes were replaced in place: the kernel's stdin is /dev/null, not a descriptor
    # number the kernel's own event loop took over (closing "stdin" then stalled replies).
    assert first["stdin"] in ("/dev/null", "n/a") and second["stdin"] in ("/dev/null", "n/a")


@pytest.mark.slow
@pytest.mark.skipif(not warm.supported(), reason="fork servers need POSIX fork")
def test_a_warm_kernel_goes_away_with_its_server(probe_layout, tmp_path):
    """A killed build (its server gone) leaves no kernel running on."""
    import asyncio
    import time

    import psutil

    async def start(kernels):
        km = warm.WarmKernelManager(kernels=kernels)
        await km.start_kernel(cwd=str(tmp_path))
        client = km.client()
        client.start_channels()
        await client.wait_for_ready(timeout=120)
        client.stop_channels()
        return km

    with warm.WarmKernels() as kernels:
        km = asyncio.run(start(kernels))
        assert isinstance(km.provisioner, warm.WarmProvisioner), "the kernel spec did not name the warm provisioner"
        pid = km.provisioner.pid
        server = kernels.server_for(dict(os.environ))
        assert psutil.Process(pid).ppid() == server.process.pid, "the kernel was not forked by the server"
        server.process.kill()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and warm._alive(pid):
            time.sleep(0.2)
        assert not warm._alive(pid), "the kernel outlived its server"


@pytest.mark.slow
@pytest.mark.skipif(not warm.supported(), reason="fork servers need POSIX fork")
def test_closing_the_warm_kernels_ends_their_servers_kernels_and_folder(tmp_path):
    """The warm kernels' lifetime is their owner's: closing them stops the servers, the kernels forked from
    them and removes their sockets' folder; a build leaves no server behind (it opens and closes its own)."""
    import asyncio
    import time

    async def start(kernels):
        km = warm.WarmKernelManager(kernels=kernels, kernel_env={"WORKBOOK_PROBE": "1"})
        await km.start_kernel(cwd=str(tmp_path))
        return km

    kernels = warm.WarmKernels()
    km = asyncio.run(start(kernels))
    pid, folder = km.provisioner.pid, kernels.runtime_dir
    assert km.connection_file.startswith(folder) and km.transport == "ipc"
    with open(f"/proc/{pid}/environ", "rb") as handle:
        assert b"WORKBOOK_PROBE=1" in handle.read().split(b"\0"), "the manager's kernel_env did not reach the kernel"
    servers = [kernels.server_for(dict(os.environ))]
    kernels.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and warm._alive(pid):
        time.sleep(0.1)
    assert not warm._alive(pid) and not servers[0].alive() and not os.path.exists(folder)
    with pytest.raises(RuntimeError):
        kernels.server_for(dict(os.environ))


def test_the_warm_provisioner_is_registered_and_named_only_for_this_interpreter_s_ipykernel():
    """jupyter_client finds the provisioner by its entry point; the managers' kernel spec names it for this
    interpreter's ipykernel only, and no private method of jupyter_client is overridden."""

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import KernelProvisionerFactory, LocalProvisioner

    assert warm.provisioner_installed(), "reinstall the package (make env): its entry point is missing"
    assert KernelProvisionerFactory.instance().get_provisioner_entries()[warm.PROVISIONER] == (
        "casualty_workbook.pipeline.warm:WarmProvisioner"
    )
    km = warm.WarmKernelManager(kernel_name="python3")
    assert km.kernel_spec.metadata["kernel_provisioner"]["provisioner_name"] == warm.PROVISIONER
    other = KernelSpec(argv=["/usr/bin/R", "--kernel", "{connection_file}"], display_name="R", language="R")

    class Specs(KernelSpecManager):  # a kernel of another language, as a kernel spec manager gives it
        def get_kernel_spec(self, kernel_name):
            return other

    km = warm.WarmKernelManager(kernel_name="ir", kernel_spec_manager=Specs())
    assert km.kernel_spec is other and "kernel_provisioner" not in other.metadata
    ours = [warm.WarmProvisioner, warm.WarmKernelSpec, warm.WarmKernelManager, warm.WorkbookKernelClient]
    bases = [LocalProvisioner, AsyncKernelManager, AsyncKernelClient, warm._ShellChannel.__mro__[1]]
    for cls in [*ours, warm._ShellChannel]:
        private = sorted(
            name
            for name, value in vars(cls).items()
            if callable(value) or isinstance(value, property | staticmethod | classmethod)
            if name.startswith("_") and not name.startswith("__") and any(hasattr(base, name) for base in bases)
        )
        assert private == [], f"{cls.__name__} overrides jupyter_client's private {private}"


def test_a_failed_execution_writes_only_the_failed_run(tmp_path):
    layout = Layout(tmp_path, tmp_path / "figures", tmp_path / "reports")
    report = Report("r", "nb", "R")
    outcome = publish_execution(report, layout, Execution("r", False, 1.0, notebook=b"{}", error="cell 3: boom"))
    assert not outcome.ok and outcome.error == "cell 3: boom"
    assert (tmp_path / "reports" / "failed" / "r.ipynb").read_bytes() == b"{}"
    assert not (tmp_path / "figures").exists()
    assert sorted(p.name for p in (tmp_path / "reports").rglob("*")) == ["failed", "r.ipynb"]


@pytest.mark.parametrize("name", ["../escape.png", "sub/dir.png", "..", "/abs.png"])
def test_a_file_name_from_a_worker_cannot_leave_the_report_folder(tmp_path, name):
    layout = Layout(tmp_path, tmp_path / "figures", tmp_path / "reports")
    nb = nbformat.writes(nbformat.v4.new_notebook()).encode()
    execution = Execution("r", True, 1.0, notebook=nb, files={"ok.png": b"png", name: b"x"}, record={"data": {}})
    outcome = publish_execution(Report("r", "nb", "R"), layout, execution)
    assert not outcome.ok and "file named" in outcome.error
    assert not (tmp_path / "figures").exists() and not (tmp_path / "escape.png").exists()


def test_scheduler_without_the_dask_executor_is_an_error(project):
    result = run_cli_here(project, "build", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.returncode == 2
    assert "--scheduler ADDRESS goes with --executor dask" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "reports").exists()


def test_an_unknown_executor_is_refused(project):
    result = run_cli_here(project, "build", "--executor", "spark")
    assert result.returncode == 2 and "invalid choice: 'spark'" in result.stderr


@pytest.mark.parametrize(("usable", "local", "dask"), [({0}, 2, 1), ({0, 1}, 3, 2), ({0, 2, 5, 7}, 5, 4)])
def test_by_default_a_build_runs_a_kernel_more_than_its_usable_cores_and_a_cluster_a_worker_per_core(
    monkeypatch, usable, local, dask
):
    """The cores this process may use, not the machine's (a container may allow two of its sixty-four)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(usable), raising=False)
    assert executors.usable_cores() == len(usable)
    assert (executors.default_jobs("local"), executors.default_jobs("dask")) == (local, dask)


def test_where_the_usable_cores_are_unknown_the_machine_s_count_is_used(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert executors.default_jobs("local") == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert executors.default_jobs("local") == 5


def test_the_no_op_build_imports_neither_dask_nor_the_kernel_machinery(built_copy):
    """Nothing stale: no distributed, papermill or jupyter_client import (the no-op build stays fast)."""
    import subprocess
    import sys

    from conftest import cli_env

    code = (
        "import sys; from casualty_workbook.cli import main; code = main(['build']); "
        "print(sorted(m for m in ('distributed', 'dask', 'papermill', 'jupyter_client', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=built_copy,
        env=cli_env(built_copy),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout and result.stdout.strip().endswith("[]"), result.stdout


def test_a_result_read_from_other_data_is_refused(tmp_path):
    from casualty_workbook.pipeline.executors import _check_data

    (tmp_path / "claims.csv").write_text("claim_id\nA1\n")
    good = Execution(
        "r", True, 1.0, record={"data": {"claims.csv": __import__("hashlib").sha256(b"claim_id\nA1\n").hexdigest()}}
    )
    assert _check_data(good, tmp_path) is good
    other = Execution("r", True, 1.0, record={"data": {"claims.csv": "0" * 64}}, worker="w1:42")
    refused = _check_data(other, tmp_path)
    assert not refused.ok and "w1:42" in refused.error and "claims.csv" in refused.error


def test_every_module_the_warm_server_imports_exists():
    """The server skips a module it cannot import (an optional one): a misspelt name would go unnoticed."""
    import importlib.util

    missing = [name for name in warm.WARM_MODULES if importlib.util.find_spec(name) is None]
    assert not missing, f"WARM_MODULES names modules this environment does not have: {missing}"


def test_a_task_lost_with_its_workers_is_told_apart_from_one_that_raised():
    from distributed import KilledWorker

    from casualty_workbook.pipeline.executors import _describe_task_failure

    lost = _describe_task_failure(KilledWorker("report-x", None, 3))
    assert "the worker running it died" in lost and "nothing of it was published" in lost
    raised = _describe_task_failure(OSError("disk full"))
    assert raised == "the task failed on its worker: OSError: disk full"


def test_a_dask_worker_starts_its_warm_server_as_it_starts(monkeypatch):
    """The build's LocalCluster preloads this module: dask_setup gives the worker warm kernels for its life (an
    extension: distributed closes it with the worker) and starts a server for the worker's environment."""
    import sys
    from types import SimpleNamespace

    from casualty_workbook.pipeline import executors

    started = []
    monkeypatch.setattr(warm, "enabled", lambda: True)
    monkeypatch.setattr(warm.WarmKernels, "prestart", lambda self, env=None: started.append(env))
    for name in ("MPLBACKEND", "SOURCE_DATE_EPOCH", "WORKBOOK_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)  # a worker started by hand, without the build's settings
    monkeypatch.setenv("PYTHONHASHSEED", "6640")  # what Dask's nanny gives every worker process
    worker = SimpleNamespace(extensions={})
    executors.dask_setup(worker=worker)
    kernels = worker.extensions[executors.WORKER_EXTENSION]
    assert isinstance(kernels, warm.WarmKernels) and callable(kernels.close)
    kernels.close()
    [env] = started
    # As the coordinator's kernels will have it, so that their start-up environment matches the server's.
    assert env["PYTHONHASHSEED"] == "0" and env["SOURCE_DATE_EPOCH"] == "0"
    assert env["MPLBACKEND"] == "module://matplotlib_inline.backend_inline" and env["WORKBOOK_DATA_DIR"]
    assert "papermill" in sys.modules and "nbclient" in sys.modules


def test_the_command_line_reads_notebooks_without_the_iri_parsers():
    """jsonschema's optional rfc3987_syntax builds parsers for a second on import; no notebook schema needs them."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from casualty_workbook.core.startup import skip_unused_imports\n"
        "skip_unused_imports()\n"
        "import nbformat, papermill\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nbformat.reads(nbformat.writes(nb), as_version=4))\n"
        "print(sys.modules.get('rfc3987_syntax'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "None"


def test_a_local_cluster_s_kernels_get_the_build_s_settings_and_its_workers_do_not_profile(monkeypatch, tmp_path):
    """A LocalCluster's nannies run in the coordinating process and, as they start each worker, write the
    worker's settings into this process's environment (distributed/nanny.py: PYTHONHASHSEED=6640 and
    thread counts). The kernels must get the build's settings, read before the cluster starts (else they
    also miss the warm server each worker started with the build's settings), and this process keeps its own."""
    distributed = pytest.importorskip("distributed")
    import dask

    from casualty_workbook.pipeline.executors import DaskExecutor

    profiled = []

    class NannyLikeCluster:
        def __init__(self, **kwargs):
            profiled.append(dask.config.get("distributed.worker.profile.enabled"))
            os.environ.update({"PYTHONHASHSEED": "6640", "OMP_NUM_THREADS": "1"})

        def close(self) -> None:
            pass

    class Client:
        def __init__(self, cluster):
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(distributed, "LocalCluster", NannyLikeCluster)
    monkeypatch.setattr(distributed, "Client", Client)
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with DaskExecutor(2, Layout(tmp_path, tmp_path / "figures", tmp_path / "reports")) as executor:
        assert executor.kernel_env["PYTHONHASHSEED"] == "0"
        assert os.environ["PYTHONHASHSEED"] == "0" and "OMP_NUM_THREADS" not in os.environ
    # The cluster's workers (configured from this process's settings as they start) do not profile themselves.
    assert profiled == [False]


def test_one_warm_server_serves_every_project_until_the_code_changes(monkeypatch):
    """A server is per interpreter settings and package code, not per project: builds inside one ``with
    WarmKernels():`` (another project, the same one later) fork from it; code changed since it started (a
    developer's edit) gets a new server, and the outdated one stops before the next build's kernels."""
    started, closed = [], []

    class Server:
        def __init__(self, env):
            started.append(self)

        def alive(self) -> bool:
            return self not in closed

        def close(self) -> None:
            closed.append(self)

    monkeypatch.setattr(warm, "ForkServer", Server)
    monkeypatch.setattr(warm, "enabled", lambda: True)
    settings = {"PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}
    with warm.WarmKernels() as kernels:
        assert warm.WarmKernels.current() is kernels
        first = kernels.server_for({**settings, "WORKBOOK_DATA_DIR": "/one/data", "WORKBOOK_ROOT": "/one"})
        assert kernels.server_for({**settings, "WORKBOOK_DATA_DIR": "/two/data", "WORKBOOK_ROOT": "/two"}) is first
        other_seed = kernels.server_for({**settings, "PYTHONHASHSEED": "1"})
        assert other_seed is not first, "a setting read as the interpreter starts needs a server of its own"
        kernels.prestart(settings)  # the code is unchanged: nothing is stopped or started
        assert closed == [] and len(started) == 2
        monkeypatch.setattr(warm, "_code_version", lambda: (("charts.py", 1, 2),))
        kernels.prestart(settings)
        assert sorted(map(id, closed)) == sorted([id(first), id(other_seed)]) and len(started) == 3
        assert kernels.server_for(settings) is started[-1]
    assert warm.WarmKernels.current() is not kernels and started[-1] in closed, "the block's end closes them"


def test_the_fork_server_s_malloc_keeps_freed_memory_unless_the_user_set_tunables():
    env = {"PATH": "/usr/bin"}
    assert warm._server_env(env) == {"PATH": "/usr/bin", "GLIBC_TUNABLES": warm.MALLOC_TUNABLES}
    assert env == {"PATH": "/usr/bin"}, "the kernels' own environment was changed"
    own = {"PATH": "/usr/bin", "GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    assert warm._server_env(own) == own
    assert "mmap_threshold=33554432" in warm.MALLOC_TUNABLES and "trim_threshold=" in warm.MALLOC_TUNABLES


@pytest.mark.skipif(not warm.supported(), reason="fork servers need POSIX fork")
def test_the_fork_server_starts_with_the_malloc_tunables(monkeypatch):
    started = []
    popen = warm.subprocess.Popen

    def recorded(*args, **kwargs):
        started.append(kwargs["env"])
        return popen(*args, **kwargs)

    monkeypatch.setattr(warm.subprocess, "Popen", recorded)
    env = {key: value for key, value in os.environ.items() if key != "GLIBC_TUNABLES"}
    server = warm.ForkServer(env)
    try:
        server._wait_ready()  # it started with them
        assert started[0]["GLIBC_TUNABLES"] == warm.MALLOC_TUNABLES
        assert "GLIBC_TUNABLES" not in server.env, "the kernels' environment would carry the server's tunables"
    finally:
        server.close()
