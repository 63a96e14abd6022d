"""Work started on a thread of its own, for the loader's steps that let the interpreter go.

Arrow's kernels and hashing release the interpreter while they run, so one of them started on a
thread runs on a second core while the caller goes on. Kept free of heavy imports.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable


def on_a_thread(work: Callable, *args, name: str = "load") -> concurrent.futures.Future:
    """``work(*args)`` started on a thread of its own, left to finish on its own (no pool outlives the
    caller); its result, or what it raised, comes from the returned future."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    started = pool.submit(work, *args)
    pool.shutdown(wait=False)
    return started
