"""JupyterLab's kernels forked warm: a Jupyter server extension that `make lab` loads.

An analyst's kernel otherwise starts cold and spends its first seconds importing pandas,
matplotlib, seaborn and pandera. With this extension the server's kernels are forked from a
warm server (``warm.py``, the same one a build forks its reports' kernels from), started when
JupyterLab starts: opening or restarting a notebook's kernel takes a fraction of a second.
Each kernel is still a process of its own, fresh from a server that never ran a notebook's code.

Where warm kernels are unsupported or turned off (WORKBOOK_WARM_KERNELS=0), or for any kernel
that is not this environment's ipykernel, kernels start the ordinary way.
"""

from __future__ import annotations

import atexit
import os

from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

from casualty_workbook.pipeline import warm

# What ipykernel itself does in a fresh kernel (unless MPLBACKEND is set): figures inline. A warm
# server has imported matplotlib before any kernel exists, so it needs the setting in its environment.
INLINE_BACKEND = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def kernel_env(environ: dict[str, str] | os._Environ) -> dict[str, str]:
    """What the extension adds to a kernel's environment: the inline backend, unless one is chosen."""
    return {} if environ.get("MPLBACKEND") else dict(INLINE_BACKEND)


class WarmServerKernelManager(warm.WarmKernelSpec, ServerKernelManager):
    """The Jupyter server's kernel manager, its kernels started by the warm provisioner from the lab's warm
    kernels (``KERNELS``)."""

    @property
    def kernels(self) -> warm.WarmKernels | None:
        return KERNELS[0] if KERNELS else None

    def added_env(self, env) -> dict[str, str]:
        return kernel_env(env)


# The lab's warm kernels: the Jupyter server's, for the life of its process (opened as the extension loads,
# closed as the process exits: a module-style server extension is told of no other end).
KERNELS: list[warm.WarmKernels] = []


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "casualty_workbook.pipeline.lab_extension"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Fork the server's kernels warm, and start the warm server now, while JupyterLab loads in the browser."""
    if not warm.enabled():
        serverapp.log.info(
            "casualty_workbook.pipeline.lab_extension: warm kernels are off here; kernels start the ordinary way"
        )
        return
    serverapp.kernel_manager.kernel_manager_class = f"{__name__}.{WarmServerKernelManager.__name__}"
    kernels = warm.WarmKernels()
    KERNELS[:] = [kernels]
    atexit.register(kernels.close)
    kernels.prestart({**os.environ, **kernel_env(os.environ)})
    serverapp.log.info("casualty_workbook.pipeline.lab_extension: kernels are forked from a warm server")
