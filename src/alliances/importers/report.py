"""What an import did: records read and imported, skipped by reason, actors created, codes not
mapped; and :class:`ImportFailed`, the error for input that cannot be imported at all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EXAMPLES = 3
"""How many ``FILE:LINE`` places a report shows for each reason a record was skipped."""


class ImportFailed(Exception):
    """Input that cannot be imported (wrong kind of file, truncated, a broken line) or an output
    that cannot be written. Nothing was written. ``usage`` is true for mistakes in the command
    (exit code 2) rather than in the files (exit code 1)."""

    def __init__(self, problems: str | Sequence[str], *, usage: bool = False):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.usage = usage
        super().__init__("\n".join(self.problems))


@dataclass
class Report:
    """Counts and examples gathered while importing; :meth:`text` is what the command prints."""

    source: str
    read: int = 0
    imported: dict[str, int] = field(default_factory=lambda: {"events": 0, "relations": 0})
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    actors_created: list[str] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    output: Path | None = None

    def skip(self, reason: str, places: Iterable[str], count: int | None = None) -> None:
        """Count records skipped for ``reason``; ``places`` are their ``FILE:LINE``\\ s."""
        places = list(places)
        self.skipped[reason] += len(places) if count is None else count
        shown = self.examples.setdefault(reason, [])
        shown.extend(places[: EXAMPLES - len(shown)])

    def skip_rows(self, reason: str, mask: np.ndarray, file: str, lines: np.ndarray) -> None:
        """:meth:`skip` for the rows of a chunk where ``mask`` is true."""
        count = int(np.count_nonzero(mask))
        if count:
            first = lines[np.flatnonzero(mask)[:EXAMPLES]]
            self.skip(reason, [f"{file}:{line}" for line in first], count)

    def unmapped_code(self, what: str, value: object, count: int = 1) -> None:
        """A code or name of the source that maps to no actor (``what`` says which kind)."""
        self.unmapped[f"{what} {value}"] += count

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def text(self) -> str:
        """The report as lines of text, as ``alliances import`` prints it."""
        imported = ", ".join(f"{n:,} {what}" for what, n in self.imported.items() if n)
        lines = [
            f"{self.source}: {self.read:,} records read, imported {imported or 'nothing'}, "
            f"{self.skipped_total:,} skipped",
        ]
        if self.output is not None:
            lines.append(f"wrote {self.output}")
        for reason, count in self.skipped.most_common():
            where = ", ".join(self.examples.get(reason, []))
            lines.append(f"  skipped {count:,}: {reason}" + (f" (first: {where})" if where else ""))
        if self.actors_created:
            shown = ", ".join(self.actors_created[:20])
            more = len(self.actors_created) - 20
            lines.append(
                f"actors created: {len(self.actors_created):,} ({shown}"
                + (f" and {more:,} more)" if more > 0 else ")")
            )
        if self.unmapped:
            codes = self.unmapped.most_common(20)
            shown = "; ".join(f"{code} ({n:,})" for code, n in codes)
            more = len(self.unmapped) - len(codes)
            lines.append(
                f"codes not mapped to an actor: {len(self.unmapped):,}: {shown}"
                + (f"; and {more:,} more" if more > 0 else "")
            )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)
