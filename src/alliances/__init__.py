"""alliances: a curated, sourced dataset of alliances and events, and a dashboard to explore it.

``import alliances`` is cheap: the Panel views and the dashboard are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("alliances")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

# public name -> module that defines it
_LAZY = {
    "Dataset": "dataset",
    "load_dataset": "dataset",
    "bundled_path": "dataset",
    "DatasetError": "validation",
    "Problem": "validation",
    "validate": "validation",
}

if TYPE_CHECKING:
    from .dataset import Dataset, bundled_path, load_dataset
    from .validation import DatasetError, Problem, validate


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'alliances' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
