"""Event and relation types of imported records: the CAMEO code table, and the vocabulary rows
an import adds to a dataset (the bundled types, plus ``event_types.csv`` and
``relation_types.csv`` beside this module for what the bundled vocabulary has no type for).

``data/README.md`` documents the table below; a test checks the two agree.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

CAMEO_TYPES: dict[str, str] = {
    # the most specific prefix wins: "0231" -> "02" -> appeal
    "01": "statement",
    "02": "appeal",
    "03": "declaration",
    "04": "consult",
    "042": "visit",
    "043": "visit",
    "044": "visit",
    "05": "diplomatic_cooperation",
    "051": "endorsement",
    "057": "treaty",
    "06": "material_cooperation",
    "062": "military_cooperation",
    "07": "aid",
    "072": "arms_transfer",
    "074": "military_cooperation",
    "08": "yield",
    "09": "investigate",
    "10": "demand",
    "11": "disapprove",
    "12": "reject",
    "129": "veto",
    "13": "threat",
    "14": "protest",
    "15": "force_posture",
    "16": "reduce_relations",
    "163": "sanctions",
    "17": "coerce",
    "18": "assault",
    "19": "military_action",
    "20": "mass_violence",
}
"""CAMEO event code prefix -> event type."""

CAMEO_ROOTS: dict[str, str] = {
    "01": "Make public statement",
    "02": "Appeal",
    "03": "Express intent to cooperate",
    "04": "Consult",
    "05": "Engage in diplomatic cooperation",
    "06": "Engage in material cooperation",
    "07": "Provide aid",
    "08": "Yield",
    "09": "Investigate",
    "10": "Demand",
    "11": "Disapprove",
    "12": "Reject",
    "13": "Threaten",
    "14": "Protest",
    "15": "Exhibit force posture",
    "16": "Reduce relations",
    "17": "Coerce",
    "18": "Assault",
    "19": "Fight",
    "20": "Use unconventional mass violence",
}
"""The twenty CAMEO root codes and their names, for titles."""


def cameo_type(code: str) -> str | None:
    """The event type of a CAMEO event code (``"0231"``), or None if it is not one."""
    code = code.strip()
    if not code.isdigit() or not 2 <= len(code) <= 4:
        return None
    for length in (3, 2):
        found = CAMEO_TYPES.get(code[:length])
        if found is not None:
            return found
    return None


@cache
def catalogue(table: str) -> pd.DataFrame:
    """Every type an import may use, as rows of ``event_types``/``relation_types``: the
    bundled vocabulary, then the importers' own additions."""
    from ..dataset import load_dataset
    from ..reading import bundled_path

    bundled = getattr(load_dataset(bundled_path()), table)
    extra = pd.read_csv(
        resources.files(__package__).joinpath(f"{table}.csv").open(encoding="utf-8"),
        dtype=str,
        keep_default_na=False,
    )
    numbers = {"event_types": "score", "relation_types": "polarity"}[table]
    extra[numbers] = pd.to_numeric(extra[numbers])
    if table == "event_types":
        extra["cameo"] = extra["cameo"].replace("", None)
    columns = [c for c in bundled.columns if c in extra.columns]
    return pd.concat([bundled[columns], extra[columns]], ignore_index=True)
