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
since is read afresh.

Fork servers need POSIX ``fork``; elsewhere, when a kernel would not be this interpreter's
ipykernel, or with WORKBOOK_WARM_KERNELS=0, ``WarmKernelManager`` starts the kernel the ordinary way.
"""

from __future__ import annotations

import atexit
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
from importlib import import_module
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

# Imported once by the server: what the notebooks import, and the kernel itself. Only imports:
# nothing here may create figures or set styles (that would be state shared by reports). The one
# thing the server does besides is check the data tables ahead (``serve``), read-only and by content.
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
    "casualty_workbook.loading",
    "casualty_workbook.analysis",
    "casualty_workbook.charts",
    "casualty_workbook.style",
    "casualty_workbook.figures",
    "casualty_workbook.provenance",
    "casualty_workbook.explore",
    "casualty_workbook.export",
    "casualty_workbook.narrative",
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
    # read afresh; nothing is recorded as read, so each report's record is its own).
    with contextlib.suppress(Exception):
        import_module("casualty_workbook.loading").check_ahead()
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
            [sys.executable, "-c", "import sys; del sys.path[0]; from casualty_workbook.warm import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.env,
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


_RUNTIME: list[str] = []


def _runtime_dir() -> str:
    """A private folder (mode 0700) for this process's kernels' connection files and sockets."""
    if not _RUNTIME or not os.path.isdir(_RUNTIME[0]):
        _RUNTIME[:] = [tempfile.mkdtemp(prefix="workbook-kernels-")]
        atexit.register(shutil.rmtree, _RUNTIME[0], True)
    return _RUNTIME[0]


_SERVERS: dict[tuple, ForkServer] = {}
_SERVERS_LOCK = threading.Lock()


def _code_version() -> tuple:
    """The package's code as it is on disk now: a server has the code it imported when it started."""
    package = os.path.dirname(os.path.abspath(__file__))
    found = []
    for folder, _, names in os.walk(package):
        for name in names:
            if name.endswith((".py", ".mplstyle")):
                info = os.stat(os.path.join(folder, name))
                found.append((os.path.join(folder, name), info.st_size, info.st_mtime_ns))
    return tuple(sorted(found))


def server_for(env: dict[str, str]) -> ForkServer:
    """The server for kernels with this environment and the package's current code, started (in the
    background) if there is none. A server outlives the build that started it, until this process ends:
    a process that builds again (a test session, a script, a notebook calling the build) forks from it."""
    key = (_startup_env(env), _code_version())
    with _SERVERS_LOCK:
        server = _SERVERS.get(key)
        if server is None or not server.alive():
            server = _SERVERS[key] = ForkServer(env)
        return server


def prestart(env: dict[str, str] | None = None) -> None:
    """Start the server now, so its imports overlap with whatever the caller does next; and stop the
    servers of code changed since they started (called before a build's first kernel: none of them
    has a kernel of this build to lose)."""
    if enabled():
        current = _code_version()
        with _SERVERS_LOCK:
            outdated = [key for key in _SERVERS if key[1] != current]
            servers = [_SERVERS.pop(key) for key in outdated]
        for server in servers:
            server.close()
        server_for(dict(os.environ if env is None else env))


def shutdown() -> None:
    """Stop every server this process started (their idle kernels are gone already)."""
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
        _SERVERS.clear()
    for server in servers:
        server.close()


atexit.register(shutdown)


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
                        self._handle_kernel_info_reply(msg)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


class WarmLaunch:
    """The warm launch, for any of jupyter_client's async kernel managers: the kernel process is forked
    from a warm server when it can be, else started the ordinary way.

    ``kernel_env`` (set on a subclass) is added to the kernel's environment: a worker on a cluster
    passes the build's settings this way, not through its own process environment.
    """

    kernel_env: dict[str, str] = {}  # noqa: RUF012 - a traitlets-style default, replaced per subclass
    use_fork_server: bool = True

    def _added_env(self, env) -> dict[str, str]:
        """What this manager adds to a kernel's environment ``env``: ``kernel_env`` here."""
        return self.kernel_env

    async def _async_pre_start_kernel(self, **kw):
        env = kw.get("env") or os.environ
        if added := self._added_env(env):
            kw["env"] = {**env, **added}
        return await super()._async_pre_start_kernel(**kw)

    async def _fork(self, argv0: str, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        """Fork the kernel from the server for ``env``; returns its pid."""
        return server_for(env).fork(argv0, argv, cwd, env)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        from jupyter_client.provisioning.local_provisioner import LocalProvisioner

        argv = self._ipykernel_arguments(kernel_cmd)
        if not (self.use_fork_server and enabled() and argv is not None and type(self.provisioner) is LocalProvisioner):
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        env = {k: str(v) for k, v in (kw.get("env") or os.environ).items()}
        cwd = str(kw.get("cwd") or os.getcwd())
        pid = await self._fork(kernel_cmd[0], argv, cwd, env)
        provisioner = self.provisioner
        provisioner.process = _ForkedProcess(pid)
        provisioner.pid = pid
        provisioner.pgid = pid  # the child calls setsid(): it leads its own group
        provisioner.cwd = cwd
        self._reconcile_connection_info(provisioner.connection_info)

    @staticmethod
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


class WarmKernelManager(WarmLaunch, AsyncKernelManager):
    """nbclient's kernel manager for a build's reports, with the warm launch."""

    client_class = DottedObjectName("casualty_workbook.warm.WorkbookKernelClient")
    client_factory = Type(klass="casualty_workbook.warm.WorkbookKernelClient")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if os.name == "posix":
            # Unix sockets in a private folder, not TCP ports: a port picked free by one process (one
            # Dask worker) can be taken by another's kernel before it binds, and two kernels then
            # share a port. Socket paths are unique and short (a socket's path has a length limit).
            base = os.path.join(_runtime_dir(), f"k-{uuid.uuid4().hex[:12]}")
            self.transport = "ipc"
            self.connection_file = base + ".json"
            self.ip = base + "-ipc"

    async def _async_finish_shutdown(self, waittime=None, pollinterval: float = 0.1, restart: bool = False) -> None:
        # A kernel asked to shut down exits within milliseconds: look every 10 ms, not every 100 ms.
        await super()._async_finish_shutdown(waittime, min(pollinterval, 0.01), restart)


def kernel_manager_class(env: dict[str, str] | None = None, *, warm: bool = True) -> type[WarmKernelManager]:
    """A kernel manager class for papermill (``kernel_manager_class=``) with this environment added."""
    return type("WorkbookKernelManager", (WarmKernelManager,), {"kernel_env": dict(env or {}), "use_fork_server": warm})


if __name__ == "__main__":
    serve()
