"""The Analysis tab: the temperature of chosen pairs with its table and the shifts from each
pair's baseline, the alignment index with its weights, pledges against deliveries, and running
estimates. Thin views over :mod:`alliances.analyses` and :mod:`alliances.figures.analysis`."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from .. import analyses, query
from ..aggregates import pair_name
from ..analyses import AlignmentWeights, ShiftRule
from ..downloads import download_lines, table_csv
from ..figures import Spec, temperature_for
from ..figures.analysis import alignment_figure, pledges_figure, running_figure
from ..fragments import CSS, alignment_html, shifts_html
from .base import (
    PLOTLY_CONFIG,
    SELECTION_DEPENDS,
    ChartView,
    DatasetView,
    FilteredViewer,
    HTMLView,
    made_download,
    on_filters,
)
from .compat import FigurePane
from .controls import option_label

PAIRS_DEPENDS = (*SELECTION_DEPENDS, *on_filters("pairs"))
RULE_DEPENDS = ("rule.baseline", "rule.threshold", "rule.min_events", "rule.floor")
"""The shift rule's parameters, for the views that draw what it flags."""


class PairTemperatureView(ChartView):
    """The chosen pairs' quarterly temperature over the whole window, shifts ringed."""

    rule = param.ClassSelector(class_=ShiftRule, doc="When a quarter departs from its baseline.")
    _height = 380
    _css_class = "al-pair-temperature"

    def spec(self) -> Spec:
        return temperature_for(self.dataset, self.filters, height=self._height, rule=self.rule)

    @param.depends(*PAIRS_DEPENDS, *RULE_DEPENDS, watch=True)
    def _on_filters(self) -> None:
        self.update()


def quarterly_table(dataset, filters) -> pd.DataFrame:
    """The temperature's values, one row per quarter, one column per pair (names)."""
    t = query.pair_temperature(dataset, filters)
    if t.empty:
        return pd.DataFrame(columns=["quarter"])
    t = t.assign(
        quarter=t["quarter"].dt.to_period("Q").astype(str),
        pair=[pair_name(p, dataset.names) for p in t["pair"]],
    )
    wide = t.pivot_table(index="quarter", columns="pair", values="score", sort=False)
    wide.columns.name = None
    return wide.round(2).reset_index()


class TemperatureTable(DatasetView):
    """The chart's values as a table, and as a CSV whose first lines name the filters."""

    def _build(self):
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(),
            show_index=False,
            disabled=True,
            pagination="local",
            page_size=12,
            layout="fit_data_table",
            sizing_mode="stretch_width",
            css_classes=["al-temperature-table"],
        )
        self._download = made_download(
            self,
            "temperature",
            "csv",
            self._csv,
            label="Download these values (CSV)",
            color="light",
            width=260,
            css_classes=["al-temperature-download"],
        )
        return pn.Column(self._download, self._table, sizing_mode="stretch_width")

    def _refresh(self) -> None:
        self._table.value = quarterly_table(self.dataset, self.filters)

    def _show_error(self) -> None:
        self._table.value = pd.DataFrame()

    def _csv(self) -> str:
        lines = download_lines(
            "relationship temperature: sum of event scores per quarter", self.dataset, self.filters
        )
        return table_csv(quarterly_table(self.dataset, self.filters), lines)

    @param.depends(*PAIRS_DEPENDS, watch=True)
    def _on_filters(self) -> None:
        self.update()


class ShiftsView(HTMLView):
    """What shifted: each flagged quarter with the events behind it."""

    rule = param.ClassSelector(class_=ShiftRule, doc="When a quarter departs from its baseline.")
    _css_class = "al-shifts"
    _stylesheets = (CSS,)

    @property
    def shifts(self) -> pd.DataFrame:
        return analyses.shifts(self.dataset, self.filters, self.rule)

    def html(self) -> str:
        return shifts_html(self.dataset, self.filters, self.shifts)

    @param.depends(*PAIRS_DEPENDS, *RULE_DEPENDS, watch=True)
    def _on_filters(self) -> None:
        self.update()


class AlignmentControls(param.Parameterized):
    """The alignment index's weights as parameters: one per relation type, and the events'."""

    per_event_point = param.Number(0.1, bounds=(0, 2), step=0.05, doc="Points per score point.")
    lookback = param.Integer(4, bounds=(1, 20), doc="Quarters of events counted.")
    scale = param.Number(3.0, bounds=(0.5, 20), step=0.5, doc="Points from 50 to about 73.")
    relations = param.Dict(default={}, doc="Points per relation in force, by relation type id.")

    def weights(self) -> AlignmentWeights:
        return AlignmentWeights(
            dict(self.relations), self.per_event_point, self.lookback, self.scale
        )


class AlignmentView(DatasetView):
    """Pairs ranked by their alignment index, each score explained, and the index over time."""

    controls = param.ClassSelector(class_=AlignmentControls)

    def _build(self):
        defaults = AlignmentWeights().for_dataset(self.dataset).relations
        if self.controls is None:
            self.controls = AlignmentControls(relations=defaults)
        labels = self.dataset.relation_type_labels
        self._weights = {
            t: pn.widgets.FloatInput(
                label=labels.get(t, t), value=w, step=0.5, width=150, css_classes=["al-weight"]
            )
            for t, w in defaults.items()
        }
        for widget in self._weights.values():
            widget.param.watch(self._on_weight, "value")
        general = pn.Param(
            self.controls,
            parameters=["per_event_point", "lookback", "scale"],
            show_name=False,
            widgets={"lookback": pn.widgets.IntInput, "scale": pn.widgets.FloatInput,
                     "per_event_point": pn.widgets.FloatInput},
        )  # fmt: skip
        weights = pn.Card(
            pn.pane.HTML("<p class='muted'>Points per relation in force, by type (negative for "
                         "adversarial types); the index is 100 / (1 + e^(−points / scale)).</p>"),
            pn.FlexBox(*self._weights.values(), flex_wrap="wrap"),
            general,
            title="Weights",
            collapsed=True,
            sizing_mode="stretch_width",
            css_classes=["al-weights"],
        )  # fmt: skip
        self._ranking = pn.widgets.Tabulator(
            pd.DataFrame(),
            show_index=False,
            disabled=True,
            selectable=1,
            pagination="local",
            page_size=10,
            layout="fit_data_table",
            sizing_mode="stretch_width",
            css_classes=["al-alignment"],
        )
        self._ranking.param.watch(self._on_pick, "selection")
        self._explained = pn.pane.HTML(
            "", sizing_mode="stretch_width", css_classes=["al-explained"]
        )
        self._chart = FigurePane(
            config=PLOTLY_CONFIG,
            sizing_mode="stretch_width",
            height=320,
            css_classes=["al-alignment-chart"],
        )
        self._picked: str | None = None
        return pn.Column(weights, self._ranking, self._explained, self._chart,
                         sizing_mode="stretch_width")  # fmt: skip

    @property
    def ranking(self) -> pd.DataFrame:
        return analyses.alignment(self.dataset, self.filters, self.controls.weights())

    def _refresh(self) -> None:
        ranking = self.ranking
        names = self.dataset.names
        shown = pd.DataFrame(
            {
                "pair": [pair_name(p, names) for p in ranking["pair"]],
                "id": ranking["pair"],
                "index": ranking["index"].round(1),
                "relations": ranking["relation_points"].round(2),
                "events": ranking["event_points"].round(2),
                "event count": ranking["events"],
            }
        )
        self._ranking.value = shown
        pairs = list(self.filters.pairs) or list(ranking["pair"].head(5))
        over_time = analyses.alignment_over_time(
            self.dataset, self.filters, pairs, self.controls.weights()
        )
        self._chart.object = alignment_figure(over_time, names=names)
        self._explain(self._picked or (pairs[0] if pairs else None))

    def _explain(self, pair: str | None) -> None:
        if not pair:
            self._explained.object = ""
            return
        table = analyses.alignment_explained(
            self.dataset, self.filters, pair, self.controls.weights()
        )
        row = self.ranking.set_index("pair")
        index = row["index"].get(pair, 50.0)
        self._explained.object = alignment_html(pair_name(pair, self.dataset.names), index, table)

    def _on_pick(self, event) -> None:
        if event.new:
            value = self._ranking.value
            if 0 <= event.new[0] < len(value):
                self._picked = str(value["id"].iloc[event.new[0]])
                self._explain(self._picked)

    def _on_weight(self, _event) -> None:
        self.controls.relations = {t: float(w.value or 0) for t, w in self._weights.items()}

    def _show_error(self) -> None:
        self._ranking.value = pd.DataFrame()

    @param.depends(*PAIRS_DEPENDS, *on_filters("as_of"), "controls.relations",
                   "controls.per_event_point", "controls.lookback", "controls.scale",
                   watch=True)  # fmt: skip
    def _on_filters(self) -> None:
        self.update()


class PledgesView(ChartView):
    """What was pledged or ordered against what was delivered, per supplier and recipient."""

    _height = 340
    _css_class = "al-pledges"

    def spec(self) -> Spec:
        frame = analyses.pledged_and_delivered(self.dataset, self.filters)
        return pledges_figure(frame, names=self.dataset.names, height=self._height)

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_filters(self) -> None:
        self.update()


class RunningView(ChartView):
    """Running estimates (containers shipped, troops sent) as lines over time."""

    _css_class = "al-running"

    def spec(self) -> Spec:
        return running_figure(analyses.running_estimates(self.dataset, self.filters))

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_filters(self) -> None:
        self.update()


def pair_options(dataset, filters) -> dict[str, str]:
    """Picker label -> pair id for the pairs the selection holds (busiest first), and the
    chosen ones."""
    sel = query.select(dataset, filters)
    pairs = list(sel.pair_counts.index[:200])
    pairs += [p for p in filters.pairs if p not in pairs]
    return {option_label(f"{pair_name(p, dataset.names)} ({p})"): p for p in pairs}


class AnalysisPanel(FilteredViewer):
    """Everything in the Analysis tab, for the dashboard or a notebook cell."""

    active = param.Boolean(default=True, doc="Whether the tab is on screen.")

    def __init__(self, **params):
        super().__init__(**params)
        shared = {**self.shared, "active": self.active}
        self._options_stale = False
        self.rule = ShiftRule()
        self.pairs = pn.widgets.MultiChoice.from_param(
            self.filters.param.pairs,
            label="Pairs",
            options=pair_options(self.dataset, self.filters),
            placeholder="The busiest pairs",
            search_option_limit=12,
            sizing_mode="stretch_width",
            css_classes=["al-pairs"],
        )
        self.temperature = PairTemperatureView(**shared, rule=self.rule)
        self.table = TemperatureTable(**shared)
        self.shifts = ShiftsView(**shared, rule=self.rule)
        self.alignment = AlignmentView(**shared)
        self.pledges = PledgesView(**shared)
        self.running = RunningView(**shared)
        self._views = (self.temperature, self.table, self.shifts, self.alignment, self.pledges,
                       self.running)  # fmt: skip
        rule = pn.Param(
            self.rule, show_name=False, parameters=["baseline", "threshold", "min_events", "floor"],
            widgets={"baseline": pn.widgets.IntInput, "threshold": pn.widgets.FloatInput,
                     "min_events": pn.widgets.IntInput, "floor": pn.widgets.FloatInput},
        )  # fmt: skip
        self._layout = pn.Column(
            pn.pane.HTML("<h3>Relationship temperature</h3>"),
            self.pairs,
            self.temperature,
            self.table,
            pn.pane.HTML("<h3>What shifted</h3><p class='muted'>Quarters whose score departs "
                         "from the pair's own trailing baseline by more than the threshold.</p>"),
            pn.Card(rule, title="Method", collapsed=True, sizing_mode="stretch_width"),
            self.shifts,
            pn.pane.HTML("<h3>Alignment index</h3>"),
            self.alignment,
            pn.pane.HTML("<h3>Pledged, ordered and delivered</h3>"),
            self.pledges,
            pn.pane.HTML("<h3>Running estimates</h3>"),
            self.running,
            sizing_mode="stretch_width",
            css_classes=["al-analysis"],
        )  # fmt: skip

    @param.depends("active", watch=True)
    def _on_active(self) -> None:
        for view in self._views:
            view.active = self.active
        if self.active and self._options_stale:
            self._on_selection()

    @param.depends(*SELECTION_DEPENDS, watch=True)
    def _on_selection(self) -> None:
        """The pair picker offers the selection's pairs: kept in step while the tab is shown,
        brought up to date when it is opened (a hidden picker is neither computed nor sent)."""
        self._options_stale = not self.active
        if self.active:
            self.pairs.options = pair_options(self.dataset, self.filters)

    def __panel__(self):
        return self._layout
