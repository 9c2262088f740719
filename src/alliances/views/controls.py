"""The filter panel: widgets made from the Filters parameters, with the dataset's options."""

from __future__ import annotations

import datetime as dt
import html

import panel as pn

from ..dataset import Dataset
from ..state import Filters
from .base import FilteredViewer
from .compat import LabelledCheckbox, TypableDatePicker

LINK_LABELS = {"Any of them": "any", "Between them": "between", "First → others": "from"}
"""The choices of ``Filters.link``, as the filter panel words them."""

CHIPS_CSS = """
.choices__list--multiple .choices__item { word-break: normal; overflow-wrap: anywhere; }
"""
"""Actor and type chips wrap between words, not inside them."""


def option_label(text: object) -> str:
    """An option label for Bokeh's MultiChoice, which hands labels to Choices.js as HTML
    (``allowHTML`` is on by default): escaped, so dataset text shows as text and runs nothing."""
    return html.escape(str(text), quote=True)


def actor_options(dataset: Dataset) -> dict[str, str]:
    """Picker label -> id. Labels hold the name, id and aliases, so any of them finds the actor."""
    options = {}
    for row in dataset.actors.itertuples(index=False):
        aliases = [] if not isinstance(row.aliases, str) else row.aliases.split(";")
        extra = ", ".join(a.strip() for a in aliases if a.strip())
        label = f"{row.name} ({row.id})" + (f" · {extra}" if extra else "")
        options[option_label(label)] = row.id
    return dict(sorted(options.items(), key=lambda kv: kv[0].lower()))


def vocabulary_options(frame) -> dict[str, str]:
    """Label -> id for a vocabulary (event or relation types), labels escaped."""
    return {option_label(label): i for label, i in zip(frame["label"], frame["id"], strict=True)}


def _choice(parameter, options: dict[str, str]) -> pn.widgets.MultiChoice:
    """A searchable multi-select for one list filter: "Event types" for ``event_types``, an
    empty choice meaning all of them, and an ``al-event-types`` class for tests and styles."""
    words = parameter.name.replace("_", " ")
    return pn.widgets.MultiChoice.from_param(
        parameter,
        label=words.capitalize(),
        options=options,
        placeholder=f"All {words}",
        sizing_mode="stretch_width",
        stylesheets=[CHIPS_CSS],
        css_classes=[f"al-{parameter.name.replace('_', '-')}"],
    )


class DateField(pn.viewable.Viewer):
    """A date filter (``start`` or ``end``) as a field that takes typed dates and a calendar."""

    def __init__(self, filters: Filters, name: str, label: str):
        super().__init__()
        self._filters, self._name = filters, name
        self.widget = TypableDatePicker(
            label=label,
            value=_midnight(getattr(filters, name)),
            description="Type a date as YYYY-MM-DD, or pick one in the calendar",
            sizing_mode="stretch_width",
            css_classes=[f"al-{name}"],
        )
        self.widget.param.watch(self._from_widget, "value")
        filters.param.watch(self._from_filters, name)

    def _from_widget(self, event) -> None:
        day = event.new.date() if isinstance(event.new, dt.datetime) else event.new
        if getattr(self._filters, self._name) != day:
            setattr(self._filters, self._name, day)

    def _from_filters(self, event) -> None:
        if self.widget.value != _midnight(event.new):
            self.widget.value = _midnight(event.new)

    def __panel__(self) -> pn.viewable.Viewable:
        return self.widget


def _midnight(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime(day.year, day.month, day.day)


class FilterPanel(FilteredViewer):
    """Every filter in one column, bound two-way to one :class:`Filters` object."""

    def __init__(self, **params):
        super().__init__(**params)
        ds, f = self.dataset, self.filters
        self.start = DateField(f, "start", "From")
        self.end = DateField(f, "end", "To")
        self.actors = pn.widgets.MultiChoice.from_param(
            f.param.actors,
            label="Actors",
            options=actor_options(ds),
            placeholder="Search by name, code or alias",
            search_option_limit=12,
            sizing_mode="stretch_width",
            stylesheets=[CHIPS_CSS],
            css_classes=["al-actors"],
        )
        self.link = pn.widgets.RadioButtonGroup.from_param(
            f.param.link,
            options=LINK_LABELS,
            color="light",
            sizing_mode="stretch_width",
            description="Which events of the chosen actors: any, only those between two or more "
            "of them, or those from the first chosen actor to the others",
            css_classes=["al-link"],
        )
        self.partners = LabelledCheckbox(
            f.param.include_partners,
            "Include their direct partners",
            css_classes=["al-partners"],
        )
        regions = {option_label(r): r for r in ds.regions}
        self.event_types = _choice(f.param.event_types, vocabulary_options(ds.event_types))
        self.relation_types = _choice(f.param.relation_types, vocabulary_options(ds.relation_types))
        self.regions = _choice(f.param.regions, regions)
        self.search = pn.widgets.TextInput.from_param(
            f.param.search,
            label="Search titles and descriptions",
            placeholder="e.g. munitions",
            sizing_mode="stretch_width",
            css_classes=["al-search"],
        )
        self.reset = pn.widgets.Button(
            label="Reset filters", color="light", css_classes=["al-reset"]
        )
        self.reset.on_click(lambda _: f.reset())
        self._layout = pn.Column(
            pn.FlexBox(self.start, self.end, flex_wrap="nowrap", sizing_mode="stretch_width"),
            self.actors,
            self.link,
            self.partners,
            self.event_types,
            self.relation_types,
            self.regions,
            self.search,
            self.reset,
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        return self._layout
