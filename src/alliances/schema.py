"""The dataset format, declared once.

Each table is a tuple of :class:`Field` declarations plus a few cross-column :class:`RowRule`\\ s.
The validator compiles them into pandera schemas; the loader uses the same declarations to
choose dtypes; ``data/README.md`` documents them (a test keeps the two in step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "ref", "refs", "text", "date", "number", "bool", "choice", "url", "color"]

DATE_PATTERN = re.compile(r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?$")  # ASCII digits only
URL_PATTERN = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
CAMEO_PATTERN = re.compile(r"^\d{2,4}$")
MIN_YEAR, MAX_YEAR = 1800, 2100

ACTOR_KINDS = ("state", "organization", "bloc", "non_state")
CONFIDENCE = ("confirmed", "reported", "estimated", "disputed")
MAGNITUDE_BASIS = ("amount", "cumulative", "part")
STAGES = ("pledged", "ordered", "delivered")
POLARITY = ("-1", "0", "1")
TRUE_WORDS = frozenset({"true", "yes", "1"})
BOOL_WORDS = TRUE_WORDS | {"false", "no", "0"}
PRECISIONS = ("year", "month", "day")


@dataclass(frozen=True)
class Field:
    """One column of a table: its name, what it holds, and whether it must be filled."""

    name: str
    kind: Kind = "text"
    required: bool = False
    ref: str | None = None  # table whose key a "ref"/"refs" value must be
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None
    pattern: re.Pattern[str] | None = None
    description: str = ""


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row; failures are reported on ``column``."""

    name: str
    column: str
    message: str


@dataclass(frozen=True)
class Table:
    """One CSV file of a dataset."""

    name: str
    key: str
    fields: tuple[Field, ...]
    rules: tuple[RowRule, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


_SOURCE_FIELDS = (
    Field("source_name", required=True, description="Outlet and title of the source."),
    Field("source_url", "url", description="Public http(s) address of the source, or empty."),
    Field("other_sources", description="Further citations, ';'-separated, shown as text."),
    Field("confidence", "choice", required=True, choices=CONFIDENCE),
)

ACTORS = Table(
    "actors",
    key="id",
    fields=(
        Field("id", "id", required=True, description="ISO 3166-1 alpha-3 or short code."),
        Field("name", required=True),
        Field("kind", "choice", required=True, choices=ACTOR_KINDS),
        Field("region", required=True),
        Field("aliases", description="Other names, ';'-separated."),
        Field("iso_numeric", "number", bounds=(0, 999)),
        Field("cow_code", "number", bounds=(0, 9999)),
        Field("description"),
    ),
)

EVENT_TYPES = Table(
    "event_types",
    key="id",
    fields=(
        Field("id", "id", required=True),
        Field("label", required=True),
        Field("description", required=True),
        Field("color", "color", required=True),
        Field("score", "number", required=True, bounds=(-10, 10)),
        Field("cameo", pattern=CAMEO_PATTERN),
    ),
)

RELATION_TYPES = Table(
    "relation_types",
    key="id",
    fields=(
        Field("id", "id", required=True),
        Field("label", required=True),
        Field("description", required=True),
        Field("color", "color", required=True),
        Field("polarity", "choice", required=True, choices=POLARITY),
    ),
)

RELATIONS = Table(
    "relations",
    key="relation_id",
    fields=(
        Field("relation_id", "id", required=True),
        Field("actor_a", "ref", required=True, ref="actors"),
        Field("actor_b", "ref", required=True, ref="actors"),
        Field("relation_type", "ref", required=True, ref="relation_types"),
        Field("directed", "bool", required=True),
        Field("start_date", "date", required=True),
        Field("end_date", "date"),
        Field("title", required=True),
        Field("description"),
        *_SOURCE_FIELDS,
    ),
    rules=(
        RowRule("end_after_start", "end_date", "end_date is before start_date"),
        RowRule("distinct_actors", "actor_b", "actor_b is the same actor as actor_a"),
    ),
)

EVENTS = Table(
    "events",
    key="event_id",
    fields=(
        Field("event_id", "id", required=True),
        Field("date", "date", required=True),
        Field("end_date", "date"),
        Field("event_type", "ref", required=True, ref="event_types"),
        Field("actor_1", "ref", required=True, ref="actors"),
        Field("actor_2", "ref", ref="actors"),
        Field("participants", "refs", ref="actors"),
        Field("location"),
        Field("magnitude", "number"),
        Field("unit"),
        Field("magnitude_basis", "choice", choices=MAGNITUDE_BASIS),
        Field("title", required=True),
        Field("description"),
        *_SOURCE_FIELDS,
        Field("relation_id", "ref", ref="relations"),
        Field(
            "score",
            "number",
            bounds=(-10, 10),
            description="This event's own cooperation/conflict score; overrides its type's.",
        ),
        Field("cameo", pattern=CAMEO_PATTERN, description="The source's CAMEO event code."),
        Field("latitude", "number", bounds=(-90, 90), description="WGS 84 degrees north."),
        Field("longitude", "number", bounds=(-180, 180), description="WGS 84 degrees east."),
        Field(
            "targets",
            "refs",
            ref="actors",
            description="Actors the event is directed against (a veto's sponsors), ';'-separated.",
        ),
        Field(
            "stage",
            "choice",
            choices=STAGES,
            description="Transfers and aid: promised (pledged), contracted (ordered) or arrived.",
        ),
    ),
    rules=(
        RowRule("end_after_start", "end_date", "end_date is before date"),
        RowRule("distinct_actors", "actor_2", "actor_2 is the same actor as actor_1"),
        RowRule("unit_with_magnitude", "unit", "magnitude is given without a unit"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (ACTORS, EVENT_TYPES, RELATION_TYPES, RELATIONS, EVENTS)
}
"""All tables in the order they must be checked (a table's references come before it)."""

# Columns that are optional in a file: a dataset may leave them out entirely.
OPTIONAL_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    (t.name, f.name) for t in TABLES.values() for f in t.fields if not f.required
)
