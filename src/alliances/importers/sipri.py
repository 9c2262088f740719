"""SIPRI Arms Transfers Database trade register, as its CSV export comes: lines of notes
before the header, Latin-1 text, unnamed columns holding ``?`` where SIPRI is unsure of the
value beside them, several delivery years in one cell (``2022; 2023``), uncertain years in
brackets, ``*`` after a non-state recipient and ``**`` after an organisation.

Each deal becomes an ``arms_transfer`` from supplier to recipient: the order (year of order,
stage ``ordered``, its TIV as magnitude) and one delivery per year of delivery (stage
``delivered``). The register has no deal number, so ids are ``sipri:`` and a hash of the deal's
recipient, supplier, year of order and weapon designation (plus a count for identical deals).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pandas as pd

from .inputs import InputFile, header_chunks
from .pipeline import Batch, Context

NAME = "sipri"
LABEL = "SIPRI Arms Transfers Database trade register (CSV export)"
SOURCE = "SIPRI Arms Transfers Database, trade register"
UNIT = "SIPRI TIV (millions)"
UNKNOWN = re.compile(r"^unknown\b", re.IGNORECASE)


def _is_register(header: list[str]) -> bool:
    names = {h.lower() for h in header}
    return {"recipient", "supplier"} <= names and any("order" in h for h in names)


def _flags(header: list[str]) -> dict[str, str]:
    """Each named column followed by an unnamed one -> that unnamed column (its ``?`` flags)."""
    return {
        name: following
        for name, following in pairwise(header)
        if following.startswith("_col") and not name.startswith("_col")
    }


def read(inp: InputFile, ctx: Context) -> Iterator[Batch]:
    """Orders and deliveries of one trade register export."""
    what = "a SIPRI trade register export (no Recipient, Supplier, Year of order header)"
    seen: Counter[str] = Counter()
    for chunk in header_chunks(inp, _is_register, what=what):
        frame = chunk.frame
        ctx.report.read += len(frame)
        columns = {c.lower(): c for c in frame.columns}
        flags = _flags(list(frame.columns))
        rows, lines = [], []
        for record, line in zip(frame.to_dict("records"), chunk.lines, strict=True):
            made = _deal(record, columns, flags, f"{inp.name}:{line}", seen, ctx)
            rows += made
            lines += [line] * len(made)
        yield Batch("events", pd.DataFrame(rows), inp.name, np.asarray(lines, dtype=np.int64))


def _party(name: object, ctx: Context) -> str | None:
    if not isinstance(name, str) or not name.strip() or UNKNOWN.match(name.strip()):
        return None
    text = name.strip()
    kind = "organization" if text.endswith("**") else "non_state" if text.endswith("*") else None
    text = text.rstrip("*").strip()
    found = ctx.actors.name(text)
    if found is None and kind is None:
        ctx.actors.report.unmapped_code("SIPRI name", text)
        return None
    return found or ctx.actors.new(text, kind or "non_state")


def _year(value: object) -> tuple[str | None, bool]:
    """A year and whether SIPRI marks it uncertain (in brackets)."""
    text = str(value or "").strip()
    found = re.fullmatch(r"\(?(\d{4})\)?", text)
    return (found[1], text.startswith("(")) if found else (None, False)


def _deal(
    record: dict, columns: dict[str, str], flags: dict[str, str], where: str, seen, ctx: Context
) -> list[dict]:
    def get(name: str) -> str:
        value = record.get(columns.get(name, ""))
        return str(value).strip() if isinstance(value, str) else ""

    def unsure(name: str) -> bool:
        flag = record.get(flags.get(columns.get(name, ""), ""))
        return isinstance(flag, str) and flag.strip() == "?"

    supplier, recipient = _party(get("supplier"), ctx), _party(get("recipient"), ctx)
    if supplier is None or recipient is None:
        ctx.report.skip("supplier or recipient unknown or not mapped", [where])
        return []
    ordered, bracketed = _year(get("year of order"))
    if ordered is None:
        ctx.report.skip("no year of order", [where])
        return []
    weapon = get("weapon designation")
    kind = get("weapon description")
    n_ordered, n_delivered = get("number ordered"), get("number delivered")
    key = "|".join((get("recipient"), get("supplier"), ordered, weapon, n_ordered))
    seen[key] += 1
    digest = hashlib.sha1(f"{key}|{seen[key]}".encode()).hexdigest()[:12]
    notes = [
        f"year of order {ordered}"
        + (" (uncertain)" if bracketed or unsure("year of order") else ""),
        f"number ordered {n_ordered or 'not known'}"
        + (" (uncertain)" if unsure("number ordered") else ""),
        f"number delivered {n_delivered or 'none yet'}"
        + (" (uncertain)" if unsure("number delivered") else ""),
        f"year(s) of delivery {get('year(s) of delivery') or 'none yet'}",
        f"SIPRI TIV per unit {get('sipri tiv per unit') or 'not known'}",
        f"for the order {get('sipri tiv for total order') or 'not known'}",
        f"of delivered weapons {get('sipri tiv of delivered weapons') or 'not known'}",
    ]
    if get("status"):
        notes.append(f"status {get('status')}")
    if get("comments"):
        notes.append(get("comments"))
    what = f"{n_ordered or '?'} {weapon}" + (f" ({kind})" if kind else "")
    route = f"from {get('supplier').rstrip('*')} to {get('recipient').rstrip('*')}"
    base = {
        "event_type": "arms_transfer",
        "actor_1": supplier,
        "actor_2": recipient,
        "source_name": SOURCE,
        "confidence": "estimated",
        "description": "; ".join(notes) + f"; {where}",
    }
    tiv = pd.to_numeric(get("sipri tiv for total order"), errors="coerce")
    rows = [
        base
        | {
            "event_id": f"sipri:{digest}:order",
            "date": ordered,
            "title": f"Order: {what} {route}",
            "magnitude": tiv if tiv == tiv else None,
            "unit": UNIT if tiv == tiv else None,
            "stage": "ordered",
        }
    ]
    for year in dict.fromkeys(re.findall(r"\d{4}", get("year(s) of delivery"))):
        rows.append(
            base
            | {
                "event_id": f"sipri:{digest}:delivery-{year}",
                "date": year,
                "title": f"Delivery: {weapon} {route}",
                "stage": "delivered",
            }
        )
    return rows
