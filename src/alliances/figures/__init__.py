"""Pure figure builders: DataFrames in, plotly ``go.Figure`` out. No Panel, no I/O.

Every text that comes from a dataset is escaped before it reaches a hover label, a tick or an
annotation: plotly renders a subset of HTML in them.
"""

from .charts import ranking_figure, temperature_figure
from .network import network_figure
from .timeline import timeline_figure

__all__ = ["network_figure", "ranking_figure", "temperature_figure", "timeline_figure"]
