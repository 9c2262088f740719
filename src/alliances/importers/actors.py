"""Actors, mapped not guessed: the shipped crosswalk (``crosswalk.csv``) from the codes and names
the sources use to actor ids, and the per-import resolver that also knows the dataset being
merged into and the user's own ``--actors-map``.

States are keyed by ISO 3166-1 alpha-3, as the bundled dataset is; historical states follow
the Correlates of War (COW) system as the bundled data does: the Soviet Union is ``RUS`` (COW
365), Yugoslavia and Serbia and Montenegro are ``SRB`` (COW 345), West Germany is ``DEU``.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .report import ImportFailed, Report

SCHEMES = ("cow", "gw", "iso3", "isonum", "cameo")
"""Code systems of the crosswalk: COW state numbers, Gleditsch-Ward numbers (UCDP), ISO 3166-1
alpha-3 and numeric, CAMEO/GDELT country and known-group codes."""

STATE_PREFIXES = (
    "government of",
    "military forces of",
    "police forces of",
    "armed forces of",
    "state forces of",
)
"""How ACLED and UCDP name a state's government and forces; what follows is the state."""


def normalise(name: str) -> str:
    """A name for matching: accents, case, punctuation and ``the`` ignored."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[^0-9a-z]+", " ", text.replace("&", " and ")).strip()
    return text.removeprefix("the ")


def number(value: object) -> str:
    """A numeric code as text without leading zeros or decimals (``'036'`` -> ``'36'``)."""
    text = str(value).strip()
    try:
        return str(int(float(text)))
    except ValueError:
        return text.upper()


@dataclass(frozen=True)
class Entry:
    """One actor of the crosswalk, as ``actors.csv`` will record it."""

    id: str
    name: str
    kind: str
    region: str
    iso_numeric: str = ""
    cow_code: str = ""
    aliases: str = ""


class Crosswalk:
    """Codes and names -> crosswalk entries."""

    def __init__(self, rows: list[dict[str, str]]):
        self.entries: dict[str, Entry] = {}
        self.codes: dict[tuple[str, str], str] = {}
        self.names: dict[str, str] = {}
        for row in rows:
            entry = Entry(
                row["id"], row["name"], row["kind"], row["region"],
                row.get("iso_numeric", ""), row.get("cow_code", ""), row.get("aliases", ""),
            )  # fmt: skip
            self.entries[entry.id] = entry
            codes = [("iso3", entry.id)] if entry.kind == "state" else []
            if entry.kind == "state":
                codes.append(("cameo", entry.id))
            if entry.cow_code:
                codes += [("cow", entry.cow_code), ("gw", entry.cow_code)]
            if entry.iso_numeric:
                codes.append(("isonum", entry.iso_numeric))
            for tagged in filter(None, row.get("codes", "").split(";")):
                scheme, _, code = tagged.partition(":")
                codes.append((scheme, code))
                if scheme == "cow":
                    codes.append(("gw", code))
            for scheme, code in codes:
                key = (scheme, number(code) if scheme in ("cow", "gw", "isonum") else code)
                if key not in self.codes or scheme == "gw":  # explicit gw codes win
                    self.codes[key] = entry.id
            for name in [entry.name, *filter(None, entry.aliases.split(";"))]:
                self.names.setdefault(normalise(name), entry.id)

    @classmethod
    def load(cls, path: Path | None = None) -> Crosswalk:
        if path is None:
            return _bundled()
        with path.open(encoding="utf-8", newline="") as fh:
            return cls(list(csv.DictReader(fh)))

    def code(self, scheme: str, value: object) -> str | None:
        text = number(value) if scheme in ("cow", "gw", "isonum") else str(value).strip().upper()
        return self.codes.get((scheme, text))


@cache
def _bundled() -> Crosswalk:
    text = resources.files(__package__).joinpath("crosswalk.csv").read_text(encoding="utf-8")
    return Crosswalk(list(csv.DictReader(text.splitlines())))


def state_name_candidates(name: str) -> list[str]:
    """What a state's government or forces may be called after: ``Military Forces of Russia
    (2000-)`` -> ``Russia``; ``Government of Russia (Soviet Union)`` -> both names."""
    text = name.strip()
    lowered = text.casefold()
    for prefix in STATE_PREFIXES:
        if lowered.startswith(prefix + " "):
            text = text[len(prefix) + 1 :]
            break
    inner = re.findall(r"\(([^)]*)\)", text)
    outer = re.sub(r"\([^)]*\)", " ", text).strip()
    return [text, outer, *inner]


class Actors:
    """Resolves one import's actors and remembers those it uses.

    Lookups try the user's ``--actors-map`` first, then the dataset merged into (by id, name,
    alias, COW code or ISO number), then the crosswalk. Codes that map to nothing are counted
    in the report; named actors that are no state become ``non_state`` actors with stable ids.
    """

    def __init__(
        self,
        report: Report,
        base: pd.DataFrame | None = None,
        user_map: pd.DataFrame | None = None,
        crosswalk: Crosswalk | None = None,
    ):
        self.report = report
        self.crosswalk = crosswalk or Crosswalk.load()
        self.base: dict[str, dict] = {}
        self.base_names: dict[str, str] = {}
        self.base_codes: dict[tuple[str, str], str] = {}
        if base is not None:
            for row in base.to_dict("records"):
                self._know(row)
        self.user: dict[str, str] = {}
        self.user_rows: dict[str, dict] = {}
        if user_map is not None:
            self._read_user_map(user_map)
        self.added: dict[str, dict] = {}

    def _know(self, row: dict) -> None:
        aid = str(row["id"])
        self.base[aid] = row
        for name in [row.get("name"), *str(row.get("aliases") or "").split(";")]:
            if isinstance(name, str) and name.strip():
                self.base_names.setdefault(normalise(name), aid)
        for scheme, col in (("cow", "cow_code"), ("isonum", "iso_numeric")):
            value = row.get(col)
            if value is not None and not pd.isna(value) and str(value).strip():
                self.base_codes.setdefault((scheme, number(value)), aid)

    def _read_user_map(self, frame: pd.DataFrame) -> None:
        for row in frame.to_dict("records"):
            key, aid = str(row["source"]).strip(), str(row["actor_id"]).strip()
            self.user[key] = aid
            self.user[normalise(key)] = aid
            if aid not in self.user_rows:
                self.user_rows[aid] = {
                    "id": aid,
                    "name": row.get("name") or key,
                    "kind": row.get("kind") or "non_state",
                    "region": row.get("region") or "Global",
                }

    # ------------------------------------------------------------------ lookups

    def code(self, scheme: str, value: object, what: str, *, count: bool = True) -> str | None:
        """The actor for a code of ``scheme`` (see :data:`SCHEMES`), or None (counted in the
        report as not mapped, unless ``count`` is false)."""
        if value is None or pd.isna(value) or not str(value).strip():
            return None
        raw = str(value).strip()
        if raw in self.user:
            return self.use_user(self.user[raw])
        if scheme in ("cow", "isonum") and (scheme, number(raw)) in self.base_codes:
            return self.base_codes[(scheme, number(raw))]
        found = self.crosswalk.code(scheme, raw)
        if found is None:
            if count:
                self.report.unmapped_code(what, raw)
            return None
        return self.use_entry(self.crosswalk.entries[found])

    def name(self, text: object, *, state: bool = False) -> str | None:
        """The known actor called ``text`` (for a state's government or forces, ``state``:
        also the state named inside it), or None."""
        if text is None or pd.isna(text) or not str(text).strip():
            return None
        raw = str(text).strip()
        if raw in self.user or normalise(raw) in self.user:
            return self.use_user(self.user.get(raw) or self.user[normalise(raw)])
        candidates = state_name_candidates(raw) if state else [raw]
        for candidate in candidates:
            key = normalise(candidate)
            if key in self.base_names:
                return self.base_names[key]
            if key in self.crosswalk.names:
                return self.use_entry(self.crosswalk.entries[self.crosswalk.names[key]])
        return None

    def named(self, text: str, *, state: bool = False, region: str = "Global") -> str:
        """:meth:`name`, or a new ``non_state`` actor called ``text``."""
        found = self.name(text, state=state)
        if found is not None:
            return found
        if state:
            self.report.unmapped_code("state actor", text)
        return self.new(text, "non_state", region)

    def new(self, name: str, kind: str, region: str = "Global") -> str:
        """A new actor (not in the crosswalk): ``ns-`` or ``org-`` and a stable slug."""
        slug = normalise(name).replace(" ", "-")[:60].strip("-")
        if not slug:
            slug = hashlib.sha1(name.encode()).hexdigest()[:10]
        aid = f"{'org' if kind == 'organization' else 'ns'}-{slug}"
        if aid not in self.base and aid not in self.added:
            self.added[aid] = {"id": aid, "name": name.strip(), "kind": kind, "region": region}
            self.base_names.setdefault(normalise(name), aid)
        return aid

    # ------------------------------------------------------------------ recording use

    def use_entry(self, entry: Entry) -> str:
        """The dataset's id for a crosswalk entry (the merged dataset may call it otherwise)."""
        if entry.id in self.base:
            return entry.id
        for scheme, value in (("cow", entry.cow_code), ("isonum", entry.iso_numeric)):
            if value and (scheme, number(value)) in self.base_codes:
                return self.base_codes[(scheme, number(value))]
        if entry.id not in self.added:
            self.added[entry.id] = {
                "id": entry.id, "name": entry.name, "kind": entry.kind, "region": entry.region,
                "aliases": entry.aliases, "iso_numeric": entry.iso_numeric,
                "cow_code": entry.cow_code,
            }  # fmt: skip
        return entry.id

    def use_user(self, aid: str) -> str:
        if aid in self.base or aid in self.added:
            return aid
        if aid in self.crosswalk.entries:
            return self.use_entry(self.crosswalk.entries[aid])
        self.added[aid] = dict(self.user_rows[aid])
        return aid

    def region_of(self, aid: str | None) -> str:
        row = self.base.get(aid or "") or self.added.get(aid or "")
        return str(row["region"]) if row else "Global"

    def table(self, used: set[str]) -> pd.DataFrame:
        """Actors new to the dataset that the imported rows refer to, in the order first met."""
        rows = [row for aid, row in self.added.items() if aid in used]
        frame = pd.DataFrame(rows, columns=["id", "name", "kind", "region", "aliases",
                                            "iso_numeric", "cow_code"])  # fmt: skip
        for col in ("iso_numeric", "cow_code"):
            frame[col] = pd.to_numeric(frame[col].replace("", None), errors="coerce")
        return frame


def read_actors_map(path: str | Path) -> pd.DataFrame:
    """A user's ``--actors-map`` CSV: ``source`` (a name or code as in the files) and
    ``actor_id``; optional ``name``, ``kind``, ``region`` for actors not known otherwise."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise ImportFailed(f"{path}: cannot read the actors map: {exc}", usage=True) from None
    missing = [c for c in ("source", "actor_id") if c not in frame.columns]
    if missing:
        raise ImportFailed(
            f"{path}:1: the actors map needs the columns source and actor_id "
            f"(missing: {', '.join(missing)})",
            usage=True,
        )
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        aid = str(row.actor_id).strip()
        if not aid or re.search(r"[\s;,]", aid) or not str(row.source).strip():
            raise ImportFailed(
                f"{path}:{i}: needs a source and an actor_id without spaces, ';' or ','",
                usage=True,
            )
        kind = getattr(row, "kind", "") or "non_state"
        if kind not in ("state", "organization", "bloc", "non_state"):
            raise ImportFailed(f"{path}:{i}: kind: unknown kind {kind!r}", usage=True)
    return frame
