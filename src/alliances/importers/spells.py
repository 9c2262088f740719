"""Alliance spells shared by the ATOP and COW readers: dates from day/month/year columns at
the precision known, members' phases merged into one spell, and one relation per pair of
members and obligation for the time both are in it."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .pipeline import Context

FAR = pd.Timestamp("2262-01-01")
"""The stop of a spell still in force."""


def partial(year: object, month: object = None, day: object = None) -> str | None:
    """``YYYY[-MM[-DD]]`` from columns where 0, negative or empty values mean "not known"."""

    def whole(value: object) -> int | None:
        try:
            number = int(float(str(value).strip()))
        except ValueError:
            return None
        return number if number > 0 else None

    y, m, d = whole(year), whole(month), whole(day)
    if y is None:
        return None
    if m is None or m > 12:
        return f"{y:04d}"
    if d is None or d > calendar.monthrange(y, m)[1]:
        return f"{y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


def _bounds(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start and exclusive stop of a partial date."""
    start = pd.Timestamp(text if len(text) > 4 else f"{text}-01")
    if len(text) == 4:
        return start, start + pd.DateOffset(years=1)
    if len(text) == 7:
        return start, start + pd.DateOffset(months=1)
    return start, start + pd.Timedelta(days=1)


@dataclass(frozen=True)
class Spell:
    """A time in force: from ``start`` (text) to ``end`` (text; None while in force)."""

    start: str
    end: str | None
    line: int

    @property
    def begins(self) -> pd.Timestamp:
        return _bounds(self.start)[0]

    @property
    def stops(self) -> pd.Timestamp:
        return FAR if self.end is None else _bounds(self.end)[1]


def merged(spells: Iterable[Spell]) -> list[Spell]:
    """Spells that touch or overlap joined into one (an alliance's consecutive phases)."""
    out: list[Spell] = []
    for spell in sorted(spells, key=lambda s: s.begins):
        if out and spell.begins <= out[-1].stops:
            last = out[-1]
            end = None if None in (last.end, spell.end) else max(
                (last.end, spell.end), key=lambda e: _bounds(e)[1]
            )  # fmt: skip
            out[-1] = Spell(last.start, end, last.line)
        else:
            out.append(spell)
    return out


def overlap(first: list[Spell], second: list[Spell]) -> list[Spell]:
    """The times covered by a spell of ``first`` and one of ``second``."""
    out = []
    for a in first:
        for b in second:
            if a.begins < b.stops and b.begins < a.stops:
                start = a.start if a.begins >= b.begins else b.start
                end = a.end if a.stops <= b.stops else b.end
                out.append(Spell(start, end, min(a.line, b.line)))
    return merged(out)


@dataclass
class Member:
    """One state's part in one alliance: when it was a member, and under which obligations."""

    code: str
    spells: list[Spell]
    obliged: dict[str, list[Spell]]


def pair_relations(
    alliance: str,
    members: list[Member],
    source: str,
    prefix: str,
    labels: dict[str, str],
    ctx: Context,
    describe: str = "",
) -> list[dict]:
    """Relations between every two members, one per obligation type and spell.

    A pair is bound by a type while one of them holds that obligation and both are members;
    if only one side ever holds it, the relation is directed from that side.
    """
    rows = []
    ids = {m.code: ctx.actors.code("cow", m.code, f"{source} COW code") for m in members}
    known = [m for m in members if ids[m.code] is not None]
    for i, first in enumerate(known):
        for second in known[i + 1 :]:
            a, b = ids[first.code], ids[second.code]
            if a == b:
                continue
            for rtype in sorted(set(first.obliged) | set(second.obliged)):
                by_a = overlap(first.obliged.get(rtype, []), merged(second.spells))
                by_b = overlap(second.obliged.get(rtype, []), merged(first.spells))
                spells = merged(by_a + by_b)
                directed = not by_a or not by_b
                giver, taker = (first, second) if by_a else (second, first)
                for k, spell in enumerate(spells, start=1):
                    rid = f"{prefix}:{alliance}:{giver.code}-{taker.code}:{rtype}"
                    rows.append(
                        {
                            "relation_id": rid if k == 1 else f"{rid}:{k}",
                            "actor_a": ids[giver.code],
                            "actor_b": ids[taker.code],
                            "relation_type": rtype,
                            "directed": directed,
                            "start_date": spell.start,
                            "end_date": spell.end,
                            "title": f"{source} alliance {alliance}: {labels[rtype]}",
                            "description": f"{source} alliance {alliance}, members {giver.code} "
                            f"and {taker.code} (COW state numbers)"
                            + (f"; only {giver.code} holds this obligation" if directed else "")
                            + (f"; {describe}" if describe else "")
                            + ("; still in force" if spell.end is None else ""),
                            "source_name": source,
                            "confidence": "confirmed",
                            "_line": spell.line,
                        }
                    )
    return rows


def relations_frame(rows: list[dict]) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame, np.zeros(0, dtype=np.int64)
    lines = frame.pop("_line").to_numpy(np.int64)
    return frame, lines


def group_members(records: Iterable[tuple[str, str, Spell, list[str]]]) -> dict[str, list[Member]]:
    """(alliance, member code, spell, relation types obliged) -> members per alliance."""
    found: dict[str, dict[str, Member]] = defaultdict(dict)
    for alliance, code, spell, types in records:
        member = found[alliance].setdefault(code, Member(code, [], defaultdict(list)))
        member.spells.append(spell)
        for rtype in types:
            member.obliged[rtype].append(spell)
    return {alliance: list(members.values()) for alliance, members in found.items()}
