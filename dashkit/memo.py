"""Memoised data functions: the same arguments give everybody the same answer.

Dash's own advice for speed (dash.plotly.com/performance) is to memoise the
functions a callback calls, keyed by their arguments, never the callback's HTTP
answer: a callback may read the user (cookies, headers, the session), and no
cache can see what it read. A function under `@memoize` can only use what it is
given:

- it runs in an empty context: no Flask request, no `dash.ctx`, no `set_props`
  (each raises as it does outside a callback), so nothing of the user asking
  can reach an answer that others get; only the kit's own drawing settings go
  in (`carry`: whether the page themes the figures), and they are in the key;
- its answer is keyed by its arguments (pickled) and a code version: the
  versions of dash, plotly, pandas and numpy, the source of its module and of
  the modules beside it, the kit's own source and the data folder's listing.
  A new release, a changed module or a new data file is a new version.

It sees no app either: build addresses (`dash.get_asset_url`) in the callback.

Where answers are kept: in the process (a bounded dict) when the dashboard runs
alone; in the portal, the site's cache (Redis when set, so every worker and
instance shares them), installed with `use_store`. Answers larger than the
store's limit are returned but not kept.

    @memoize
    def data(params: dict) -> pd.DataFrame: ...
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib.metadata
import pickle
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
# What the answers are made with, besides the function's own code.
LIBRARIES = ("dash", "plotly", "pandas", "numpy")


class Store(Protocol):
    """Where answers are kept, as pickled bytes; `get` gives None for a miss."""

    def get(self, key: str, *, function: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, *, function: str) -> None: ...


class LocalStore:
    """Answers kept in this process for `max_age` seconds, the least recently used
    leaving first once they take `max_bytes` (keys and bookkeeping counted)."""

    ENTRY_BYTES = 200  # what an entry costs besides its key and value, about

    def __init__(
        self, *, max_bytes: int = 256 * 2**20, max_item_bytes: int = 32 * 2**20, max_age: float = 3600
    ):
        self.max_bytes, self.max_item_bytes, self.max_age = max_bytes, max_item_bytes, max_age
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def _cost(self, key: str, value: bytes) -> int:
        return len(key) + len(value) + self.ENTRY_BYTES

    def get(self, key: str, *, function: str) -> bytes | None:
        with self._lock:
            kept = self._items.get(key)
            if kept is None:
                return None
            if time.monotonic() > kept[0]:
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return kept[1]

    def set(self, key: str, value: bytes, *, function: str) -> None:
        if len(value) > self.max_item_bytes:
            return
        with self._lock:
            self._drop(key)
            self._items[key] = (time.monotonic() + self.max_age, value)
            self._size += self._cost(key, value)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        kept = self._items.pop(key, None)
        if kept is not None:
            self._size -= self._cost(key, kept[1])


_store: Store = LocalStore()
# Settings of the kit that say how answers are drawn (never anything of the user asking):
# a memoised function runs with them as its caller set them, and they are part of the key.
_carried: list[contextvars.ContextVar] = []


def carry(setting: contextvars.ContextVar) -> None:
    """Let memoised functions see `setting` as their caller does (see `_alone`)."""
    _carried.append(setting)


def use_store(store: Store) -> None:
    """Keep every memoised answer in `store` from now on (the portal installs its cache)."""
    global _store
    _store = store


def memoize(func: F) -> F:
    """`func`'s answers, kept by its arguments (which must pickle) and code version.

    Only a module-level function: two functions made by one factory, or two lambdas,
    share a name but not what they compute, and would share answers."""
    name = f"{func.__module__}.{func.__qualname__}"
    if "<" in func.__qualname__ or getattr(func, "__closure__", None):
        raise TypeError(f"memoize takes module-level functions only, not {name}")

    @functools.wraps(func)
    def memoised(*args: Any, **kwargs: Any) -> Any:
        try:
            arguments = pickle.dumps((args, sorted(kwargs.items())), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return _alone(func, args, kwargs)  # an argument that cannot be a key: computed each time
        settings = ",".join(repr(setting.get()) for setting in _carried)
        key = (
            f"memo:{code_version(func.__module__)}:{name}:{settings}:{hashlib.sha256(arguments).hexdigest()}"
        )
        kept = _store.get(key, function=name)
        if kept is not None:
            return pickle.loads(kept)
        answer = _alone(func, args, kwargs)
        _store.set(key, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL), function=name)
        return answer

    memoised.memoised = func  # the function itself, for tests
    return memoised  # type: ignore[return-value]


def _alone(func: Callable, args: tuple, kwargs: dict) -> Any:
    # An empty context: Flask's request, `dash.ctx` and `set_props` live in context
    # variables. Only the kit's carried settings go in.
    context = contextvars.Context()
    for setting in _carried:
        context.run(setting.set, setting.get())
    return context.run(func, *args, **kwargs)


@functools.cache
def code_version(module_name: str) -> str:
    """A digest of what a memoised function's answers are made from, read once per process."""
    from dashkit.spec import data_dir

    digest = hashlib.sha256()
    for library in LIBRARIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{library}={importlib.metadata.version(library)};".encode())
    module = sys.modules.get(module_name)
    source = Path(getattr(module, "__file__", "") or "")
    files = sorted(source.parent.glob("*.py")) if source.is_file() else []
    files += sorted(Path(__file__).parent.glob("*.py"))
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    folder = data_dir()
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
