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
    "bundled_path": "reading",
    "DatasetError": "problems",
    "Problem": "problems",
    "validate": "validation",
    "Filters": "state",
    "select": "query",
    "create_app": "app",
    "dashboard": "app",
    "Dashboard": "app",
    "NetworkView": "views",
    "TimelineView": "views",
    "MetricsView": "views",
    "KpiView": "views",
    "TemperatureView": "views",
    "RankingView": "views",
    "ChangesView": "views",
    "EventsTable": "views",
    "EventDetail": "views",
    "export_briefing": "briefing",
    "extension": "notebook",
    "render_briefing": "briefing",
    "import_gdelt": "importers",
    "import_acled": "importers",
    "import_ucdp": "importers",
    "import_atop": "importers",
    "import_cow": "importers",
    "import_sipri": "importers",
    "import_files": "importers",
    "ShiftRule": "analyses",
    "AlignmentWeights": "analyses",
    "AnalysisPanel": "views",
}

if TYPE_CHECKING:
    from .analyses import AlignmentWeights, ShiftRule
    from .app import Dashboard, create_app, dashboard
    from .briefing import export_briefing, render_briefing
    from .dataset import Dataset, load_dataset
    from .importers import (
        import_acled,
        import_atop,
        import_cow,
        import_files,
        import_gdelt,
        import_sipri,
        import_ucdp,
    )
    from .notebook import extension
    from .problems import DatasetError, Problem
    from .query import select
    from .reading import bundled_path
    from .state import Filters
    from .validation import validate
    from .views import (
        AnalysisPanel,
        ChangesView,
        EventDetail,
        EventsTable,
        KpiView,
        MetricsView,
        NetworkView,
        RankingView,
        TemperatureView,
        TimelineView,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'alliances' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AlignmentWeights",
    "AnalysisPanel",
    "ChangesView",
    "Dashboard",
    "Dataset",
    "DatasetError",
    "EventDetail",
    "EventsTable",
    "Filters",
    "KpiView",
    "MetricsView",
    "NetworkView",
    "Problem",
    "RankingView",
    "ShiftRule",
    "TemperatureView",
    "TimelineView",
    "bundled_path",
    "create_app",
    "dashboard",
    "export_briefing",
    "extension",
    "import_acled",
    "import_atop",
    "import_cow",
    "import_files",
    "import_gdelt",
    "import_sipri",
    "import_ucdp",
    "load_dataset",
    "render_briefing",
    "select",
    "validate",
]
