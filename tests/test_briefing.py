"""Offline HTML briefings: contents, self-containment, escaping, atomic writes, the CLI."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import alliances
from alliances import briefing
from alliances.briefing import export_briefing, notes_to_html, render_briefing
from unit_helpers import HOSTILE, SMALL, hostile_dataset

MAX_BYTES = 6 * 1024 * 1024


class Tags(HTMLParser):
    """Every start tag and its attributes, outside <script> and <style> bodies."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def small():
    return alliances.load_dataset(SMALL)


def test_briefing_has_title_filters_fingerprint_notes_kpis_charts_and_tables(small):
    f = alliances.Filters(actors=["PRK"], start=dt.date(2023, 1, 1), end=dt.date(2024, 12, 31))
    html = render_briefing(f, dataset=small, title="DPRK and Russia", notes="**Key:** munitions")
    doc = parse(html)
    text = " ".join(doc.text)
    assert "DPRK and Russia" in text
    assert "2023-01-01 to 2024-12-31" in text
    assert "North Korea (PRK)" in text
    assert small.fingerprint in text
    assert "<strong>Key:</strong> munitions" in html
    # the three interactive charts, each a plotly div
    ids = [a.get("id") for t, a in doc.tags if t == "div"]
    for chart in ("network", "timeline", "temperature"):
        assert chart in ids
    assert html.count("Plotly.newPlot(") == 3
    # relations in force and key events with their sources cited
    assert "Treaty on Comprehensive Strategic Partnership" in text
    assert "Munitions estimate" in text  # an event of PRK in the window
    hrefs = [a["href"] for t, a in doc.tags if t == "a"]
    assert "https://press.un.org/en/2024/sc15648.doc.htm" in hrefs
    # KPI: the cumulative 7,000 containers estimate
    assert "7,000" in text
    assert "@media print" in html


def test_briefing_is_self_contained(small):
    html = render_briefing(alliances.Filters(), dataset=small)
    doc = parse(html)
    for tag, attrs in doc.tags:
        assert not (tag == "script" and "src" in attrs), "a script is loaded from elsewhere"
        assert tag != "link", "a stylesheet or font is loaded from elsewhere"
        assert tag not in ("img", "iframe", "object", "embed")
    assert "@import" not in html
    assert "url(http" not in html
    # one copy of plotly.js, inline
    assert html.count("plotly.js v") == 1
    csp = [a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv")]
    assert csp
    assert csp[0].startswith("default-src 'none'")


def test_bundled_default_briefing_is_under_6_mb(tmp_path):
    out = export_briefing(None, tmp_path / "b.html")
    assert out.stat().st_size <= MAX_BYTES
    assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_hostile_dataset_text_title_and_notes_are_shown_as_text(tmp_path):
    ds = hostile_dataset(tmp_path / "data")
    html = render_briefing(
        alliances.Filters(),
        dataset=ds,
        title=HOSTILE,
        notes=f"{HOSTILE}\n\n<script>alert(3)</script>\n\n[click](javascript:alert(4)) "
        "[ok](https://example.org/a)",
    )
    doc = parse(html)
    for tag, attrs in doc.tags:
        assert tag not in ("img", "svg", "iframe"), f"injected <{tag}>"
        assert not any(k.startswith("on") for k in attrs), f"event handler on <{tag}>"
        if tag == "a":
            assert attrs["href"].startswith(("http://", "https://"))
    text = " ".join(doc.text)
    assert HOSTILE in text  # the title, shown literally
    assert "<script>alert(3)</script>" in text
    assert "alert(3)" not in "".join(
        s for s in html.split("<script>")[1:] if "alert(3)" in s.split("</script>")[0]
    )
    hrefs = [a["href"] for t, a in doc.tags if t == "a"]
    assert "https://example.org/a" in hrefs
    assert not any("javascript" in h for h in hrefs)
    # inside the charts' JSON the hostile text is escaped for plotly's HTML labels
    assert "\\u003cimg src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_notes_markdown_is_sanitised():
    html = notes_to_html(
        '# T\n\n<b onclick="x()">hi</b> [a](javascript:alert(1)) [b](https://x.org)'
    )
    assert "<h1>T</h1>" in html
    tags = parse(html).tags
    assert [t for t, _ in tags] == ["h1", "p", "a"]  # the <b onclick> is text, not a tag
    assert "&lt;b onclick=" in html
    assert [a["href"] for t, a in tags if t == "a"] == ["https://x.org"]
    assert '<a href="https://x.org" rel="noopener noreferrer">b</a>' in html
    assert notes_to_html("   ") == ""


def test_export_is_atomic(tmp_path, monkeypatch, small):
    target = tmp_path / "briefing.html"
    target.write_text("old briefing", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        export_briefing(alliances.Filters(), target, dataset=small)
    assert target.read_text(encoding="utf-8") == "old briefing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["briefing.html"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alliances.cli", "export", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_export_writes_the_briefing_for_the_filters(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("## Assessment\n\nThe *treaty* matters.", encoding="utf-8")
    result = _cli(
        "--data", str(SMALL), "--actors", "RUS,PRK", "--from", "2023-01-01", "--to",
        "2024-12-31", "--title", "Russia–DPRK", "--notes", str(notes), "-o", "out.html",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<title>Russia–DPRK</title>" in html
    assert "<h2>Assessment</h2>" in html
    assert "Russia (RUS), North Korea (PRK)" in html
    assert "2023-01-01 to 2024-12-31" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--actors", "RUS,XYZ"], "unknown actor ids: XYZ"),
        (["--from", "2024-13-01"], "is not a date"),
        (["--types", "summit,party"], "unknown event types: party"),
        (["--notes", "missing.md"], "cannot read notes"),
    ],
)
def test_cli_export_refuses_bad_options_clearly(tmp_path, args, message):
    result = _cli("--data", str(SMALL), *args, "-o", "out.html", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.html").exists()


def test_filename_for_the_dashboard_download_is_safe():
    from alliances.views.export import briefing_filename

    assert briefing_filename("Russia / DPRK <x>") == "russia-dprk-x.html"
    assert briefing_filename("../../etc/passwd") == "etc-passwd.html"
    assert briefing_filename("") == "briefing.html"


def test_key_events_are_capped_with_a_note(small, monkeypatch):
    monkeypatch.setattr(briefing, "MAX_EVENTS", 2)
    html = render_briefing(alliances.Filters(), dataset=small)
    assert "Key events (2 of 6)" in html
    assert "strongest cooperation or conflict scores" in html


def test_cli_export_with_pair_lanes_on_the_bundled_data(tmp_path):
    """Pair lanes once overflowed int8 actor codes with the bundled data's 33 actors."""
    result = _cli("--lanes", "pair", "--actors", "PRK", "-o", "pairs.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    html = (tmp_path / "pairs.html").read_text(encoding="utf-8")
    # the busiest pair's lane label, in the timeline's JSON spec (plotly escapes the dash)
    assert "PRK\\u2013RUS" in html


def _kpi(html: str, label: str) -> int:
    """The number on the briefing's KPI card called ``label``."""
    found = re.search(rf'kpi-value">([\d,]+)</div><div class="kpi-label">{label}</div>', html)
    assert found, f"no KPI card {label!r}"
    return int(found[1].replace(",", ""))


def test_cli_export_with_link_from_says_so_and_counts_those_events(tmp_path):
    """Issue #12: ``--link from`` narrows the briefing to events from the first actor to the
    others, says so in its scope, and its event count is the notebook's for the same filters."""
    window = ["--from", "2023-01-01", "--to", "2024-12-31"]
    for mode in ("from", "any"):
        result = _cli("--actors", "PRK,RUS", "--link", mode, *window, "-o", f"{mode}.html",
                      cwd=tmp_path)  # fmt: skip
        assert result.returncode == 0, result.stderr
    from_html = (tmp_path / "from.html").read_text(encoding="utf-8")
    any_html = (tmp_path / "any.html").read_text(encoding="utf-8")
    scope = " ".join(parse(from_html).text)
    assert "from North Korea (PRK) to the others" in scope
    assert "to the others" not in " ".join(parse(any_html).text)

    ds = alliances.load_dataset()
    start, end = dt.date(2023, 1, 1), dt.date(2024, 12, 31)

    def selected(link: str) -> int:
        f = alliances.Filters(actors=["PRK", "RUS"], link=link, start=start, end=end)
        return len(alliances.select(ds, f))

    assert _kpi(from_html, "Events") == selected("from")
    assert _kpi(any_html, "Events") == selected("any")
    assert selected("from") < selected("any")
