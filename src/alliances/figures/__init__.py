"""Pure figure builders: DataFrames in, plotly figure specs (plain dicts) out. No Panel, no I/O.

``*_figure`` functions draw given tables; ``*_for(dataset, filters)`` functions build the figure
the dashboard and the briefing both show for some filters, so the two cannot drift. Every text
that comes from a dataset is escaped before it reaches a hover label, a tick or an annotation:
plotly renders a subset of HTML in them.
"""

from .charts import ranking_figure, ranking_for, temperature_figure, temperature_for
from .common import Spec
from .network import network_figure, network_for
from .timeline import timeline_figure, timeline_for

__all__ = [
    "Spec",
    "network_figure",
    "network_for",
    "ranking_figure",
    "ranking_for",
    "temperature_figure",
    "temperature_for",
    "timeline_figure",
    "timeline_for",
]
