"""Read-only metadata: what a table carries in ``DataFrame.attrs`` from its ``.meta.yml``.

pandas deep-copies a frame's ``attrs`` into every frame derived from it (each filter, column and
join), and a report takes a few thousand such steps: copying the same small metadata each time
cost a twentieth of its work. A value that cannot change need not be copied, so a ``FrozenDict``
refuses every change and is its own copy; and a notebook cannot edit a table's origin by mistake.
"""

from __future__ import annotations

from typing import Any


class FrozenDict(dict):
    """A dict that refuses changes and is its own (deep) copy. A dict still, so ``json`` writes it."""

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError("a table's metadata is read-only: copy it with dict(...) to change it")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict) -> FrozenDict:
        return self

    def __reduce__(self):
        # pickle (a Dask worker's tables) rebuilds it whole, never item by item through __setitem__
        return (FrozenDict, (dict(self),))


def frozen(value: Any) -> Any:
    """``value`` with every mapping in it a ``FrozenDict`` and every list a tuple, recursively."""
    if isinstance(value, dict):
        return value if isinstance(value, FrozenDict) else FrozenDict({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    return value
