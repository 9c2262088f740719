"""ATOP member-level files (versions 3 to 5.1, e.g. ``atop5_1m.csv``): one row per member and
phase of an alliance, entry and exit as year/month/day columns (exit year 0: still in force),
and the member's obligations ``defense``, ``offense``, ``neutral``, ``nonagg``, ``consul``.

Relations, one per pair of members and type, ids ``atop:<atopid>:<cow>-<cow>:<type>``: defence
-> ``defense_pact``, offence -> ``offense_pact``, neutrality and non-aggression ->
``non_aggression``, consultation -> ``entente``; a member's phases are merged into one spell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from .inputs import InputFile, header_chunks, lower_columns
from .pipeline import Batch, Context
from .spells import Spell, group_members, pair_relations, partial, relations_frame

NAME = "atop"
LABEL = "ATOP member-level files (v3 to v5.1)"

OBLIGATIONS = {
    "defense": "defense_pact",
    "offense": "offense_pact",
    "neutral": "non_aggression",
    "nonagg": "non_aggression",
    "consul": "entente",
}
"""ATOP obligation column -> relation type."""
LABELS = {
    "defense_pact": "defence pact",
    "offense_pact": "offensive alliance",
    "non_aggression": "neutrality or non-aggression pact",
    "entente": "consultation pact (entente)",
}
REQUIRED = ("atopid", "member", "yrent", "yrexit")


def _is_atop(header: list[str]) -> bool:
    return set(REQUIRED) <= {h.lower() for h in header}


def version(name: str) -> str:
    """``ATOP 5.1`` from a file name such as ``atop5_1m.csv``, else ``ATOP``."""
    found = re.search(r"atop[ _-]?(\d+)[._](\d+)", name, re.IGNORECASE)
    return f"ATOP {found[1]}.{found[2]}" if found else "ATOP"


def read(inp: InputFile, ctx: Context) -> Iterator[Batch]:
    """The relations of one ATOP member-level file (read whole: phases join across rows)."""
    what = "an ATOP member-level file (no atopid, member, yrent, yrexit columns)"
    records = []
    for chunk in header_chunks(inp, _is_atop, what=what, missing=frozenset({"", "NA", "."})):
        frame = lower_columns(chunk.frame)
        ctx.report.read += len(frame)
        for row, line in zip(frame.to_dict("records"), chunk.lines, strict=True):
            start = partial(row.get("yrent"), row.get("moent"), row.get("dayent"))
            exit_year = str(row.get("yrexit") or "").strip()
            end = None
            if exit_year not in ("0", "0.0", ""):
                end = partial(exit_year, row.get("moexit"), row.get("dayexit"))
            if start is None or not str(row.get("atopid") or "").strip():
                ctx.report.skip("no atopid or entry year", [f"{inp.name}:{line}"])
                continue
            if end is not None and end < start[: len(end)]:
                ctx.report.skip("exit before entry", [f"{inp.name}:{line}"])
                continue
            # a member without obligations of its own is still bound by its partners'
            types = sorted({t for col, t in OBLIGATIONS.items() if _flag(row.get(col))})
            alliance = str(row["atopid"]).strip().removesuffix(".0")
            member = str(row["member"]).strip().removesuffix(".0")
            records.append((alliance, member, Spell(start, end, int(line)), types))
    source = version(inp.name)
    rows = []
    for alliance, members in group_members(records).items():
        rows += pair_relations(alliance, members, source, "atop", LABELS, ctx)
    frame, lines = relations_frame(rows)
    yield Batch("relations", frame, inp.name, lines)


def _flag(value: object) -> bool:
    text = str(value).strip() if value is not None and not pd.isna(value) else ""
    return text in ("1", "1.0")
