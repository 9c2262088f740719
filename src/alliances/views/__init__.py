"""Thin Panel views over the query and figure layers. Importing this imports Panel."""

from .about import AboutPanel
from .analysis import AnalysisPanel
from .controls import FilterPanel
from .detail import EventDetail
from .export import BriefingExport
from .metrics import ChangesView, KpiView, MetricsView, RankingView, TemperatureView
from .network import NetworkView
from .table import EventsTable
from .timeline import TimelineView

__all__ = [
    "AboutPanel",
    "AnalysisPanel",
    "BriefingExport",
    "ChangesView",
    "EventDetail",
    "EventsTable",
    "FilterPanel",
    "KpiView",
    "MetricsView",
    "NetworkView",
    "RankingView",
    "TemperatureView",
    "TimelineView",
]
