"""What a session must show: the dataset on this side, and each session's plan of changes.

The :class:`Oracle` answers with ``alliances.select`` what a set of filters shows (KPI cards,
the table's count, the link's query); :func:`plan` gives session ``index`` its own deep link
(an actor no other session starts with) and a series of one-widget changes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

KPI_CARD = re.compile(
    r'<div class="kpi-value">(.*?)</div><div class="kpi-label">(.*?)</div>', re.DOTALL
)


@dataclass(frozen=True)
class Shown:
    """What a session shows: the KPI cards, the table's count, the link's query."""

    kpis: dict[str, str]
    count: int | None
    query: dict[str, str]


def kpi_cards(text: str) -> dict[str, str]:
    """KPI label -> value, from the KPI pane's HTML."""
    return {html.unescape(k): html.unescape(v) for v, k in KPI_CARD.findall(text)}


def deep_link(values: dict) -> dict[str, str]:
    """The query string of a link to these filters."""
    from alliances import Filters, state

    return state.to_query(Filters(**values))


class Oracle:
    """The dataset on the client side: widget labels, and what a set of filters must show."""

    def __init__(self, data: Path | None):
        import alliances
        from alliances.views.controls import actor_options, vocabulary_options

        self.dataset = ds = alliances.load_dataset(data)
        self.actor_label = {v: k for k, v in actor_options(ds).items()}
        self.type_label = {v: k for k, v in vocabulary_options(ds.event_types).items()}
        self.type_text = ds.event_type_labels
        events = ds.events
        busy = sum(
            events[column].astype(object).value_counts().reindex(ds.actor_ids, fill_value=0)
            for column in ("actor_1", "actor_2")
        )
        ranked = busy.sort_values(ascending=False, kind="stable")
        # the busiest first; then the quiet ones, so that sessions get distinct actors
        self.actors = [str(a) for a in ranked.index]
        per_type = events["event_type"].astype(object).value_counts()
        self.types = [str(t) for t in per_type.index if per_type[t] > 0]
        first, last = ds.span
        self.days = [dt.date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
        self._cache: dict[tuple, Shown] = {}

    def expected(self, values: dict) -> Shown:
        """What ``alliances.select`` gives for these filter values (cached per values)."""
        import alliances
        from alliances import query, state
        from alliances.fragments import kpis_html

        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))
        if key not in self._cache:
            filters = alliances.Filters(**values)
            sel = alliances.select(self.dataset, filters)
            cards = kpi_cards(kpis_html(query.kpis(sel.events), self.type_text, len(sel.relations)))
            self._cache[key] = Shown(cards, len(sel.events), state.to_query(filters))
        return self._cache[key]


@dataclass(frozen=True)
class Change:
    """One filter change: the widget (by CSS class), its model value, the filter values after."""

    widget: str
    value: object
    values: dict


def plan(oracle: Oracle, index: int, changes: int) -> tuple[dict, list[Change]]:
    """A session's deep link and its ``changes`` one-widget changes, all different."""
    own = oracle.actors[index % len(oracle.actors)]
    values: dict = {"actors": [own]}
    start = dict(values)
    steps = []
    types, days, others = oracle.types, oracle.days, oracle.actors
    for k in range(changes):
        values = dict(values)
        turn, step = k % 4, k // 4
        if turn == 0 and types:
            pick = [types[(index + step) % len(types)]]
            if values.get("event_types") == pick:
                pick = [types[(index + step + 1) % len(types)]]
            values["event_types"] = pick
            value = [oracle.type_label[t] for t in pick]
            steps.append(Change("al-event-types", value, values))
        elif turn == 1:
            values["include_partners"] = not values.get("include_partners", False)
            steps.append(Change("al-partners", values["include_partners"], values))
        elif turn == 2 and days:
            day = days[(index + step) % len(days)]
            if values.get("start") == day:
                day = days[(index + step + 1) % len(days)]
            values["start"] = day
            steps.append(Change("al-start", day.isoformat(), values))
        else:
            other = others[(index + step + 1) % len(others)]
            if values["actors"] == [own] and other != own:
                values["actors"] = [own, other]
            else:
                values["actors"] = [own]
            value = [oracle.actor_label[a] for a in values["actors"]]
            steps.append(Change("al-actors", value, values))
    return start, steps
