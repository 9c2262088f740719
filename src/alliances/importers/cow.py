"""Correlates of War Formal Alliances v4.1: the dyad file (``alliance_v4.1_by_dyad.csv``, one
row per pair and spell, directed or not) and the member file (``alliance_v4.1_by_member.csv``,
one row per member), with day/month/year columns and the types ``defense``, ``neutrality``,
``nonaggression`` and ``entente``.

Relations, one per pair and type, ids ``cow:<version4id>:<ccode>-<ccode>:<type>``: defence ->
``defense_pact``, neutrality and non-aggression -> ``non_aggression``, entente -> ``entente``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from .inputs import InputFile, header_chunks, lower_columns
from .pipeline import Batch, Context
from .spells import Spell, group_members, pair_relations, partial, relations_frame

NAME = "cow"
LABEL = "Correlates of War Formal Alliances v4.1 (dyad and member files)"
SOURCE = "Correlates of War Formal Alliances v4.1"

TYPES = {
    "defense": "defense_pact",
    "neutrality": "non_aggression",
    "nonaggression": "non_aggression",
    "entente": "entente",
}
"""COW alliance type column -> relation type."""
LABELS = {
    "defense_pact": "defence pact (type I)",
    "non_aggression": "neutrality or non-aggression pact (type II)",
    "entente": "entente (type III)",
}
DYAD = ("version4id", "ccode1", "ccode2", "dyad_st_year")
MEMBER = ("version4id", "ccode", "mem_st_year")


def _is_cow(header: list[str]) -> bool:
    names = {h.lower() for h in header}
    return set(DYAD) <= names or set(MEMBER) <= names


def read(inp: InputFile, ctx: Context) -> Iterator[Batch]:
    """The relations of one COW alliance file (dyad or member), read whole."""
    what = "a COW Formal Alliances dyad or member file (no version4id, ccode columns)"
    records = []
    for chunk in header_chunks(inp, _is_cow, what=what, missing=frozenset({"", "NA", "."})):
        frame = lower_columns(chunk.frame)
        ctx.report.read += len(frame)
        dyad = "ccode1" in frame
        prefix = "dyad" if dyad else "mem"
        for row, line in zip(frame.to_dict("records"), chunk.lines, strict=True):
            start = partial(row.get(f"{prefix}_st_year"), row.get(f"{prefix}_st_month"),
                            row.get(f"{prefix}_st_day"))  # fmt: skip
            end = partial(row.get(f"{prefix}_end_year"), row.get(f"{prefix}_end_month"),
                          row.get(f"{prefix}_end_day"))  # fmt: skip
            if start is None:
                ctx.report.skip("no start year", [f"{inp.name}:{line}"])
                continue
            codes = [row.get(c) for c in ("version4id", "ccode1", "ccode2", "ccode") if c in row]
            if not all(_code(c) for c in codes):
                ctx.report.skip(
                    "a version4id or ccode that is not a number", [f"{inp.name}:{line}"]
                )
                continue
            alliance = _code(row["version4id"])
            types = sorted({t for col, t in TYPES.items() if _flag(row.get(col))})
            spell = Spell(start, end, int(line))
            if dyad:  # a pair of its own: an alliance of two members
                first, second = sorted((_code(row["ccode1"]), _code(row["ccode2"])), key=int)
                key = f"{alliance}\0{first}\0{second}"
                records += [(key, first, spell, types), (key, second, spell, types)]
            else:
                records.append((alliance, _code(row["ccode"]), spell, types))
    rows = []
    for key, members in group_members(records).items():
        alliance = key.split("\0")[0]
        rows += pair_relations(alliance, members, SOURCE, "cow", LABELS, ctx)
    frame, lines = relations_frame(rows)
    if len(frame):  # the directed dyad file lists each pair twice: once is enough
        keep = ~frame["relation_id"].duplicated()
        frame, lines = frame[keep.to_numpy()], lines[keep.to_numpy()]
    yield Batch("relations", frame, inp.name, lines)


def _code(value: object) -> str:
    """A COW number as text (``"200"``), or ``""`` if it is not one."""
    text = str(value).strip().removesuffix(".0")
    return text if text.isdigit() else ""


def _flag(value: object) -> bool:
    text = str(value).strip() if value is not None and not pd.isna(value) else ""
    return text in ("1", "1.0")
