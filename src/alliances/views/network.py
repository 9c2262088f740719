"""The network view: relations in force on a date, with a year-by-year player."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import panel as pn
import param

from .. import query
from ..figures import Spec, network_for
from .base import SELECTION_DEPENDS, ChartView, on_filters

PLAY_MS = 1200
"""How long the player shows each year."""


class NetworkView(ChartView):
    """Actors as nodes, relations in force as edges; click a node to see that actor.

    The "As of" slider moves the network's date year by year within the window; First,
    Previous, Play and Next step through it (named buttons, so a screen reader says what they
    do), and the label always says the exact date drawn.
    """

    _height = 500
    _css_class = "al-network"

    def _build(self):
        pane = super()._build()
        pane.param.watch(self._on_click, "click_data")
        self._size = pn.widgets.Select.from_param(
            self.filters.param.centrality, label="Node size", width=150, margin=(5, 10)
        )
        self._year = pn.widgets.IntSlider(
            label="As of (year)", start=2000, end=2001, value=2001, width=200, margin=(5, 10),
            css_classes=["al-year"],
        )  # fmt: skip
        self._year.param.watch(self._on_year, "value_throttled")
        self._date = pn.pane.HTML("", margin=(14, 4, 0, 4), css_classes=["al-asof"])
        buttons = []
        for label, step in (("First", "first"), ("Previous", -1), ("Play", "play"), ("Next", 1)):
            button = pn.widgets.Button(
                label=label, color="light", width=74, margin=(18, 2, 0, 2),
                description=f"{label} year of the network", css_classes=[f"al-{label.lower()}"],
            )  # fmt: skip
            button.on_click(lambda _, step=step: self._step(step))
            buttons.append(button)
        self._play_button = buttons[2]
        self._playing: pn.io.PeriodicCallback | None = None
        # the slider with its date, and the buttons, each wrap as one piece on a narrow screen
        controls = pn.FlexBox(
            self._size,
            pn.Row(self._year, self._date),
            pn.Row(*buttons, css_classes=["al-player"]),
            flex_wrap="wrap", align_items="flex-start", sizing_mode="stretch_width",
        )  # fmt: skip
        return pn.Column(controls, pane, sizing_mode="stretch_width")

    # the date the network is drawn for
    @property
    def as_of(self) -> pd.Timestamp:
        return query.as_of(self.dataset, self.filters)

    @property
    def relations_in_force(self) -> pd.DataFrame:
        return query.relations_in_force(self.dataset, self.filters)

    def spec(self) -> Spec:
        return network_for(self.dataset, self.filters)

    def _refresh(self) -> None:
        w = query.window(self.dataset, self.filters)
        when = self.as_of
        first, last = w.start.year, max(w.end.year, w.start.year + 1)  # a slider needs a span
        year = min(max(when.year, first), last)
        self._year.param.update(start=first, end=last, value=year)
        self._date.object = (
            f"<span title='the date the network is drawn for'>{when:%Y-%m-%d}</span>"
        )
        super()._refresh()

    @param.depends(*SELECTION_DEPENDS, *on_filters("as_of", "centrality"), watch=True)
    def _on_filters(self) -> None:
        self.update()

    def _on_year(self, event) -> None:
        """The slider moved: draw the network at the end of that year (or of the window)."""
        if not isinstance(event.new, int) or event.new == self.as_of.year:
            return  # the slider only followed the filters
        w = query.window(self.dataset, self.filters)
        day = min(dt.date(event.new, 12, 31), w.end.date())
        self.filters.as_of = max(day, w.start.date())

    def _step(self, step: int | str) -> None:
        if step == "play":
            self._toggle_play()
            return
        self._stop()
        w = query.window(self.dataset, self.filters)
        if step == "first":
            year = w.start.year
        else:
            year = min(max(self.as_of.year + int(step), w.start.year), w.end.year)
        day = min(dt.date(year, 12, 31), w.end.date())
        self.filters.as_of = max(day, w.start.date())

    def _toggle_play(self) -> None:
        if self._playing is not None:
            self._stop()
            return
        w = query.window(self.dataset, self.filters)
        if self.as_of.year >= w.end.year:  # at the end: play from the start
            self.filters.as_of = min(dt.date(w.start.year, 12, 31), w.end.date())
        self._play_button.label = "Pause"
        self._playing = pn.state.add_periodic_callback(self._tick, period=PLAY_MS)

    def _tick(self) -> None:
        w = query.window(self.dataset, self.filters)
        if self.as_of.year >= w.end.year:
            self._stop()
            return
        self._step_forward()

    def _step_forward(self) -> None:
        w = query.window(self.dataset, self.filters)
        year = self.as_of.year + 1
        self.filters.as_of = min(dt.date(year, 12, 31), w.end.date())

    def _stop(self) -> None:
        if self._playing is not None:
            self._playing.stop()
            self._playing = None
        self._play_button.label = "Play"

    def _on_click(self, event) -> None:
        points = (event.new or {}).get("points") or []
        actor = points[0].get("customdata") if points else None
        if isinstance(actor, str) and actor in self.dataset.names:
            self.filters.param.update(actors=[actor], actor=actor, event="")
