"""The About panel: what the dataset is, how scores and types are defined, how to bring data."""

from __future__ import annotations

import pandas as pd
import panel as pn

from ..dataset import Dataset, bundled_path
from ..fragments import CSS, environment, text


def about_html(dataset: Dataset) -> str:
    first, last = dataset.span
    bundled = dataset.path is not None and dataset.path == bundled_path().resolve()

    def records(frame):
        return [{c: text(v) for c, v in row.items()} for row in frame.to_dict("records")]

    return (
        environment()
        .get_template("about.html.j2")
        .render(
            bundled=bundled,
            path=str(dataset.path),
            fingerprint=dataset.fingerprint,
            counts=dataset.counts(),
            first="no dates" if pd.isna(first) else f"{first:%Y-%m-%d}",
            last="no dates" if pd.isna(last) else f"{last:%Y-%m-%d}",
            event_types=records(dataset.event_types),
            relation_types=records(dataset.relation_types),
        )
    )


def AboutPanel(dataset: Dataset) -> pn.pane.HTML:
    """The About tab for ``dataset``."""
    return pn.pane.HTML(
        about_html(dataset),
        stylesheets=[CSS],
        sizing_mode="stretch_width",
        css_classes=["al-about"],
    )
