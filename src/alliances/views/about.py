"""The About panel: what the dataset is, how scores and types are defined, how to bring data."""

from __future__ import annotations

import html

import pandas as pd
import panel as pn

from ..dataset import Dataset, bundled_path

ABOUT_CSS = """
table.vocab {border-collapse: collapse; font-size: 0.9em; margin-bottom: 1em;}
table.vocab th, table.vocab td {border-bottom: 1px solid #e3e6ea; padding: 3px 8px;
  text-align: left; vertical-align: top;}
.swatch {display: inline-block; width: 12px; height: 12px; border-radius: 2px;}
"""


def _cell(value: object) -> str:
    return "" if value is None or pd.isna(value) else html.escape(str(value))


def vocabulary_html(frame: pd.DataFrame, columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["", *columns])
    rows = []
    for row in frame.itertuples(index=False):
        color = _cell(row.color)
        swatch = f"<span class='swatch' style='background:{color}'></span>"
        cells = "".join(f"<td>{_cell(getattr(row, c))}</td>" for c in columns)
        rows.append(f"<tr><td>{swatch}</td>{cells}</tr>")
    return f"<table class='vocab'><tr>{head}</tr>{''.join(rows)}</table>"


def about_html(dataset: Dataset) -> str:
    first, last = dataset.span
    c = dataset.counts()
    bundled = dataset.path is not None and dataset.path == bundled_path().resolve()
    origin = (
        "the dataset bundled with <code>alliances</code>: the alliance landscape of the Korean "
        "peninsula, Russia, China, the United States and Japan since 1950, and the war in "
        "Ukraine, curated from public sources, started from an analysis of the June 2024 "
        "Putin–Kim summit in Pyongyang"
        if bundled
        else f"a dataset loaded from <code>{html.escape(str(dataset.path))}</code>"
    )
    events = vocabulary_html(dataset.event_types, ["id", "label", "cameo", "score", "description"])
    relations = vocabulary_html(dataset.relation_types, ["id", "label", "polarity", "description"])
    return f"""
<h3>The dataset</h3>
<p>This is {origin}.</p>
<ul>
<li>Fingerprint <code>{html.escape(dataset.fingerprint)}</code>
(changes whenever a file changes)</li>
<li>{c["actors"]:,} actors, {c["relations"]:,} relations, {c["events"]:,} events</li>
<li>From {first:%Y-%m-%d} to {last:%Y-%m-%d}</li>
</ul>
<p>Every row cites its source. Dates are recorded at the precision that is known: an event known
only to the month or year is drawn as a span over that month or year, never on an invented day.
Figures marked <i>cumulative</i> are running totals; KPI totals use the latest of each series.</p>
<h3>Event types and scores</h3>
<p>Scores run from −10 (conflict) to +10 (cooperation) and follow the Goldstein scale of the
CAMEO event code where one fits. A pair's <i>temperature</i> is the sum of the scores of the
events between them in a quarter.</p>
{events}
<h3>Relation types</h3>
<p>Polarity +1 is aligned, 0 neutral, −1 adversarial. Defence pacts, non-aggression pacts and
ententes follow the Correlates of War / ATOP alliance typology. Centrality is computed on the
relations shown (of the chosen types) in force on the date.</p>
{relations}
<h3>Your own data</h3>
<p>Put five CSV files (<code>actors.csv</code>, <code>event_types.csv</code>,
<code>relation_types.csv</code>, <code>relations.csv</code>, <code>events.csv</code>) in a folder,
in the format of <code>data/README.md</code>, then run <code>alliances validate FOLDER</code> and
<code>alliances serve --data FOLDER</code>.
In Python: <code>alliances.load_dataset("FOLDER")</code>.</p>
"""


def AboutPanel(dataset: Dataset) -> pn.pane.HTML:
    """The About tab for ``dataset``."""
    return pn.pane.HTML(
        about_html(dataset),
        stylesheets=[ABOUT_CSS],
        sizing_mode="stretch_width",
        css_classes=["al-about"],
    )
