"""Warm kernels: every report's kernel is forked from a process that has already imported the heavy libraries.

A fresh kernel spends about half of a small report's time importing pandas, matplotlib,
seaborn, pandera and IPython. A *fork server* pays for those imports once per process that
builds (once per worker on a cluster; a process that builds again keeps it): it imports them,
then waits. For each report it forks a child that
becomes an ordinary IPython kernel (ipykernel, on the connection file the kernel manager
wrote), so papermill and nbclient drive it exactly as a kernel they started themselves.

Each report still gets a process of its own, fresh from a server that has never run a line of
report code: no variable, rcParams, style or module state can pass from one report to the
next. The child resets what a new interpreter would have fresh (signals, working directory,
environment, numpy's global random state) before the kernel starts. The server also checks
the data tables once, ahead, so that reports find them checked (``loading.check_ahead``): a
report gets its own copy of a table, never one another report changed, and a file changed
since is read afresh. It reads the installed packages' versions once too, which every report
records (``provenance.package_versions``).

How it plugs into Jupyter, through its public API only: ``WarmProvisioner`` is a kernel provisioner
(jupyter_client's extension point for how a kernel process starts), registered under the entry
point group ``jupyter_client.kernel_provisioners`` (pyproject.toml) and named in the kernel spec
of the managers here (``WarmKernelSpec``). It forks the kernel where it can and otherwise starts
it as jupyter_client's own ``LocalProvisioner`` does.

The servers belong to one ``WarmKernels`` object, whose lifetime its owner states: a build opens
one for its run and closes it at the end (its servers and their kernels stop); a caller that
builds again and again (a test session, a script) opens one around all of its builds
(``with WarmKernels():``) and the builds inside use it; a Dask worker has one from its start to
its end (``executors.dask_setup``); ``make lab`` one for the Jupyter server's life (``lab.py``).

Fork servers need POSIX ``fork``; elsewhere, when a kernel would not be this interpreter's
ipykernel, or with WORKBOOK_WARM_KERNELS=0, the provisioner starts the kernel the ordinary way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextvars import ContextVar
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from queue import Empty

from jupyter_client import protocol_version_info
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Any, Dict, DottedObjectName, Type
from traitlets.config import Config

# Imported once by the server: what the notebooks import, and the kernel itself. Only imports:
# nothing here may create figures or set styles (that would be state shared by reports). The one
# thing the server does besides is check the data tables ahead and read the packages' versions
# (``serve``), read-only and by content.
# The inline backend is left out on purpose: importing it without a running kernel would skip
# its IPython hook-up, so each kernel imports it itself (it is small).
WARM_MODULES = (
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "pandera.pandas",
    "yaml",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipywidgets",
    "comm",
    # What each kernel would otherwise import after the fork, on its own start or on first use by a
    # report: the kernel's debugger (debugpy, sizeable), IPython's magics and history, the Agg and
    # SVG backends and PIL's image plugins (saving PNG and SVG), pandera's pandas backends (the first
    # validation), pyarrow's CSV reader. Where Python writes no bytecode caches (PYTHONDONTWRITEBYTECODE,
    # a read-only environment) each such module is compiled from source in every kernel.
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.core.pylabtools",
    "IPython.extensions.storemagic",
    "sqlite3",
    "psutil",
    "tornado.gen",
    "tornado.locks",
    "tornado.queues",
    "tornado.platform.asyncio",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg",
    "matplotlib.backends.backend_mixed",
    "PIL.Image",
    "PIL.PngImagePlugin",
    "PIL.features",
    "pandas.io.formats.csvs",
    "pandas.io.formats.html",
    "pandas.io.formats.string",
    "pandera.accessors.pandas_accessor",
    "pandera.backends.pandas.register",
    "pandera.backends.pandas.builtin_checks",
    "pandera.backends.pandas.builtin_hypotheses",
    "pandera.strategies.pandas_strategies",
    "pyarrow.csv",
    "pyarrow.pandas_compat",
    "casualty_workbook.data.loading",
    "casualty_workbook.analysis.tables",
    "casualty_workbook.charts.claim_charts",
    "casualty_workbook.charts.style",
    "casualty_workbook.charts.saving",
    "casualty_workbook.data.provenance",
    "casualty_workbook.charts.explore",
    "casualty_workbook.core.spreadsheet",
    "casualty_workbook.analysis.narrative",
)
# Environment variables read when an interpreter starts or a module is imported: a kernel whose
# environment differs in any of them gets a server started with that environment. (Not WORKBOOK_*:
# the package reads its folders from the environment when asked, never on import, and a kernel gets
# its own environment after the fork; so one server serves builds of any project in this process.)
_STARTUP_PREFIXES = (
    "PYTHON",
    "MPL",
    "SOURCE_DATE_EPOCH",
    "LC_",
    "LANG",
    "TZ",
    "OPENBLAS",
    "OMP_",
    "MKL_",
    "ARROW_",
    "JUPYTER",
    "IPYTHON",
)


def supported() -> bool:
    """Fork servers run where ``os.fork`` is safe to use this way (Linux, the BSDs; not Windows or macOS)."""
    return hasattr(os, "fork") and sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def enabled() -> bool:
    """Warm kernels are used unless unsupported here or turned off with WORKBOOK_WARM_KERNELS=0."""
    return supported() and os.environ.get("WORKBOOK_WARM_KERNELS", "1") != "0"


def _startup_env(env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith(_STARTUP_PREFIXES)))


# How glibc's malloc behaves in the server, and so in every kernel forked from it (read when the server
# starts). By default memory blocks of a few MiB (a chart's pixels, the arrays that turn them into a PNG)
# are mapped afresh for each use and given back to the system when freed, and every page of them is
# faulted in again for the next chart: about a third of a report's page faults. A fixed threshold of
# 32 MiB (glibc's largest) serves such blocks from the heap, and the heap keeps up to 64 MiB freed for
# reuse: 22,000 page faults a report fell to 14,000, and the kernel's system time with them. Other C
# libraries ignore the variable; one set already by the user is left as it is.
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864"


def _server_env(env: dict[str, str]) -> dict[str, str]:
    """The server's environment: the kernels' own, with ``MALLOC_TUNABLES`` unless tunables are set."""
    return env if "GLIBC_TUNABLES" in env else {**env, "GLIBC_TUNABLES": MALLOC_TUNABLES}


# ---- the server process ---------------------------------------------------------------------------


def _become_kernel(request: dict, protocol_fds: tuple[int, int]) -> None:
    """In the forked child: look like a freshly started kernel process, then run ipykernel. Never returns."""
    code = 1
    try:
        os.setsid()  # its own process group: the kernel manager signals the group, never the server
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the server's reaper is not the kernel's business
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # The server's pipes are its stdin and stdout: replace them in place. (Closing them first would
        # let the kernel's own descriptors take numbers 0 and 1, and a later close of "stdin" would
        # then close one of the kernel's event descriptors: a reply waits until something else wakes it.)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(2, 1)  # the kernel's own stdout (rarely used) goes where the server's stderr goes
        for fd in {devnull, *protocol_fds} - {0, 1, 2}:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # The kernel exits when its parent (this server) does: ipykernel watches this pid. (The
        # option's default was read from the environment when the server imported ipykernel.)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        if "numpy" in sys.modules:  # a new interpreter seeds numpy's global generator afresh
            sys.modules["numpy"].random.seed()
        sys.argv = [request["argv0"], *request["argv"]]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    except BaseException:  # noqa: BLE001 - report and leave: this child must never return to the server's loop
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reap(signum, frame) -> None:
    """Collect every kernel that has exited (the kernel manager only watches for the pid to go away)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve() -> None:
    """The server's loop: import, say ready, then fork one kernel per request line until stdin closes."""
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    # debugpy warns on import that frozen modules may hide breakpoints: not news for a batch build.
    # (Each kernel's environment is the request's, set after the fork: this does not reach it.)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):
            import_module(name)
    # The tables are checked once here, not once per report: every kernel forked from this server
    # finds them in loading's cache (keyed by each file's content hash, so a file edited since is
    # read afresh; nothing is recorded as read, so each report's record is its own). The claims and
    # mentions are joined here too, as most reports load them joined.
    with contextlib.suppress(Exception):
        import_module("casualty_workbook.data.loading").check_ahead(joins=True)
    with contextlib.suppress(Exception):  # every report records them: read once, here
        import_module("casualty_workbook.data.provenance").package_versions()
    signal.signal(signal.SIGCHLD, _reap)  # no zombies; and waiting adds the kernels' CPU time to ours
    out.write(b'{"ready": true}\n')
    out.flush()
    while True:
        line = inp.readline()
        if not line:  # the coordinator (or worker) went away: so does the server
            return
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_kernel(request, (inp.fileno(), out.fileno()))
        out.write(json.dumps({"pid": pid}).encode() + b"\n")
        out.flush()


# ---- the client side ------------------------------------------------------------------------------


class ForkServer:
    """A running server, and a lock so that one request at a time goes through its pipe."""

    def __init__(self, env: dict[str, str]):
        self.env = dict(env)
        self._lock = threading.Lock()
        self._ready = False
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; del sys.path[0]; from casualty_workbook.pipeline.warm import serve; serve()",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_server_env(self.env),
            cwd="/",
        )

    def _wait_ready(self) -> None:
        if not self._ready:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the kernel fork server exited while importing")
            self._ready = True

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, argv0: str, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        """Fork a kernel process; returns its pid."""
        with self._lock:
            self._wait_ready()
            request = {"argv0": argv0, "argv": argv, "cwd": cwd, "env": env}
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the kernel fork server exited")
            return int(json.loads(line)["pid"])

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()


def _code_version() -> tuple:
    """The package's code as it is on disk now: a server has the code it imported when it started."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the whole package, not pipeline/
    found = []
    for folder, _, names in os.walk(package):
        for name in names:
            if name.endswith((".py", ".mplstyle")):
                info = os.stat(os.path.join(folder, name))
                found.append((os.path.join(folder, name), info.st_size, info.st_mtime_ns))
    return tuple(sorted(found))


_CURRENT: ContextVar[WarmKernels | None] = ContextVar("casualty_workbook_warm_kernels", default=None)


class WarmKernels:
    """The warm servers of one owner, and the private folder (mode 0700) of their kernels' connection
    files and sockets.

    Its lifetime is its owner's: from its creation to ``close()``, which stops its servers (their
    kernels exit with them) and removes the folder. Used as a context manager (``with WarmKernels():``)
    it is also the *current* one until the block ends, in this thread: a build started inside the block
    uses it instead of opening its own, so a process that builds again and again (a test session, a
    script) pays the servers' imports once. A server serves kernels of one start-up environment and of
    the package's code as it was when the server started (``prestart`` replaces the outdated ones).

    ``fork=False`` (or warm kernels unsupported here, or WORKBOOK_WARM_KERNELS=0): no server is ever
    started and every kernel starts the ordinary way, its connection files still in the private folder.
    """

    def __init__(self, *, fork: bool = True):
        self._fork = fork
        self.runtime_dir = tempfile.mkdtemp(prefix="workbook-kernels-")
        self._servers: dict[tuple, ForkServer] = {}
        self._lock = threading.Lock()
        self._tokens: list = []
        self.closed = False

    @property
    def fork(self) -> bool:
        """Kernels are forked warm: asked for, supported here, and not turned off (WORKBOOK_WARM_KERNELS=0)."""
        return self._fork and enabled()

    @staticmethod
    def current() -> WarmKernels | None:
        """The object of the innermost ``with WarmKernels()`` block running in this thread, if any."""
        return _CURRENT.get()

    def __enter__(self) -> WarmKernels:
        self._tokens.append(_CURRENT.set(self))
        return self

    def __exit__(self, kind, value, traceback) -> None:
        _CURRENT.reset(self._tokens.pop())
        self.close()

    def __deepcopy__(self, memo) -> WarmKernels:
        # A handle on running processes: the settings that pass it to a kernel manager (traitlets copies
        # configured values) must hand over this object, never a copy of it.
        return self

    def server_for(self, env: dict[str, str]) -> ForkServer:
        """The server for kernels with this environment and the package's current code, started (in the
        background) if there is none."""
        if self.closed:
            raise RuntimeError("these warm kernels are closed")
        key = (_startup_env(env), _code_version())
        with self._lock:
            server = self._servers.get(key)
            if server is None or not server.alive():
                server = self._servers[key] = ForkServer(env)
            return server

    def prestart(self, env: dict[str, str] | None = None) -> None:
        """Start the server now, so its imports overlap with whatever the caller does next; and stop the
        servers of code changed since they started (called before a build's first kernel: none of them
        has a kernel of this build to lose)."""
        if not self.fork:
            return
        current = _code_version()
        with self._lock:
            outdated = [key for key in self._servers if key[1] != current]
            servers = [self._servers.pop(key) for key in outdated]
        for server in servers:
            server.close()
        self.server_for(dict(os.environ if env is None else env))

    async def fork_kernel(self, argv0: str, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        """Fork a kernel from the server for ``env``; returns its pid. In a thread: the first fork may wait
        for the server's imports, and the caller's event loop (a Jupyter server's) goes on meanwhile."""
        return await asyncio.to_thread(lambda: self.server_for(env).fork(argv0, argv, cwd, env))

    def close(self) -> None:
        """Stop every server (their kernels exit with them) and remove the kernels' folder. Idempotent."""
        self.closed = True
        with self._lock:
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.close()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def kernel_options(self, env: dict[str, str] | None = None) -> dict:
        """What papermill passes on to nbclient so that a report's kernel is one of these: the kernel
        manager class, and its settings (these warm kernels, ``env`` added to the kernel's environment)."""
        settings = {"kernels": self, "kernel_env": dict(env or {})}
        return {"kernel_manager_class": WarmKernelManager, "config": Config({"WarmKernelManager": settings})}


class _ForkedProcess:
    """What the kernel provisioner needs of a ``Popen`` for a kernel that is not this process's child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not _alive(self.pid):
            self.returncode = 0  # its exit status went to the server, its parent, which reaped it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (its parent gone, not yet reaped) is not a running kernel
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


class _ShellChannel(AsyncZMQSocketChannel):
    """The shell channel, polled in short slices.

    A cell that displays widgets makes nbclient send widget messages on this socket while it
    waits for the cell's reply on it; now and then that wait then misses the reply and sleeps
    until its timeout (minutes). Polling again every half second bounds the delay.
    """

    async def get_msg(self, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
            try:
                return await super().get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class WorkbookKernelClient(AsyncKernelClient):
    shell_channel_class = Type(_ShellChannel)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """jupyter_client's wait for a new kernel, less its last step.

        jupyter_client then reads IOPub until 0.2 s pass without a message: 0.2 s of nothing in
        every report, to drop the status messages of its own kernel_info requests. Nothing needs
        that here: nbclient takes from IOPub only the messages that answer its cell's request.
        """
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once a message comes through it
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        adapt = int(msg["content"]["protocol_version"].split(".")[0])
                        if adapt != protocol_version_info[0]:  # what jupyter_client does with the reply
                            self.session.adapt_version = adapt
                        return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


PROVISIONER = "casualty-workbook-warm"  # its entry point's name (pyproject.toml)


@cache
def provisioner_installed() -> bool:
    """The provisioner's entry point is installed (``make env`` installs the package with it)."""
    return bool(entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER))


def _ipykernel_arguments(kernel_cmd: list[str]) -> list[str] | None:
    """The arguments after ``python -m ipykernel_launcher`` when that python is this interpreter, else None."""
    if len(kernel_cmd) < 3 or kernel_cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    try:
        if not os.path.samefile(kernel_cmd[0], sys.executable):
            return None
    except OSError:
        return None
    return list(kernel_cmd[3:])


def _as_launched(argv: list[str]) -> list[str]:
    """A kernel spec's command as jupyter_client launches it: a bare ``python`` is this interpreter."""
    names = {"python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
    return [sys.executable, *argv[1:]] if argv and argv[0] in names else list(argv)


class WarmProvisioner(LocalProvisioner):
    """A kernel provisioner: the kernel process forked from a warm server when its manager has warm kernels
    (``WarmKernels``, the manager's ``kernels``) and the kernel is this interpreter's ipykernel; otherwise
    started exactly as jupyter_client's ``LocalProvisioner`` starts it. The manager's ``added_env``
    goes into the kernel's environment either way."""

    async def pre_launch(self, **kwargs):
        added_env = getattr(self.parent, "added_env", None)
        if added_env is not None:
            env = kwargs.get("env") or os.environ
            if added := added_env(env):
                kwargs["env"] = {**env, **added}
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs):
        kernels: WarmKernels | None = getattr(self.parent, "kernels", None)
        argv = _ipykernel_arguments(cmd)
        if kernels is None or not kernels.fork or argv is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid = await kernels.fork_kernel(cmd[0], argv, cwd, env)
        self.process = _ForkedProcess(pid)
        self.pid = pid
        self.pgid = pid  # the child calls setsid(): it leads its own group
        self.cwd = cwd
        return self.connection_info

    async def shutdown_requested(self, restart: bool = False) -> None:
        """A kernel asked to shut down exits within milliseconds: watch for that every 10 ms, for up to
        ``EXIT_WATCH`` s, so that the manager's first look (it then looks every 100 ms) finds it gone."""
        await super().shutdown_requested(restart=restart)
        deadline = time.monotonic() + self.EXIT_WATCH
        while self.process is not None and self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    EXIT_WATCH = 0.5


class WarmKernelSpec:
    """For a kernel manager: its kernel spec names the warm provisioner (the documented way to choose one)
    when the kernel is this interpreter's ipykernel and the spec names no provisioner of its own.

    ``kernels`` (a ``WarmKernels``) are where its kernels are forked from; with none, every kernel starts
    the ordinary way. ``added_env(env)`` is what goes into the kernel's environment ``env``."""

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if (
            spec is not None
            and "kernel_provisioner" not in spec.metadata
            and _ipykernel_arguments(_as_launched(spec.argv)) is not None
            and provisioner_installed()
        ):
            spec.metadata["kernel_provisioner"] = {"provisioner_name": PROVISIONER, "config": {}}
        return spec

    def added_env(self, env) -> dict[str, str]:
        return {}


class WarmKernelManager(WarmKernelSpec, AsyncKernelManager):
    """nbclient's kernel manager for a build's reports: kernels forked warm (``kernels``), with
    ``kernel_env`` added to their environment (a worker on a cluster passes the build's settings this
    way, not through its own process environment). Set both through nbclient's settings:
    ``WarmKernels.kernel_options``."""

    kernels = Any(None, allow_none=True, help="the WarmKernels these kernels are forked from").tag(config=True)
    kernel_env = Dict(help="added to each kernel's environment").tag(config=True)
    client_class = DottedObjectName("casualty_workbook.pipeline.warm.WorkbookKernelClient")
    client_factory = Type(klass="casualty_workbook.pipeline.warm.WorkbookKernelClient")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if os.name == "posix" and self.kernels is not None:
            # Unix sockets in the kernels' private folder, not TCP ports: a port picked free by one process
            # (one Dask worker) can be taken by another's kernel before it binds, and two kernels then
            # share a port. Socket paths are unique and short (a socket's path has a length limit).
            base = os.path.join(self.kernels.runtime_dir, f"k-{uuid.uuid4().hex[:12]}")
            self.transport = "ipc"
            self.connection_file = base + ".json"
            self.ip = base + "-ipc"

    def added_env(self, env) -> dict[str, str]:
        return self.kernel_env


if __name__ == "__main__":
    serve()
