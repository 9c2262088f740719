"""Panel views at model level (no server, no browser): build, render, change filters, check.

Each test renders a view with ``pn.panel(view).get_root(Document())``, changes the shared
:class:`Filters` (or a pane, as a click would), and checks the same Bokeh model or pane.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import panel as pn
import param
import pytest
from bokeh.document import Document
from panel.models.plotly import PlotlyPlot
from panel.models.tabulator import DataTabulator

from alliances import query
from alliances.app import Dashboard, dashboard
from alliances.dataset import Dataset
from alliances.fragments import link
from alliances.state import Filters
from alliances.views import (
    AboutPanel,
    ChangesView,
    EventDetail,
    EventsTable,
    FilterPanel,
    KpiView,
    MetricsView,
    NetworkView,
    RankingView,
    TemperatureView,
    TimelineView,
)
from alliances.views.table import PAGE_SIZE
from unit_helpers import (
    HOSTILE,
    SMALL,
    actor,
    build,
    event,
    hostile_dataset,
    small,
    trace_values,
)

pytestmark = pytest.mark.usefixtures("fresh_panel_state")


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return small()


@pytest.fixture
def filters() -> Filters:
    return Filters()


def render(view):
    """The view's layout and its Bokeh root model, as a browser session would get them."""
    layout = pn.panel(view)
    return layout, layout.get_root(Document())


def plotly_model(root) -> PlotlyPlot:
    (model,) = root.select({"type": PlotlyPlot})
    return model


def page_html(root) -> str:
    """The HTML a pane's model carries (Panel sends it escaped)."""
    return html.unescape(root.text)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._classes: list[str] = []
        self.by_class: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._classes.append(attrs.get("class") or "")

    def handle_endtag(self, tag):
        if self._classes:
            self._classes.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._classes and self._classes[-1]:
            self.by_class.setdefault(self._classes[-1], []).append(data)


def parse(markup: str) -> _Page:
    page = _Page()
    page.feed(markup)
    page.close()
    return page


def visible_text(markup: str) -> str:
    return " ".join("".join(parse(markup).text).split())


def assert_harmless(markup: str) -> None:
    """What a browser would build from ``markup`` holds no element or link that runs script."""
    page = parse(markup)
    for tag, attrs in page.tags:
        assert tag not in ("img", "svg", "script", "iframe"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith("javascript:"), (tag, attrs)


def kpi_cards(root) -> dict[str, str]:
    page = parse(page_html(root))
    return dict(zip(page.by_class["kpi-label"], page.by_class["kpi-value"], strict=True))


# --------------------------------------------------------------------------- network


def test_network_nodes_follow_the_actor_filter(ds, filters):
    layout, root = render(NetworkView(filters=filters, dataset=ds))
    model = plotly_model(root)
    assert sorted(trace_values(model, "customdata", "actors")) == [
        "KOR", "PRK", "RUS", "UKR", "USA",
    ]  # fmt: skip
    filters.actors = ["USA"]
    assert sorted(trace_values(model, "customdata", "actors")) == ["KOR", "RUS", "USA"]
    (pane,) = layout.select(pn.pane.Plotly)
    assert sorted(pane.object["data"][-1]["customdata"]) == ["KOR", "RUS", "USA"]


def test_network_is_drawn_as_of_the_chosen_date(ds, filters):
    _, root = render(NetworkView(filters=filters, dataset=ds))
    model = plotly_model(root)
    assert model.layout["title"]["text"] == "Relations in force on 2024-06-19"
    filters.as_of = dt.date(1970, 1, 1)
    assert model.layout["title"]["text"] == "Relations in force on 1970-01-01"
    assert sorted(trace_values(model, "customdata", "actors")) == ["KOR", "PRK", "RUS", "USA"]


def year_controls(layout) -> tuple[pn.widgets.IntSlider, pn.pane.HTML, dict]:
    (slider,) = layout.select(pn.widgets.IntSlider)
    (shown,) = [p for p in layout.select(pn.pane.HTML) if "al-asof" in p.css_classes]
    buttons = {b.label: b for b in layout.select(pn.widgets.Button)}
    return slider, shown, buttons


def release(slider: pn.widgets.IntSlider, year: int) -> None:
    """What the browser sends when the slider's handle is let go at ``year``."""
    with param.edit_constant(slider):
        slider.param.update(value=year, value_throttled=year)


def test_network_year_slider_sets_the_as_of_date(ds, filters):
    filters.param.update(start=dt.date(2020, 3, 1), end=dt.date(2024, 6, 19))
    layout, _ = render(NetworkView(filters=filters, dataset=ds))
    slider, shown, _ = year_controls(layout)
    assert (slider.start, slider.end, slider.value) == (2020, 2024, 2024)
    assert "2024-06-19" in shown.object  # the date drawn, not only its year
    release(slider, 2022)
    assert filters.as_of == dt.date(2022, 12, 31)
    assert "2022-12-31" in shown.object
    release(slider, 2024)  # the last year ends with the window
    assert filters.as_of == dt.date(2024, 6, 19)


def test_the_year_slider_follows_a_new_window(ds, filters):
    """It once kept the old range and year until play was pressed."""
    layout, _ = render(NetworkView(filters=filters, dataset=ds))
    slider, shown, _ = year_controls(layout)
    filters.end = dt.date(2020, 12, 31)
    assert (slider.end, slider.value) == (2020, 2020)
    assert "2020-12-31" in shown.object
    filters.start = dt.date(2015, 1, 1)
    assert (slider.start, slider.end) == (2015, 2020)


def test_named_buttons_step_through_the_years(ds, filters):
    filters.param.update(start=dt.date(2020, 3, 1), end=dt.date(2024, 6, 19))
    layout, _ = render(NetworkView(filters=filters, dataset=ds))
    slider, _, buttons = year_controls(layout)
    assert list(buttons) == ["First", "Previous", "Play", "Next"]
    buttons["First"].clicks += 1
    assert filters.as_of == dt.date(2020, 12, 31)
    assert slider.value == 2020
    buttons["Next"].clicks += 1
    assert filters.as_of == dt.date(2021, 12, 31)
    buttons["Previous"].clicks += 1
    buttons["Previous"].clicks += 1  # not before the window's first year
    assert filters.as_of == dt.date(2020, 12, 31)


def test_a_click_on_a_node_focuses_on_that_actor(ds, filters):
    layout, root = render(NetworkView(filters=filters, dataset=ds))
    filters.event = "e1"
    (pane,) = layout.select(pn.pane.Plotly)
    pane.click_data = {"points": [{"curveNumber": 6, "pointNumber": 0, "customdata": "USA"}]}
    assert filters.actors == ["USA"]
    assert filters.event == ""
    assert sorted(trace_values(plotly_model(root), "customdata", "actors")) == [
        "KOR", "RUS", "USA",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "click",
    [
        {"points": [{"customdata": "ATLANTIS"}]},
        {"points": [{"x": 0.1, "y": 0.2}]},
        {"points": []},
        {},
    ],
)
def test_a_click_elsewhere_changes_nothing(ds, filters, click):
    layout, _ = render(NetworkView(filters=filters, dataset=ds))
    (pane,) = layout.select(pn.pane.Plotly)
    pane.click_data = click
    assert filters.actors == []


# --------------------------------------------------------------------------- timeline


def test_timeline_points_follow_the_filters(ds, filters):
    _, root = render(TimelineView(filters=filters, dataset=ds))
    model = plotly_model(root)
    assert sorted(trace_values(model, "customdata")) == ["e1", "e2", "e3", "e4", "e5", "e6"]
    filters.actors = ["USA"]
    assert trace_values(model, "customdata") == ["e6"]
    filters.param.update(actors=[], start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
    assert sorted(trace_values(model, "customdata")) == ["e3", "e4"]


def test_timeline_lanes_switch_to_pairs(ds, filters):
    _, root = render(TimelineView(filters=filters, dataset=ds))
    model = plotly_model(root)
    assert "Leader summit" in trace_values(model, "y")
    filters.lanes = "pair"
    lanes = {y for y in trace_values(model, "y") if y is not None}
    assert lanes == {"PRK–RUS", "UKR–USA"}


def test_a_click_on_the_timeline_opens_the_event(ds, filters):
    layout, root = render(TimelineView(filters=filters, dataset=ds))
    (pane,) = layout.select(pn.pane.Plotly)
    pane.click_data = {"points": [{"customdata": "e3", "x": "2024-03-18"}]}
    assert filters.event == "e3"
    # the selected event is drawn larger in the same model
    model = plotly_model(root)
    sizes = dict(
        zip(trace_values(model, "customdata"), trace_values(model, "marker.size"), strict=True)
    )
    assert sizes["e3"] > sizes["e4"]


def test_a_timeline_click_without_an_event_changes_nothing(ds, filters):
    layout, _ = render(TimelineView(filters=filters, dataset=ds))
    (pane,) = layout.select(pn.pane.Plotly)
    pane.click_data = {"points": [{"x": "2024-03-18"}]}
    assert filters.event == ""


@pytest.fixture
def busy(tmp_path: Path) -> Dataset:
    """3,000 single-day events, one a day from 2015: more than the timeline draws one by one."""
    days = pd.date_range("2015-01-01", periods=3000, freq="D")
    return build(
        tmp_path,
        actors=[actor("A"), actor("B")],
        events=[event(f"b{i}", f"{d:%Y-%m-%d}", "visit", "A", "B") for i, d in enumerate(days)],
    )


def test_zooming_a_binned_timeline_brings_events_back(busy, filters):
    layout, root = render(TimelineView(filters=filters, dataset=busy))
    model = plotly_model(root)
    assert [t["type"] for t in model.data] == ["heatmap"]
    (pane,) = layout.select(pn.pane.Plotly)
    pane.relayout_data = {
        "xaxis.range[0]": "2016-01-01 00:00:00",
        "xaxis.range[1]": "2016-02-01 00:00:00",
    }
    ids = trace_values(model, "customdata")
    assert len(ids) == 31
    assert "b365" in ids  # 2016-01-01
    pane.relayout_data = {"xaxis.autorange": True}
    assert [t["type"] for t in model.data] == ["heatmap"]


# --------------------------------------------------------------------------- table and detail


def table_model(root) -> DataTabulator:
    (model,) = root.select({"type": DataTabulator})
    return model


def test_table_rows_follow_the_filters(ds, filters):
    layout, root = render(EventsTable(filters=filters, dataset=ds))
    model = table_model(root)
    assert sorted(model.source.data["Id"]) == ["e1", "e2", "e3", "e4", "e5", "e6"]
    filters.actors = ["USA"]
    assert list(model.source.data["Id"]) == ["e6"]
    assert list(model.source.data["Date"]) == ["2024-06-13 – 2024-06-15"]
    assert list(model.source.data["Event"]) == ["ERA loans"]
    assert list(model.source.data["Actors"]) == ["United States → Ukraine"]
    counts = [p for p in layout.select(pn.pane.HTML) if "events match" in str(p.object)]
    assert [visible_text(p.object) for p in counts] == ["1 events match the filters"]


def test_table_writes_dates_at_their_precision(ds, filters):
    _, root = render(EventsTable(filters=filters, dataset=ds))
    data = table_model(root).source.data
    dates = dict(zip(data["Id"], data["Date"], strict=True))
    assert dates["e5"] == "2023-08"
    assert dates["e3"] == "2024-03-18"


def test_selecting_a_table_row_opens_the_event(ds, filters):
    layout, _ = render(EventsTable(filters=filters, dataset=ds))
    (table,) = layout.select(pn.widgets.Tabulator)
    row = list(table.value["Id"]).index("e4")
    table.selection = [row]
    assert filters.event == "e4"


# the bundled dataset's events fill more than three pages and a shorter last one


@pytest.fixture(scope="module", params=["memory", "engine"])
def paged(request, tmp_path_factory) -> tuple[Dataset, Dataset]:
    """The bundled events on one path, and on the in-memory path to compare with: the table
    pages through both with one code path."""
    from alliances.convert import convert
    from alliances.dataset import bundled_path, load_dataset

    memory = load_dataset(bundled_path(), cache=False)
    if request.param == "memory":
        return memory, memory
    folder = tmp_path_factory.mktemp("paged") / "data"
    convert(bundled_path(), folder, rollups=False)
    large = load_dataset(folder, engine="duckdb", cache=False)
    assert large.store is not None
    return large, memory


def in_order(events: pd.DataFrame, by: str = "date") -> list[str]:
    """Event ids as the table lists them: largest (latest) first, missing values last, ties
    by date, then by id."""
    keys = ["date", "id"] if by == "date" else [by, "date", "id"]
    ordered = events.assign(id=events["event_id"].astype(str)).sort_values(
        keys, ascending=False, na_position="last", kind="stable"
    )
    return list(ordered["id"])


def pager(layout) -> dict[str, pn.widgets.Button]:
    return {b.label: b for b in layout.select(pn.widgets.Button)}


def page_line(layout) -> str:
    (where,) = [p for p in layout.select(pn.pane.HTML) if "al-page" in p.css_classes]
    return visible_text(where.object)


def shown_ids(root) -> list[str]:
    return list(table_model(root).source.data["Id"])


def test_the_table_sends_one_page_and_pages_through_every_event(paged, filters):
    ds, memory = paged
    expected = in_order(query.select(memory, filters).events)
    n = len(expected)
    size = PAGE_SIZE
    pages, last = -(-n // size), (n - 1) // size * size  # how many; where the last starts
    assert pages > 3
    assert n % size  # a shorter last page
    view = EventsTable(filters=filters, dataset=ds)
    layout, root = render(view)
    turn = pager(layout)
    assert shown_ids(root) == expected[:size]  # the latest first, and only them
    assert page_line(layout) == f"Page 1 of {pages}"
    assert [turn[b].disabled for b in ("First", "Previous", "Next", "Last")] == [1, 1, 0, 0]
    turn["Next"].clicks += 1
    assert shown_ids(root) == expected[size : 2 * size]  # the second page
    assert page_line(layout) == f"Page 2 of {pages}"
    assert [turn[b].disabled for b in ("First", "Previous", "Next", "Last")] == [0, 0, 0, 0]
    turn["Last"].clicks += 1
    assert shown_ids(root) == expected[last:]  # the final few
    assert page_line(layout) == f"Page {pages} of {pages}"
    assert [turn[b].disabled for b in ("First", "Previous", "Next", "Last")] == [0, 0, 1, 1]
    turn["Previous"].clicks += 1
    assert shown_ids(root) == expected[last - size : last]
    turn["First"].clicks += 1
    assert shown_ids(root) == expected[:size]
    counts = [p for p in layout.select(pn.pane.HTML) if "al-count" in p.css_classes]
    assert visible_text(counts[0].object) == f"{n:,} events match the filters"


def test_sorting_by_magnitude_shows_the_largest_first(paged, filters):
    ds, memory = paged
    events = query.select(memory, filters).events
    view = EventsTable(filters=filters, dataset=ds)
    layout, root = render(view)
    pager(layout)["Next"].clicks += 1
    (sort,) = [w for w in layout.select(pn.widgets.Select) if w.label == "Sort by"]
    assert list(sort.options) == ["Date", "Type", "Actor 1", "Actor 2", "Magnitude", "Score"]
    sort.value = "magnitude"
    assert view.page == 1  # another order: its first page
    ids = shown_ids(root)
    assert ids == in_order(events, "magnitude")[:PAGE_SIZE]
    largest = events.loc[events["magnitude"].idxmax()]
    assert ids[0] == largest["event_id"]
    (direction,) = layout.select(pn.widgets.RadioButtonGroup)
    direction.value = False  # ascending: the unknown magnitudes first, then the smallest
    assert shown_ids(root) == in_order(events, "magnitude")[::-1][:PAGE_SIZE]


def test_a_filter_change_returns_the_table_to_its_first_page(paged, filters):
    ds, memory = paged
    view = EventsTable(filters=filters, dataset=ds)
    layout, root = render(view)
    pager(layout)["Last"].clicks += 1
    assert view.page == -(-len(in_order(query.select(memory, filters).events)) // PAGE_SIZE)
    filters.actors = ["PRK"]
    prk = in_order(query.select(memory, filters).events)
    assert view.page == 1
    assert shown_ids(root) == prk[:PAGE_SIZE]
    assert page_line(layout) == f"Page 1 of {-(-len(prk) // PAGE_SIZE)}"


def test_clicking_a_row_on_page_2_opens_that_event(paged, filters):
    ds, memory = paged
    expected = in_order(query.select(memory, filters).events)
    layout, _ = render(EventsTable(filters=filters, dataset=ds))
    (table,) = layout.select(pn.widgets.Tabulator)
    table.selection = [4]  # the fifth row of page 1
    assert filters.event == expected[4]
    pager(layout)["Next"].clicks += 1
    assert table.selection == []  # that row is another event now
    table.selection = [4]  # the fifth row of page 2: the 20th event
    assert filters.event == expected[19]


def test_turning_a_page_or_sorting_recomputes_no_other_view(ds, filters, monkeypatch):
    timeline = TimelineView(filters=filters, dataset=ds)
    redrawn = []
    monkeypatch.setattr(timeline, "_refresh", lambda: redrawn.append("timeline"))
    changed = []
    filters.param.watch(lambda e: changed.append(e.name), [p for p in filters.param if p != "name"])
    view = EventsTable(filters=filters, dataset=ds)
    layout, _ = render(view)
    view.param.update(sort="score", descending=False)
    pager(layout)["Next"].clicks += 1
    pager(layout)["Last"].clicks += 1
    assert (redrawn, changed) == ([], [])


def test_a_hidden_table_sends_no_page_until_it_is_shown(ds, filters):
    view = EventsTable(filters=filters, dataset=ds, active=False)
    _, root = render(view)
    filters.actors = ["PRK"]
    view.sort = "magnitude"
    assert shown_ids(root) == []
    view.active = True
    prk = query.select(ds, filters).events
    assert shown_ids(root) == in_order(prk, "magnitude")


def test_table_download_is_the_filtered_events_in_the_public_format(ds, filters):
    filters.actors = ["PRK"]
    layout, _ = render(EventsTable(filters=filters, dataset=ds))
    (download,) = layout.select(pn.widgets.FileDownload)
    text = download.callback().getvalue()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    lines = text.splitlines()[len(comments) :]
    assert lines[0].startswith("event_id,date,end_date,event_type")
    assert [line.split(",")[0] for line in lines[1:] if line.startswith("e")] == [
        "e5", "e3", "e4", "e1", "e2",
    ]  # fmt: skip
    assert ",2023-08,," in text
    # what chose these rows: in the file name and in comment lines before the header
    assert download.filename.startswith("alliances-events_PRK_")
    assert download.filename.endswith(".csv")
    assert "# Actors: North Korea (PRK)" in comments
    assert "# link: ?actors=PRK" in comments


def test_export_files_are_named_after_the_filters_they_are_made_for(ds, filters):
    """The export buttons name their file when it is made (a filter change costs them
    nothing): the name says the filters of the moment of the click."""
    from alliances.views import BriefingExport

    layout, _ = render(BriefingExport(filters=filters, dataset=ds))
    buttons = {
        c: b for b in layout.select(pn.widgets.FileDownload) for c in b.css_classes
    }  # fmt: skip
    gexf = buttons["al-export-gexf"]
    filters.param.update(actors=["PRK"], start=dt.date(2024, 1, 1))
    data = gexf.callback().getvalue()
    assert data.startswith(b"<?xml")
    assert gexf.filename.startswith("alliances-network_PRK_2024-01-01_to_")
    assert gexf.filename.endswith(".gexf")
    filters.actors = ["USA"]
    buttons["al-export-xlsx"].callback()
    assert buttons["al-export-xlsx"].filename.startswith("alliances-workbook_USA_2024-01-01")


def test_table_shows_titles_as_plain_text_and_sources_as_safe_links(tmp_path: Path, filters):
    ds = hostile_dataset(tmp_path / "hostile")
    unsafe = dataclasses.replace(
        ds, events=ds.events.assign(source_url=["javascript:alert(1)", "https://ok.example/", None])
    )
    _, root = render(EventsTable(filters=filters, dataset=unsafe))
    model = table_model(root)
    columns = {c["field"]: c for c in model.configuration["columns"]}
    # only the source column is rendered as HTML; titles are plain text cells
    html_columns = [f for f, c in columns.items() if c.get("formatter") in ("html", "htmlTemplate")]
    assert html_columns == ["Source"]
    assert set(model.source.data["Event"]) == {HOSTILE}
    sources = list(model.source.data["Source"])
    for cell in sources:
        assert_harmless(cell)
    assert "&lt;img" in sources[0]
    assert "href" not in sources[0]  # the javascript: URL is not a link
    assert 'href="https://ok.example/"' in sources[1]


def test_detail_card_shows_the_chosen_event(ds, filters):
    _, root = render(EventDetail(filters=filters, dataset=ds))
    assert "Click an event" in visible_text(page_html(root))
    filters.event = "e6"
    text = visible_text(page_html(root))
    assert "ERA loans" in text
    assert "2024-06-13 – 2024-06-15" in text
    assert "United States (USA)" in text
    assert "Ukraine (UKR)" in text
    assert "50,000,000,000 USD" in text
    filters.event = "e2"
    text = visible_text(page_html(root))
    assert "Treaty signed" in text
    assert "Treaty on Comprehensive Strategic Partnership" in text
    assert 'href="https://example.org/a"' in page_html(root)


def test_detail_card_of_an_unknown_event_says_so(ds, filters):
    _, root = render(EventDetail(filters=filters, dataset=ds))
    filters.event = "nope<b>"
    assert "No event with id nope<b>." in visible_text(page_html(root))
    assert_harmless(page_html(root))


def test_detail_card_escapes_hostile_text(tmp_path: Path, filters):
    ds = hostile_dataset(tmp_path / "hostile")
    unsafe = dataclasses.replace(ds, events=ds.events.assign(source_url="javascript:alert(1)"))
    _, root = render(EventDetail(filters=filters, dataset=unsafe))
    for event_id in ("h1", "h2", "h3"):
        filters.event = event_id
        markup = page_html(root)
        assert_harmless(markup)
        assert "&lt;img src=x onerror=alert(1)&gt;" in markup
        assert HOSTILE in visible_text(markup)  # shown as text, as written


def test_link_makes_anchors_only_for_http_urls():
    assert link("javascript:alert(1)", "<b>Source</b>") == "&lt;b&gt;Source&lt;/b&gt;"
    assert link("JavaScript:alert(1)", "x") == "x"
    assert link("data:text/html,<script>", "x") == "x"
    assert link(None, None) == ""
    assert link(float("nan"), "AFP") == "AFP"
    anchor = link("https://example.org/a?b=1&c=2", "A & B")
    assert anchor.startswith('<a href="https://example.org/a?b=1&amp;c=2"')
    assert ">A &amp; B</a>" in anchor
    assert 'rel="noopener noreferrer"' in anchor


# --------------------------------------------------------------------------- metrics views


def test_kpi_cards_follow_the_filters(ds, filters):
    _, root = render(KpiView(filters=filters, dataset=ds))
    cards = kpi_cards(root)
    assert cards["Events"] == "6"
    assert cards["Relations"] == "5"
    assert cards["Arms or munitions transfer"] == "2"
    assert cards["Total USD"] == "50.0 bn"
    assert cards["Total containers"] == "7,000"
    filters.actors = ["USA"]
    cards = kpi_cards(root)
    assert cards["Events"] == "1"
    assert cards["Relations"] == "2"
    assert "Total containers" not in cards


def test_kpi_cards_escape_units(tmp_path: Path, filters):
    _, root = render(KpiView(filters=filters, dataset=hostile_dataset(tmp_path / "h")))
    assert_harmless(page_html(root))
    assert kpi_cards(root)[f"Total {HOSTILE}"] == "12"


def test_temperature_view_follows_the_focus(ds, filters):
    _, root = render(TemperatureView(filters=filters, dataset=ds))
    model = plotly_model(root)
    assert [t["name"] for t in model.data] == [
        "China – North Korea", "China – Russia", "North Korea – Russia", "Ukraine – United States"
    ]  # fmt: skip
    filters.actors = ["UKR"]
    assert [t["name"] for t in model.data] == ["Ukraine – United States"]
    filters.actors = ["KOR"]  # no event touches South Korea: nothing to chart
    assert model.data == []
    assert [a["text"] for a in model.layout["annotations"]] == [
        "No events between two actors for these filters"
    ]


def test_ranking_view_follows_centrality_and_window(ds, filters):
    _, root = render(RankingView(filters=filters, dataset=ds))
    model = plotly_model(root)
    assert trace_values(model, "customdata")[-1] == "RUS"  # most central, drawn on top
    assert model.layout["title"]["text"] == "Degree centrality on 2024-06-19"
    filters.centrality = "betweenness"
    assert model.layout["title"]["text"] == "Betweenness centrality on 2024-06-19"
    filters.end = dt.date(1970, 1, 1)
    assert sorted(trace_values(model, "customdata")) == ["KOR", "PRK", "RUS", "USA"]


def test_a_chart_the_change_leaves_as_it_was_is_not_sent_again(ds, filters):
    """Event types do not move the centrality ranking (relations in force): its models get no
    change at all. A change that does move it is sent."""
    doc = Document()
    view = RankingView(filters=filters, dataset=ds)
    root = pn.panel(view).get_root(doc)
    doc.add_root(root)
    mine = {m.id for m in root.references()}
    changed: list[str] = []
    doc.on_change(lambda event: changed.append(getattr(event, "attr", "")) if getattr(
        event, "model", None) is not None and event.model.id in mine else None)  # fmt: skip
    filters.event_types = ["summit"]
    assert changed == []
    filters.end = dt.date(1970, 1, 1)
    assert "data" in changed or "_render_count" in changed
    assert sorted(trace_values(plotly_model(root), "customdata")) == ["KOR", "PRK", "RUS", "USA"]


def test_changes_view_lists_what_began_and_ended(ds, filters):
    layout, _ = render(ChangesView(filters=filters, dataset=ds))
    panes = [p for p in layout.select(pn.pane.HTML) if "al-changes" in p.css_classes]
    (pane,) = panes
    filters.param.update(start=dt.date(1990, 1, 1), end=dt.date(1999, 12, 31))
    text = visible_text(pane.object)
    assert text == "1995 ended: Defence pact, Russia – North Korea (Soviet-DPRK treaty)"
    filters.param.update(start=dt.date(2000, 1, 1), end=dt.date(2020, 12, 31))
    assert "No relation began or ended" in visible_text(pane.object)


def test_changes_view_escapes_hostile_text(tmp_path: Path, filters):
    layout, _ = render(ChangesView(filters=filters, dataset=hostile_dataset(tmp_path / "h")))
    (pane,) = [p for p in layout.select(pn.pane.HTML) if "al-changes" in p.css_classes]
    filters.param.update(start=dt.date(1999, 1, 1), end=dt.date(2002, 12, 31))
    assert_harmless(pane.object)
    text = visible_text(pane.object)
    assert text.startswith(f"2000-01-01 began: {HOSTILE}, {HOSTILE} – Bravo ({HOSTILE})")


def test_metrics_view_builds_its_four_views(ds, filters):
    view = MetricsView(filters=filters, dataset=ds)
    _, root = render(view)
    assert len(list(root.select({"type": PlotlyPlot}))) == 2
    filters.actors = ["USA"]
    assert kpi_cards(pn.panel(view.kpis).get_root(Document()))["Events"] == "1"


@pytest.mark.parametrize("view_class", [NetworkView, TimelineView, TemperatureView, RankingView])
def test_a_view_that_fails_to_update_says_so_instead_of_breaking(
    ds, filters, monkeypatch, view_class
):
    view = view_class(filters=filters, dataset=ds)
    _, root = render(view)

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(view, "spec", broken)
    filters.actors = ["USA"]  # must not raise into the caller (a widget, the URL sync)
    model = plotly_model(root)
    assert model.data == []
    assert [a["text"] for a in model.layout["annotations"]] == [
        "This view could not be drawn; see the server log."
    ]


# --------------------------------------------------------------------------- shared state


def test_two_views_sharing_one_filters_both_update(ds, filters):
    _, net_root = render(NetworkView(filters=filters, dataset=ds))
    _, time_root = render(TimelineView(filters=filters, dataset=ds))
    filters.actors = ["UKR"]
    assert sorted(trace_values(plotly_model(net_root), "customdata", "actors")) == [
        "RUS", "UKR",
    ]  # fmt: skip
    assert trace_values(plotly_model(time_root), "customdata") == ["e6"]


def test_a_node_click_in_one_view_updates_the_other(ds, filters):
    net_layout, _ = render(NetworkView(filters=filters, dataset=ds))
    _, table_root = render(EventsTable(filters=filters, dataset=ds))
    (pane,) = net_layout.select(pn.pane.Plotly)
    pane.click_data = {"points": [{"customdata": "CHN"}]}
    assert list(table_model(table_root).source.data["Id"]) == ["e4"]
    assert filters.actor == "CHN"  # the detail card shows China


def test_views_of_separate_filters_are_independent(ds):
    one, two = Filters(), Filters()
    _, root_one = render(TimelineView(filters=one, dataset=ds))
    _, root_two = render(TimelineView(filters=two, dataset=ds))
    one.actors = ["USA"]
    assert trace_values(plotly_model(root_one), "customdata") == ["e6"]
    assert len(trace_values(plotly_model(root_two), "customdata")) == 6


# --------------------------------------------------------------------------- controls, about


def test_filter_panel_is_bound_both_ways(ds, filters):
    panel = FilterPanel(filters=filters, dataset=ds)
    render(panel)
    assert panel.actors.options["Russia (RUS) · Russian Federation, USSR"] == "RUS"
    filters.actors = ["USA"]
    assert panel.actors.value == ["USA"]
    panel.event_types.value = ["aid"]
    assert filters.event_types == ["aid"]
    panel.search.value = "loans"
    assert filters.search == "loans"
    panel.partners.widget.value = ["Include their direct partners"]  # a click on box or text
    assert filters.include_partners is True
    filters.include_partners = False
    assert panel.partners.widget.value == []
    panel.link.value = "between"
    assert filters.link == "between"
    panel.reset.clicks += 1
    assert (filters.actors, filters.event_types, filters.search) == ([], [], "")
    assert panel.actors.value == []


def test_about_panel_describes_the_dataset(ds):
    _, root = render(AboutPanel(ds))
    text = visible_text(page_html(root))
    assert "7 actors, 5 relations, 6 events" in text
    assert "From 1953-10-01 to 2024-06-19" in text
    assert "Leader summit" in text


def test_about_panel_escapes_vocabulary_labels(tmp_path: Path):
    _, root = render(AboutPanel(hostile_dataset(tmp_path / "h")))
    markup = page_html(root)
    assert_harmless(markup)
    assert HOSTILE in visible_text(markup)


# --------------------------------------------------------------------------- dashboard


def test_dashboard_builds_with_a_filters_object(ds):
    filters = Filters(actors=["USA"], lanes="pair")
    board = Dashboard(dataset=ds, filters=filters)
    _, root = render(board)
    assert board.network.filters is board.timeline.filters is board.table.filters is filters
    models = list(root.select({"type": PlotlyPlot}))
    # Overview: network, timeline, temperature, ranking; Analysis: temperature of chosen pairs,
    # alignment, pledges, running estimates (built at start, computed only when opened)
    assert len(models) == 8
    filters.event = "e6"
    assert "ERA loans" in visible_text(page_html(pn.panel(board.detail).get_root(Document())))


def test_dashboard_views_update_together(ds):
    board = Dashboard(dataset=ds)
    _, root = render(board)
    board.filters.actors = ["CHN"]
    assert board.kpis.kpis["events"] == 1
    # the events table sits in a background tab: nothing is computed or sent for it until
    # the tab is opened, then it catches up
    tables = [t for t in root.select({"type": DataTabulator}) if "al-table" in t.css_classes]
    assert [len(t.source.data["Id"]) for t in tables] == [0]
    board.tabs.active = 1
    assert [list(t.source.data["Id"]) for t in tables] == [["e4"]]
    board.filters.actors = ["USA"]  # while shown, it follows at once
    assert [list(t.source.data["Id"]) for t in tables] == [["e6"]]


def test_the_analysis_pair_picker_catches_up_when_its_tab_is_opened(ds):
    """The Analysis tab's pair picker offers the selection's pairs; hidden, it is neither
    recomputed nor sent, and it catches up when the tab is opened."""
    board = Dashboard(dataset=ds)
    _, root = render(board)
    (model,) = [
        m for m in root.references() if "al-pairs" in (getattr(m, "css_classes", None) or [])
    ]
    everything = {"CHN–PRK", "CHN–RUS", "PRK–RUS", "UKR–USA"}
    assert set(board.analysis.pairs.options.values()) == everything
    sent = len(model.options)
    board.filters.actors = ["USA"]
    assert set(board.analysis.pairs.options.values()) == everything  # hidden: as it was
    assert len(model.options) == sent
    board.tabs.active = 2
    assert set(board.analysis.pairs.options.values()) == {"UKR–USA"}
    assert len(model.options) == 1
    board.filters.actors = ["PRK"]  # shown: it follows at once
    assert set(board.analysis.pairs.options.values()) == {"CHN–PRK", "CHN–RUS", "PRK–RUS"}
    assert len(model.options) == 3


def test_dashboard_notices_are_escaped(ds):
    board = Dashboard(dataset=ds)
    board.notify(["ignored unknown actor ids: <script>alert(1)</script>"])
    assert board.notices.visible
    assert_harmless(board.notices.object)
    assert "<script>alert(1)</script>" in visible_text(board.notices.object)
    board.notify([])
    assert not board.notices.visible


def test_dashboard_function_returns_something_panel_renders(ds):
    board = dashboard(ds, Filters(actors=["PRK"]))
    _, root = render(board)
    assert len(list(root.select({"type": PlotlyPlot}))) == 8  # 4 overview, 4 analysis
    assert board.table.events["event_id"].tolist() == ["e5", "e3", "e4", "e1", "e2"]


def test_dashboard_function_loads_a_folder():
    board = dashboard(SMALL)
    render(board)
    assert board.dataset.counts()["events"] == 6


def test_dashboard_of_a_dataset_without_events_or_relations(tmp_path: Path):
    """A folder with actors only passes validation; the dashboard must still open."""
    ds = build(tmp_path, actors=[actor("A"), actor("B")])
    board = Dashboard(dataset=ds)
    _, root = render(board)
    assert len(list(root.select({"type": PlotlyPlot}))) == 8  # 4 overview, 4 analysis
    board.tabs.active = 2  # the Analysis tab computes now: empty charts say so, no error
    a = board.analysis
    for view in (a.temperature, a.pledges, a.running):
        notes = [n["text"] for n in view._pane.object["layout"].get("annotations", [])]
        assert any(n.startswith("No ") for n in notes), (view, notes)


def test_timeline_pair_lanes_on_the_bundled_data():
    """Pair lanes on the bundled data: busiest pair first, one-sided events under their actor."""
    from alliances.dataset import load_dataset

    ds = load_dataset()
    view = TimelineView(filters=Filters(lanes="pair", start=dt.date(2022, 1, 1)), dataset=ds)
    fig = view.figure()
    lanes = list(fig.layout.yaxis.categoryarray)[::-1]  # top lane first
    events = view.events
    pairs = events.dropna(subset=["actor_2"])
    labels = [
        "–".join(sorted(map(str, ab)))
        for ab in zip(pairs["actor_1"], pairs["actor_2"], strict=True)
    ]
    busiest = pd.Series(labels).value_counts()
    assert lanes[0] == busiest.index[0]
    lane_of = {}
    for trace in fig.data:
        if trace.mode == "markers":
            lane_of.update(zip(trace.customdata, trace.y, strict=True))
    assert len(lane_of) == len(events)
    one_sided = events[events["actor_2"].isna()].iloc[0]
    assert lane_of[one_sided["event_id"]] == one_sided["actor_1"]


@pytest.mark.parametrize(
    "view", [NetworkView, RankingView, TimelineView, EventsTable, KpiView, TemperatureView]
)
def test_a_view_repr_is_one_short_line_naming_its_dataset(view):
    """Issue #13: in a notebook, a view's plain-text repr printed the whole dataset (param's
    repr of every parameter). On the bundled data it is one line naming the view, the dataset
    and the filters."""
    from alliances.dataset import load_dataset

    ds = load_dataset()
    text = repr(view(dataset=ds, filters=Filters(actors=["PRK", "RUS"])))
    assert len(text) < 300, text
    assert "\n" not in text
    assert text.startswith(f"<{view.__name__} of <Dataset ")
    assert str(ds.path) in text
    assert ds.fingerprint in text
    assert "PRK" in text  # the filters it shows
    assert repr(view()).startswith(f"<{view.__name__} of <Dataset ")  # the default dataset


def test_a_dataset_repr_is_its_place_and_counts_not_its_frames():
    from alliances.dataset import load_dataset

    ds = load_dataset()
    text = repr(ds)
    assert len(text) < 300, text
    assert text == (
        f"<Dataset {ds.path}: {len(ds.actors)} actors, {len(ds.relations)} relations, "
        f"{len(ds.events)} events; fingerprint {ds.fingerprint}>"
    )
