"""Issue #12 on the bundled data, with exact values: what a score means for each pair, between
and from filters, shifts from a pair's baseline, the alignment index and its explanation,
pledged against delivered, and files other tools read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil

import networkx as nx
import openpyxl
import pandas as pd
import pytest

import alliances
from alliances import analyses, exports, query
from alliances.analyses import AlignmentWeights, ShiftRule

pytestmark = pytest.mark.usefixtures("fresh_caches")

D = dt.date


@pytest.fixture(scope="module")
def bundled() -> alliances.Dataset:
    return alliances.load_dataset(cache=False)


def quarters(ds, pair: str, start: dt.date, end: dt.date) -> dict[str, tuple[float, int]]:
    t = query.pair_temperature(ds, alliances.Filters(start=start, end=end, pairs=[pair]))
    return {
        str(pd.Timestamp(q).to_period("Q")): (round(s, 2), n)
        for q, s, n in zip(t["quarter"], t["score"], t["events"], strict=True)
    }


def test_russia_north_korea_quarters_of_2023_and_2024(bundled):
    """The veto that shielded North Korea counts for the pair (+5), not against it (-5), and
    the munitions estimates count once, with the latest report (13,000 containers, 2024Q3)."""
    assert quarters(bundled, "PRK–RUS", D(2023, 1, 1), D(2024, 12, 31)) == {
        "2023Q1": (0.0, 0),
        "2023Q2": (0.0, 0),
        "2023Q3": (4.7, 2),  # Shoigu in Pyongyang 1.9, Putin-Kim at Vostochny 2.8
        "2023Q4": (10.2, 2),
        "2024Q1": (12.4, 2),  # oil to North Korea 7.4 + the veto +5
        "2024Q2": (14.8, 3),
        "2024Q3": (8.3, 1),  # the latest munitions estimate of the window
        "2024Q4": (7.4, 7),
    }


def test_the_two_koreas_cool_through_2023_and_2024(bundled):
    """Once flat at 0: the suspensions of the 2018 agreement and Kim's 'principal enemy'
    speech now carry CAMEO 16's -4.0."""
    assert quarters(bundled, "KOR–PRK", D(2023, 1, 1), D(2024, 12, 31)) == {
        "2023Q1": (0.0, 0),
        "2023Q2": (0.0, 0),
        "2023Q3": (0.0, 0),
        "2023Q4": (-8.0, 2),  # Seoul's partial suspension, Pyongyang scraps the agreement
        "2024Q1": (-4.0, 1),  # "principal enemy"
        "2024Q2": (-4.0, 2),  # Seoul suspends it fully
        "2024Q3": (0.0, 0),
        "2024Q4": (0.0, 0),
    }


def test_the_2022_co_veto_bears_on_china_north_korea_as_on_russia_north_korea(bundled):
    window = (D(2022, 4, 1), D(2022, 6, 30))
    assert quarters(bundled, "CHN–PRK", *window) == {"2022Q2": (5.0, 1)}
    assert quarters(bundled, "PRK–RUS", *window) == {"2022Q2": (5.0, 1)}
    assert quarters(bundled, "CHN–RUS", *window)["2022Q2"] == (5.0, 1)  # vetoing together
    assert quarters(bundled, "CHN–USA", *window) == {"2022Q2": (-5.0, 1)}  # the sponsor


def involved(ds, *actors: str) -> pd.Series:
    """Per event: how many of ``actors`` take part, as actor, participant or target."""
    ev = ds.events

    def ids(column):
        return ev[column].astype(object).fillna("").str.split(";")

    sets = [
        {ev.at[i, "actor_1"], ev.at[i, "actor_2"], *p, *t} - {"", None}
        for i, p, t in zip(ev.index, ids("participants"), ids("targets"), strict=True)
    ]
    return pd.Series([len(set(actors) & s) for s in sets], index=ev.index)


def test_between_and_from_on_the_bundled_data(bundled):
    ev = bundled.events
    both = set(ev.loc[involved(bundled, "PRK", "RUS") == 2, "event_id"])
    between = query.select(bundled, alliances.Filters(actors=["PRK", "RUS"], link="between"))
    assert set(between.events["event_id"]) == both
    assert "2024-06-19-putin-kim-pyongyang-summit" in both
    assert "2022-02-24-russia-full-scale-invasion" in set(ev["event_id"])
    assert "2022-02-24-russia-full-scale-invasion" not in both  # Russia only
    direct = ev[(ev["actor_1"] == "PRK") & (ev["actor_2"] == "RUS")]
    from_prk = query.select(bundled, alliances.Filters(actors=["PRK", "RUS"], link="from"))
    assert list(from_prk.events["event_id"]) == list(direct["event_id"])
    assert set(from_prk.events["actor_1"]) == {"PRK"}
    from_rus = query.select(bundled, alliances.Filters(actors=["RUS", "PRK"], link="from"))
    assert "2024-03-28-russia-vetoes-panel-of-experts" in set(from_rus.events["event_id"])
    assert not set(from_rus.events["event_id"]) & set(from_prk.events["event_id"])


def test_a_quarter_far_from_its_baseline_is_flagged_with_its_events(bundled):
    f = alliances.Filters(start=D(2022, 1, 1), end=D(2025, 10, 31), pairs=["KOR–PRK"])
    flagged = analyses.shifts(bundled, f)
    assert len(flagged) == 1
    s = flagged.iloc[0]
    assert (s["pair"], f"{s['quarter']:%Y-%m}", s["score"], s["events"]) == (
        "KOR–PRK", "2023-10", -8.0, 2,
    )  # fmt: skip
    assert (s["mean"], s["direction"]) == (0.0, "colder")
    behind = analyses.shift_events(bundled, f, "KOR–PRK", s["quarter"])
    assert list(behind["event_id"]) == [
        "2023-11-22-rok-partly-suspends-military-agreement",
        "2023-11-23-prk-scraps-military-agreement",
    ]
    # the method's parameters matter: with three events needed, nothing is flagged
    assert analyses.shifts(bundled, f, ShiftRule(min_events=3)).empty


def test_the_alignment_index_of_russia_and_north_korea_and_its_explanation(bundled):
    when = pd.Timestamp("2024-12-31")
    ranking = analyses.alignment(bundled, alliances.Filters(), when=when).set_index("pair")
    prk_rus = ranking.loc["PRK–RUS"]
    # relations in force: the 2024 treaty (defence pact, 4) and security assistance (2);
    # events of 2024: 42.9 points of score, 0.1 each
    assert prk_rus["relation_points"] == 6.0
    assert prk_rus["event_points"] == pytest.approx(4.29)
    assert prk_rus["index"] == pytest.approx(100 / (1 + pow(2.718281828459045, -10.29 / 3)))
    assert round(prk_rus["index"], 1) == 96.9
    explained = analyses.alignment_explained(bundled, alliances.Filters(), "PRK–RUS", when=when)
    assert explained["points"].sum() == pytest.approx(prk_rus["points"])
    relations = explained[explained["kind"] == "relation"]
    assert sorted(relations["detail"]) == ["Defence pact", "Security assistance"]
    veto = explained[explained["what"].str.contains("Panel of Experts")]
    assert list(veto["points"]) == [pytest.approx(0.5)]
    # the user's weights: a defence pact worth nothing moves the index down, as explained
    lighter = AlignmentWeights(relations={"defense_pact": 0.0})
    again = analyses.alignment(bundled, alliances.Filters(), lighter, when).set_index("pair")
    assert again.loc["PRK–RUS", "relation_points"] == 2.0


def test_the_alignment_of_russia_and_north_korea_over_2022_to_2025(bundled):
    """One index per quarter of the window, each the index computed on that quarter's last
    day, rising across the treaty of 2024-06-19 (a defence pact in force from that day)."""
    f = alliances.Filters(start=D(2022, 1, 1), end=D(2025, 12, 31))
    series = analyses.alignment_over_time(bundled, f, ["PRK–RUS"])
    quarter_ends = pd.date_range("2022-03-31", "2025-12-31", freq="QE")
    assert len(quarter_ends) == 16
    assert list(series["pair"]) == ["PRK–RUS"] * 16
    assert list(series["date"]) == list(quarter_ends)
    by_date = series.set_index("date")["index"]

    def on(day: str) -> pd.Series:
        ranking = analyses.alignment(bundled, f, when=pd.Timestamp(day))
        return ranking.set_index("pair").loc["PRK–RUS"]

    for day in ("2022-06-30", "2025-09-30"):
        assert by_date[pd.Timestamp(day)] == pytest.approx(on(day)["index"])
        assert by_date[pd.Timestamp(day)] != 50.0  # a pair with nothing in force is 50

    before, after = on("2024-03-31"), on("2024-06-30")
    # in force before: the 2000 treaty (entente, 1.5) and the munitions (security assistance,
    # 2); the 2024 treaty adds a defence pact's 4 points
    assert (before["relation_points"], after["relation_points"]) == (3.5, 7.5)
    assert (on("2024-06-18")["relation_points"], on("2024-06-19")["relation_points"]) == (3.5, 7.5)
    assert by_date[pd.Timestamp("2024-06-30")] > by_date[pd.Timestamp("2024-03-31")]
    assert by_date[pd.Timestamp("2024-06-30")] == pytest.approx(after["index"])
    # the treaty is what moves it: with a defence pact worth nothing, no relation points come
    no_pact = AlignmentWeights(relations={"defense_pact": 0.0})
    again = analyses.alignment(bundled, f, no_pact, pd.Timestamp("2024-06-30"))
    assert again.set_index("pair").at["PRK–RUS", "relation_points"] == 3.5


def test_pledged_against_delivered_for_the_us_and_ukraine(bundled):
    frame = analyses.pledged_and_delivered(bundled, alliances.Filters())
    usd = frame[(frame["pair"] == "USA → UKR") & (frame["unit"] == "USD")]
    rows = [(f"{d:%Y-%m-%d}", s, t) for d, s, t in zip(usd["date"], usd["stage"], usd["total"],
                                                       strict=True)]  # fmt: skip
    assert rows == [
        ("2024-04-24", "pledged", 61e9),  # the supplemental appropriation
        ("2024-10-23", "pledged", 81e9),  # + the US share of the G7 ERA loans
        ("2024-12-10", "delivered", 20e9),  # the Treasury disburses that share
    ]


def test_running_estimates_are_one_series_with_their_sources(bundled):
    series = analyses.running_estimates(bundled, alliances.Filters())
    containers = series[series["series"].str.startswith("containers: North Korea → Russia")]
    assert list(containers["value"]) == [1000, 5000, 6700, 7000, 10000, 13000, 20000]
    assert containers["source_name"].str.len().min() > 0


def test_the_network_as_gexf_reads_back_in_networkx_with_its_spells(bundled):
    f = alliances.Filters(actors=["PRK"], as_of=D(2024, 12, 31))
    graph = nx.read_gexf(io.BytesIO(exports.gexf_bytes(bundled, f)))
    in_force = query.relations_in_force(bundled, f)
    assert graph.number_of_edges() == len(in_force)
    assert set(graph.nodes) == set(in_force["actor_a"].astype(str)) | set(
        in_force["actor_b"].astype(str)
    )
    treaty = next(
        d for _, _, d in graph.edges(data=True) if d["relation_id"] == "rel-rus-prk-2024-csp-treaty"
    )
    assert treaty["start"] == "2024-06-19"
    assert "end" not in treaty  # in force
    assert graph.nodes["PRK"]["label"] == "North Korea"
    graphml = nx.read_graphml(io.BytesIO(exports.graphml_bytes(bundled, f)))
    assert graphml.number_of_edges() == len(in_force)


def test_the_workbook_holds_the_selection_its_filters_and_its_sources(bundled):
    f = alliances.Filters(actors=["PRK"], start=D(2024, 1, 1), end=D(2024, 12, 31))
    book = openpyxl.load_workbook(io.BytesIO(exports.workbook_bytes(bundled, f)))
    assert book.sheetnames == ["Filters", "Events", "Relations", "Sources"]
    filters = [row[0] for row in book["Filters"].iter_rows(min_row=2, values_only=True)]
    assert "Window: 2024-01-01 to 2024-12-31" in filters
    assert "Actors: North Korea (PRK)" in filters
    events = list(book["Events"].iter_rows(values_only=True))
    assert events[0][:2] == ("event_id", "date")
    ids = {row[0] for row in events[1:]}
    assert ids == set(query.select(bundled, f).events["event_id"])
    # no cell is a formula: text that would be one is written with a leading quote
    assert not [c for row in book["Events"].iter_rows() for c in row if c.data_type == "f"]


# --------------------------------------------------------------------------- formula text

HYPERLINK = '=HYPERLINK("http://example.invalid/x","click me")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list, as issue #13 gives it

FORMULA_TEXT = {  # event id: the column holding text a spreadsheet would run, and that text
    "e1": ("title", HYPERLINK),
    "e3": ("title", "@Munitions estimate"),
    "e4": ("location", "\tNew York"),
    "e2": ("location", "\rPyongyang"),
    "e5": ("source_name", "-NIS"),
}


@pytest.fixture
def formula_text(edited) -> alliances.Dataset:
    """The small dataset whose texts start with each character a spreadsheet evaluates: the
    title =HYPERLINK(...), a description, a location, a source and China's name; and a loan of
    -5 (a negative number that must stay a number)."""
    for old, new in [
        ("Putin-Kim summit", '"=HYPERLINK(""http://example.invalid/x"",""click me"")"'),
        ('"Multi', '"+Multi'),
        ("Munitions estimate", "@Munitions estimate"),
        ("New York", "\tNew York"),
        (",NIS,", ",-NIS,"),
        ("50000000000", "-5"),
        # last: ``edited`` reads with universal newlines, which would make this \r a \n
        (",Pyongyang,,,,Treaty signed", ',"\rPyongyang",,,,Treaty signed'),
    ]:
        folder = edited("events.csv", old, new)
    edited("actors.csv", "CHN,China,", "CHN,@China,")
    ds = alliances.load_dataset(folder, cache=False)
    titles = ds.events.set_index("event_id")["title"]
    assert titles["e1"] == HYPERLINK  # loaded as written
    assert ds.events.set_index("event_id").at["e2", "location"] == "\rPyongyang"
    assert ds.actor_name("CHN") == "@China"
    return ds


def download(view) -> tuple[str, str]:
    """What the view's download button gives: file name and text."""
    import panel as pn

    (button,) = pn.panel(view).select(pn.widgets.FileDownload)
    return button.filename, button.callback().getvalue()


def test_the_events_csv_quotes_formula_text_and_reads_back_unchanged(formula_text, tmp_path):
    """Issue #13, item 11: an events CSV opened in a spreadsheet runs no formula, and the same
    file loaded again gives the original text and numbers."""
    from alliances.views import EventsTable

    _, text = download(EventsTable(dataset=formula_text, filters=alliances.Filters()))
    rows = {r["event_id"]: r for r in csv.DictReader(line for line in io.StringIO(text)
                                                       if not line.startswith("#"))}  # fmt: skip
    for event_id, (column, value) in FORMULA_TEXT.items():
        assert rows[event_id][column] == "'" + value, (event_id, column)
    assert rows["e1"]["description"] == "'+Multi\nline description"
    assert rows["e6"]["magnitude"] == "-5"  # a number, not quoted
    cells = [cell for row in rows.values() for cell in row.values()]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS) and c != "-5"]

    folder = tmp_path / "again"
    shutil.copytree(formula_text.path, folder)
    (folder / "events.csv").write_text(text, encoding="utf-8", newline="")
    again = alliances.load_dataset(folder, cache=False).events.set_index("event_id")
    for event_id, (column, value) in FORMULA_TEXT.items():
        assert again.at[event_id, column] == value, (event_id, column)
    assert again.at["e1", "description"] == "+Multi\nline description"
    assert again.at["e6", "magnitude"] == -5


def test_the_temperature_csv_quotes_a_pair_named_like_a_formula(formula_text):
    """The temperature table names its columns by pair: an actor called "@China" makes a
    header cell a spreadsheet would evaluate. Negative scores stay numbers."""
    from alliances.views.analysis import TemperatureTable

    _, text = download(TemperatureTable(dataset=formula_text, filters=alliances.Filters()))
    table = list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))
    header, rows = table[0], {row[0]: row for row in table[1:]}
    assert "'@China – North Korea" in header
    text = [c for row in table for c in row if not re.fullmatch(r"-?[0-9.]+", c)]
    assert not [c for c in text if c.startswith(FORMULA_STARTS)]
    # the veto of 2024Q1 cools China – North Korea: -5.0, written as a number
    assert rows["2024Q1"][header.index("'@China – North Korea")] == "-5.0"


def test_the_workbook_holds_formula_text_as_quoted_text_and_numbers_as_numbers(formula_text):
    f = alliances.Filters(actors=["CHN", "PRK", "USA"])
    book = openpyxl.load_workbook(io.BytesIO(exports.workbook_bytes(formula_text, f)))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    text = [c.value for c in cells if isinstance(c.value, str)]
    assert not [v for v in text if v.startswith(FORMULA_STARTS)]
    events = book["Events"]
    header = [c.value for c in events[1]]
    rows = {row[0]: dict(zip(header, row, strict=True))
            for row in events.iter_rows(min_row=2, values_only=True)}  # fmt: skip
    for event_id, (column, value) in FORMULA_TEXT.items():
        # XML reads a bare carriage return as a line feed: the cell still starts with the quote
        expected = "'" + value.replace("\r", "\n")
        assert rows[event_id][column] == expected, (event_id, column)
    assert rows["e1"]["title"] == "'" + HYPERLINK  # the hostile title is quoted text
    assert rows["e6"]["magnitude"] == -5  # a number, not text, and not quoted
    assert rows["e3"]["magnitude"] == 7000
    sources = {row[0] for row in book["Sources"].iter_rows(min_row=2, values_only=True)}
    assert "'-NIS" in sources


def test_the_briefing_says_what_shifted_and_by_which_rule(bundled):
    f = alliances.Filters(start=D(2022, 1, 1), end=D(2025, 10, 31), pairs=["KOR–PRK"])
    page = alliances.render_briefing(f, dataset=bundled, rule=ShiftRule(baseline=6))
    shifted = page[page.index("<h2>What shifted</h2>") :]
    assert "previous 6 quarters" in shifted
    assert "South Korea – North Korea" in shifted
    assert "colder" in shifted
    # a stricter rule flags nothing, and the briefing says so rather than leaving a gap
    strict = alliances.render_briefing(f, dataset=bundled, rule=ShiftRule(min_events=3))
    quiet = strict[strict.index("<h2>What shifted</h2>") :].split("</section>")[0]
    assert "No quarter departs from its pair's baseline" in quiet


def test_a_running_estimate_known_to_the_month_is_shown_to_the_month(bundled):
    from alliances.figures.analysis import running_figure

    series = analyses.running_estimates(bundled, alliances.Filters()).head(2).copy()
    series["date_precision"] = ["month", "day"]
    hovers = running_figure(series)["data"][0]["text"]
    assert "as of 2023-09<br>" in hovers[0]
    assert "as of 2023-12-29<br>" in hovers[1]
