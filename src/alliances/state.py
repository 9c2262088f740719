"""The user's selections: one param object per session (or notebook), no Panel import.

Every view reads the same :class:`Filters`; the dashboard mirrors it in the URL's query string
with :func:`to_query` / :func:`from_query`, which never fail: a value that does not parse is
skipped with a notice, and the rest of the link still applies.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping

import param

CENTRALITIES = ("degree", "betweenness", "eigenvector")
LANES = ("type", "pair")
LINKS = ("any", "between", "from")
"""Which events of the chosen actors: any event of any of them, events between two or more of
them, or events from the first chosen actor to the others."""
MAX_QUERY_VALUE = 2000
MAX_LIST_ITEMS = 300
_ID = re.compile(r"^[^\s;,<>\"'`]{1,80}$")  # for ids not checked against a dataset
_ANY_ID = re.compile(r"^[^\s;,]{1,200}$")  # the validator's rule for ids
_REGION = re.compile(r"^[^;,<>\"'`]{1,80}$")  # region names have spaces ("East Asia")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Filters(param.Parameterized):
    """What the analyst is looking at. Empty lists mean "no restriction"."""

    start = param.CalendarDate(default=None, allow_None=True, doc="First day of the window.")
    end = param.CalendarDate(default=None, allow_None=True, doc="Last day of the window.")
    actors = param.List(default=[], item_type=str, doc="Actor ids to focus on.")
    include_partners = param.Boolean(
        default=False, doc="Also show the actors aligned with the focused ones in the window."
    )
    link = param.Selector(
        default="any",
        objects=list(LINKS),
        doc="Events of any chosen actor, only those between them, or from the first to the rest.",
    )
    event_types = param.List(default=[], item_type=str, doc="Event type ids to show.")
    relation_types = param.List(default=[], item_type=str, doc="Relation type ids to show.")
    regions = param.List(default=[], item_type=str, doc="Regions whose actors to show.")
    search = param.String(default="", doc="Text searched in titles and descriptions.")
    as_of = param.CalendarDate(
        default=None, allow_None=True, doc="Date of the network view (default: window end)."
    )
    centrality = param.Selector(default="degree", objects=list(CENTRALITIES), doc="Node size.")
    lanes = param.Selector(default="type", objects=list(LANES), doc="Timeline lanes.")
    pairs = param.List(
        default=[],
        item_type=str,
        doc="Pairs (``PRK–RUS``) in the temperature chart (default: busiest).",
    )
    event = param.String(default="", doc="Id of the event shown in the detail card.")
    actor = param.String(
        default="", doc="Id of the actor shown in the detail card (when no event is)."
    )

    def reset(self) -> None:
        """Back to the defaults (everything shown)."""
        self.param.update(**{name: self.param[name].default for name in FILTERS})

    def __repr__(self) -> str:
        changed = to_query(self)
        return f"Filters({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


FILTERS: tuple[str, ...] = tuple(name for name in Filters.param if name != "name")
"""Every filter parameter of :class:`Filters`, in declaration order."""

SELECTION: tuple[str, ...] = (
    "start", "end", "actors", "include_partners", "link", "event_types", "relation_types",
    "regions", "search",
)  # fmt: skip
"""The filters that decide which events and relations are selected (the others choose how they
are drawn, or which one is shown in detail)."""


# --------------------------------------------------------------------------- URL codec

# query key -> parameter name; short keys keep shared links readable
QUERY_KEYS: dict[str, str] = {
    "from": "start",
    "to": "end",
    "actors": "actors",
    "partners": "include_partners",
    "link": "link",
    "types": "event_types",
    "relations": "relation_types",
    "regions": "regions",
    "q": "search",
    "asof": "as_of",
    "size": "centrality",
    "lanes": "lanes",
    "pairs": "pairs",
    "event": "event",
    "actor": "actor",
}
_PARAM_KEYS = {v: k for k, v in QUERY_KEYS.items()}


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def to_query(filters: Filters) -> dict[str, str]:
    """The non-default filter values as query-string parameters."""
    out: dict[str, str] = {}
    for name in FILTERS:
        value = getattr(filters, name)
        if value != filters.param[name].default and value not in (None, "", []):
            out[_PARAM_KEYS[name]] = _encode(value)
    return out


def _parse_list(
    raw: str,
    known: Iterable[str] | None,
    what: str,
    notices: list[str],
    pattern: re.Pattern[str] = _ID,
) -> list[str] | None:
    items = [v.strip() for v in raw.split(",") if v.strip()]
    if len(items) > MAX_LIST_ITEMS:
        notices.append(f"ignored {what}: more than {MAX_LIST_ITEMS} values")
        return None
    known_set = set(known) if known is not None else None
    # ids of the dataset are taken as they are (the validator allows '<' in an id, and a link
    # the dashboard writes must open again); without a dataset, only plain ids pass
    bad = [v for v in items if not pattern.match(v) and (known_set is None or v not in known_set)]
    unknown = [v for v in items if known_set is not None and v not in known_set and v not in bad]
    if bad or unknown:
        shown = ", ".join((bad + unknown)[:5])
        notices.append(f"ignored unknown {what}: {shown}")
    return [v for v in items if v not in bad and v not in unknown]


_PAIR = re.compile(r"^([^\s;,<>\"'`–]{1,80})–([^\s;,<>\"'`–]{1,80})$")


def _parse_pairs(raw: str, actors: Iterable[str] | None, notices: list[str]) -> list[str] | None:
    """``PRK–RUS,KOR–PRK``: pairs of (known) actor ids, each written once, ids in order."""
    items = [v.strip() for v in raw.split(",") if v.strip()]
    if len(items) > MAX_LIST_ITEMS:
        notices.append(f"ignored pairs: more than {MAX_LIST_ITEMS} values")
        return None
    known = set(actors) if actors is not None else None
    good, bad = [], []
    for item in items:
        match = _PAIR.match(item)
        ids = match.groups() if match else ()
        if not ids and "–" not in item:  # a plain hyphen, as typed on a keyboard: "PRK-RUS"
            splits = [item.split("-", 1)] if known is None else [
                [item[:i], item[i + 1 :]]
                for i, c in enumerate(item)
                if c == "-" and {item[:i], item[i + 1 :]} <= known
            ]  # fmt: skip
            ids = tuple(splits[0]) if splits and _ID.match(item.replace("-", "")) else ()
        if len(ids) == 2 and ids[0] != ids[1] and (known is None or set(ids) <= known):
            label = "–".join(sorted(ids))
            if label not in good:
                good.append(label)
        else:
            bad.append(item)
    if bad:
        notices.append(f"ignored unknown pairs: {', '.join(bad[:5])}")
    return good


def from_query(
    query: Mapping[str, str],
    *,
    actors: Iterable[str] | None = None,
    event_types: Iterable[str] | None = None,
    relation_types: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    event_exists: Callable[[str], bool] | None = None,
) -> tuple[dict[str, object], list[str]]:
    """Parse a query string into filter updates, skipping what does not parse.

    Returns the updates (ready for ``filters.param.update``) and human-readable notices for
    every key or value that was ignored. The known ids, when given, restrict list values.
    """
    updates: dict[str, object] = {}
    notices: list[str] = []
    known = {"actors": actors, "event_types": event_types, "relation_types": relation_types}
    known["regions"] = regions
    labels = {
        "actors": "actor ids",
        "event_types": "event types",
        "relation_types": "relation types",
        "regions": "regions",
    }
    for key, raw in query.items():
        name = QUERY_KEYS.get(key)
        if name is None:
            notices.append(f"ignored unknown link parameter {key[:40]!r}")
            continue
        if not isinstance(raw, str) or len(raw) > MAX_QUERY_VALUE:
            notices.append(f"ignored {key!r}: value too long")
            continue
        raw = raw.strip()
        if name in ("start", "end", "as_of"):
            try:
                if raw and not _DAY.match(raw):
                    raise ValueError(raw)
                updates[name] = dt.date.fromisoformat(raw) if raw else None
            except ValueError:
                notices.append(f"ignored {key!r}: {raw[:40]!r} is not a date (YYYY-MM-DD)")
        elif name in labels:
            pattern = _REGION if name == "regions" else _ID
            parsed = _parse_list(raw, known[name], labels[name], notices, pattern)
            if parsed is not None:
                updates[name] = parsed
        elif name == "include_partners":
            if raw.lower() in ("1", "true", "yes", "0", "false", "no"):
                updates[name] = raw.lower() in ("1", "true", "yes")
            else:
                notices.append(f"ignored {key!r}: use 1 or 0")
        elif name in ("centrality", "lanes", "link"):
            allowed = {"centrality": CENTRALITIES, "lanes": LANES, "link": LINKS}[name]
            if raw in allowed:
                updates[name] = raw
            else:
                notices.append(f"ignored {key!r}: use one of {', '.join(allowed)}")
        elif name == "event":
            known_event = event_exists is not None and _ANY_ID.match(raw) and event_exists(raw)
            if known_event or _ID.match(raw):
                updates[name] = raw
            else:
                notices.append(f"ignored {key!r}: not an event id")
        elif name == "pairs":
            parsed = _parse_pairs(raw, known["actors"], notices)
            if parsed is not None:
                updates[name] = parsed
        elif name == "actor":
            parsed = _parse_list(raw, known["actors"], "actor ids", notices)
            if parsed is not None and len(parsed) <= 1:
                updates[name] = parsed[0] if parsed else ""
            elif parsed is not None:
                notices.append(f"ignored {key!r}: give one actor id")
        else:  # search text
            updates[name] = raw[:200]
    # 'from' after 'to' is kept as it is: the selection reads it in order and says so, as it
    # does for the same dates chosen on the page, so a link opens what its page showed
    return updates, notices
