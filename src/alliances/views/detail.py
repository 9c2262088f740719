"""The detail card: the selected event in full, or else the actor clicked in the network."""

from __future__ import annotations

import param

from ..fragments import CSS, actor_html, detail_html
from .base import SELECTION_DEPENDS, HTMLView, on_filters


class EventDetail(HTMLView):
    """The selected event (``filters.event``), else the selected actor (``filters.actor``):
    source first, every other field below, links for every web address."""

    _css_class = "al-detail"
    _stylesheets = (CSS,)

    def html(self) -> str:
        f = self.filters
        if f.event or not f.actor:
            return detail_html(self.dataset, f.event)
        return actor_html(self.dataset, f, f.actor)

    @param.depends(*on_filters("event", "actor"), watch=True)
    def _on_choice(self) -> None:
        self.update()

    @param.depends(*SELECTION_DEPENDS, *on_filters("as_of"), watch=True)
    def _on_selection(self) -> None:
        if self.filters.actor and not self.filters.event:  # the actor card lists the selection
            self.update()
