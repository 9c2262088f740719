"""Every source's import opens in the dashboard (model level, no browser): the KPI cards count
the events the fixture holds after the documented skips, the network draws the alliances in
force that the fixture lists, and no view fails to draw.

The expected numbers are worked out here from the fixture files themselves and the rules in
data/README.md ("Importing public datasets"), not read back from the importer's report.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import itertools
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import panel as pn
import pytest
from bokeh.document import Document
from panel.models.plotly import PlotlyPlot

import alliances
from alliances.importers import import_files
from unit_helpers import trace_values

FIXTURES = Path(__file__).parent / "fixtures" / "import"
FILES = {
    "gdelt": [
        FIXTURES / "gdelt" / "20240219151500.export.CSV.zip",
        FIXTURES / "gdelt" / "20130401.export.CSV",
        FIXTURES / "gdelt" / "1985.zip",
    ],
    "acled": sorted((FIXTURES / "acled").glob("*.csv")),
    "ucdp": [FIXTURES / "ucdp" / "GEDEvent_v23_1_sample.csv"],
    "atop": sorted((FIXTURES / "atop").glob("*.csv")),
    "cow": sorted((FIXTURES / "cow").glob("*.csv")),
    "sipri": [FIXTURES / "sipri" / "trade-register.csv"],
}
SKIPPED = {
    # data/README: records whose Actor1 is no state or organisation, with none on either side,
    # or with the same state on both sides are skipped and counted
    "gdelt": {
        "Actor1 is no state or organisation (only Actor2 is)": 2,
        "no state or organisation on either side": 1,
        "both sides are the same actor": 1,
    },
    # the register's "unknown supplier(s)" row is no actor
    "sipri": {"supplier or recipient unknown or not mapped": 1},
}
EXTRA_DAYS = {
    # the ATOP 3.0 file's Soviet-German pact, in force only in 1939-1941
    "atop": [dt.date(1940, 6, 1)],
    # the COW dyad file's Sino-Soviet treaty ends in 1980 (year only): gone the day after
    "cow": [dt.date(1981, 1, 1)],
}


pytestmark = pytest.mark.usefixtures("fresh_panel_state")


# --------------------------------------------------------------------------- fixture files


def text(path: Path) -> str:
    """A fixture's text as the source publishes it: zipped or not, UTF-8 or Latin-1."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            data = archive.read(archive.namelist()[0])
    else:
        data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def records(path: Path) -> list[dict[str, str]] | list[list[str]]:
    """The fixture's records: rows by header, GDELT's as plain tab-separated lists."""
    content = text(path)
    if "gdelt" in path.parts:
        return [line.split("\t") for line in content.splitlines() if line.strip()]
    lines = content.splitlines(keepends=True)
    if "sipri" in path.parts:  # a preamble of notes before the header
        lines = list(itertools.dropwhile(lambda line: not line.startswith("Recipient,"), lines))
    return list(csv.DictReader(io.StringIO("".join(lines))))


def expected_events(source: str) -> int:
    """Events a person should see: one per record kept; SIPRI an order and one delivery per
    year of delivery (data/README)."""
    rows = [r for path in FILES[source] for r in records(path)]
    skipped = sum(SKIPPED.get(source, {}).values())
    if source == "sipri":
        kept = [r for r in rows if r["Supplier"] != "unknown supplier(s)"]
        assert len(rows) - len(kept) == skipped
        years = [r["Year(s) of delivery"] for r in kept]
        return sum(1 + len([y for y in cell.split(";") if y.strip()]) for cell in years)
    if source in ("atop", "cow"):
        return 0
    return len(rows) - skipped


def day(year: str, month: str = "", day_: str = "", *, last: bool = False) -> dt.date | None:
    """A date from year/month/day cells; an unknown month or day gives the period's first (or
    ``last``) day; year 0 or empty: none."""
    y = int(float(year)) if str(year).strip() else 0
    if not y:
        return None
    m = int(float(month)) if str(month).strip() and float(month) else 0
    d = int(float(day_)) if str(day_).strip() and float(day_) else 0
    if not m:
        return dt.date(y, 12, 31) if last else dt.date(y, 1, 1)
    if not d:
        after = dt.date(y + (m == 12), m % 12 + 1, 1)
        return after - dt.timedelta(days=1) if last else dt.date(y, m, 1)
    return dt.date(y, m, d)


ATOP_TYPES = {
    "defense": "defense_pact",
    "offense": "offense_pact",
    "neutral": "non_aggression",
    "nonagg": "non_aggression",
    "consul": "entente",
}
COW_TYPES = {
    "defense": "defense_pact",
    "neutrality": "non_aggression",
    "nonaggression": "non_aggression",
    "entente": "entente",
}


def memberships(source: str) -> list[tuple[str, frozenset[str], dt.date, dt.date | None, set]]:
    """(alliance, its pair of members or one member, start, end, relation types) per record."""
    out = []
    for path in FILES[source]:
        for raw in records(path):
            r = {k.lower(): v for k, v in raw.items()}
            if source == "atop":
                who = frozenset([r["member"]])
                start = day(r["yrent"], r.get("moent", ""), r.get("dayent", ""))
                end = day(r["yrexit"], r.get("moexit", ""), r.get("dayexit", ""), last=True)
                types = {t for col, t in ATOP_TYPES.items() if r.get(col) == "1"}
                out.append((r["atopid"], who, start, end, types))
                continue
            types = {t for col, t in COW_TYPES.items() if r.get(col) == "1"}
            if "ccode1" in r:  # the dyad file
                who = frozenset([r["ccode1"], r["ccode2"]])
                start = day(r["dyad_st_year"], r["dyad_st_month"], r["dyad_st_day"])
                end = day(r["dyad_end_year"], r["dyad_end_month"], r["dyad_end_day"], last=True)
            else:
                who = frozenset([r["ccode"]])
                start = day(r["mem_st_year"], r["mem_st_month"], r["mem_st_day"])
                end = day(r["mem_end_year"], r["mem_end_month"], r["mem_end_day"], last=True)
            out.append((r["version4id"], who, start, end, types))
    return out


def expected_in_force(source: str, when: dt.date) -> set[tuple[str, frozenset[str], str]]:
    """(alliance, pair, type) in force on ``when``: both are members, one holds the obligation."""
    if source not in ("atop", "cow"):
        return set()
    on = [m for m in memberships(source) if m[2] <= when and (m[3] is None or when <= m[3])]
    found = set()
    for alliance, who, _, _, types in on:
        if len(who) == 2:  # a dyad record
            found |= {(alliance, who, t) for t in types}
    members: dict[str, dict[str, set]] = {}
    for alliance, who, _, _, types in on:
        if len(who) == 1:
            members.setdefault(alliance, {}).setdefault(next(iter(who)), set()).update(types)
    for alliance, held in members.items():
        for a, b in itertools.combinations(sorted(held), 2):
            found |= {(alliance, frozenset([a, b]), t) for t in held[a] | held[b]}
    return found


# --------------------------------------------------------------------------- what is drawn


class _Cards(HTMLParser):
    def __init__(self):
        super().__init__()
        self.classes: list[str] = []
        self.by_class: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        self.classes.append(dict(attrs).get("class") or "")

    def handle_endtag(self, tag):
        if self.classes:
            self.classes.pop()

    def handle_data(self, data):
        if self.classes and self.classes[-1]:
            self.by_class.setdefault(self.classes[-1], []).append(data)


def kpi_cards(view) -> dict[str, str]:
    """The KPI cards' labels and values, as the browser gets them."""
    parser = _Cards()
    parser.feed(html.unescape(pn.panel(view).get_root(Document()).text))
    return dict(zip(parser.by_class["kpi-label"], parser.by_class["kpi-value"], strict=True))


def network_model(board) -> PlotlyPlot:
    (model,) = pn.panel(board.network).get_root(Document()).select({"type": PlotlyPlot})
    return model


def failures(board) -> list[str]:
    """Charts that say they could not be drawn (a view's error is caught and shown so)."""
    bad = []
    for pane in board.charts:
        notes = (pane.object or {}).get("layout", {}).get("annotations", []) or []
        bad += [n["text"] for n in notes if "could not be drawn" in str(n.get("text", ""))]
    return bad


@pytest.mark.parametrize("source", list(FILES))
def test_each_source_imports_into_a_folder_the_dashboard_opens(tmp_path, source):
    folder = tmp_path / "data"
    result = import_files(source, FILES[source], folder)
    assert dict(result.report.skipped) == SKIPPED.get(source, {})
    ds = alliances.load_dataset(folder, cache=False)
    board = alliances.dashboard(ds)
    root = pn.panel(board).get_root(Document())
    assert len(list(root.select({"type": PlotlyPlot}))) == 8  # 4 overview, 4 analysis

    events = expected_events(source)
    cards = kpi_cards(board.kpis)
    assert cards["Events"] == f"{events:,}"
    assert cards["Relations"] == f"{len(ds.relations):,}"

    # the network: as the dashboard opens (the window's end), and on other telling days
    days = [board.network.as_of.date(), *EXTRA_DAYS.get(source, [])]
    for when in days:
        board.filters.as_of = when
        model = network_model(board)
        wanted = expected_in_force(source, when)
        if wanted:
            assert model.layout["title"]["text"] == f"Relations in force on {when:%Y-%m-%d}"
        else:  # nothing in force (an event source): the network says so
            assert [a["text"] for a in model.layout["annotations"]] == [
                "No relations in force for these filters on this date"
            ]
        assert len(trace_values(model, "text", "relations")) == len(wanted), when
        # which alliance, pair and type each drawn relation is: its id says (source:id:a-b:type)
        drawn = board.network.relations_in_force
        codes = {
            (rid.split(":")[1], frozenset(rid.split(":")[2].split("-")), str(rtype))
            for rid, rtype in zip(drawn["relation_id"], drawn["relation_type"], strict=True)
        }
        assert codes == wanted, when
    if source in ("atop", "cow"):  # alliances are drawn: the checks above are not vacuous
        assert expected_in_force(source, days[0])

    # the Events and Analysis tabs compute when opened: every row listed, nothing fails
    board.tabs.active = 1
    assert len(board.table.events) == events
    board.tabs.active = 2
    assert failures(board) == []
