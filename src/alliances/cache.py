"""The per-dataset cache: results computed from a dataset, kept while the dataset lives.

The one caching decorator of the data, metrics and figure layers (:func:`per_dataset`) and the
one way to empty every such cache (:func:`clear`). ``functools.lru_cache`` would hold each
dataset strongly (a replaced dataset would never be freed) and cannot bound entries per dataset;
a weak key per dataset with a small LRU of arguments under it does both.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")

_REGISTRY: dict[str, weakref.WeakKeyDictionary] = {}
"""Each cached function's ``module.name`` -> its caches (dataset -> {args: result})."""


def per_dataset(func: Callable[..., T] | None = None, *, maxsize: int = 8):
    """Cache ``func(dataset, *args)`` while the dataset lives, the last ``maxsize`` args each.

    Results are shared between sessions: treat them as read-only. The dataset is held weakly,
    so a replaced dataset and its cached results are freed. ``func.cache`` maps each dataset to
    its entries (tests read it).
    """

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        caches: weakref.WeakKeyDictionary[Any, OrderedDict] = weakref.WeakKeyDictionary()
        lock = threading.Lock()
        _REGISTRY[f"{func.__module__}.{func.__qualname__}"] = caches

        @wraps(func)
        def wrapper(dataset: Any, *args: Any) -> T:
            with lock:
                cache = caches.setdefault(dataset, OrderedDict())
                if args in cache:
                    cache.move_to_end(args)
                    return cache[args]
            value = func(dataset, *args)
            with lock:
                cache[args] = value
                while len(cache) > maxsize:
                    cache.popitem(last=False)
            return value

        wrapper.cache = caches  # type: ignore[attr-defined]
        return wrapper

    return decorate(func) if func is not None else decorate


def clear(*, keep_precomputed: bool = False) -> None:
    """Forget every result cached by :func:`per_dataset`, in every module.

    With ``keep_precomputed``, results that depend on the dataset alone (called without
    arguments, such as its column arrays and network layout) stay: only those computed for
    some filters are dropped (the benchmarks measure uncached filter changes this way).
    """
    for caches in list(_REGISTRY.values()):
        if not keep_precomputed:
            caches.clear()
            continue
        for entries in list(caches.values()):
            for args in [a for a in list(entries) if a != ()]:
                entries.pop(args, None)


def entries() -> dict[str, int]:
    """How many results each cached function holds, over every live dataset."""
    return {name: sum(len(e) for e in list(caches.values())) for name, caches in _REGISTRY.items()}
