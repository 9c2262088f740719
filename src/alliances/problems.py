"""What is wrong with a dataset: one :class:`Problem` per finding, located as ``FILE:LINE``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MAX_SHOWN_VALUE = 60
MAX_IN_MESSAGE = 50


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a dataset, located as precisely as possible."""

    file: str
    line: int
    column: str
    message: str
    fault: bool = field(default=False, compare=False)
    """A fault of reading (an engine that cannot be reached, a missing table, an unreadable
    file: the engine reports them so), as opposed to data read and found wrong."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"

    @property
    def read_fault(self) -> bool:
        """Whether the data could not be read at all, rather than read and found wrong."""
        return self.fault


def read_faults_only(problems: Iterable[Problem]) -> bool:
    """Whether every problem is a fault of reading (and there is one): the page then says the
    data could not be read, not that it failed validation."""
    problems = list(problems)
    return bool(problems) and all(p.read_fault for p in problems)


class DatasetError(ValueError):
    """Raised by :func:`alliances.load_dataset` for a dataset that fails validation or cannot
    be read."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:MAX_IN_MESSAGE])
        extra = len(problems) - MAX_IN_MESSAGE
        more = f"\n... and {extra} more" if extra > 0 else ""
        super().__init__(f"{len(problems)} problem(s) in dataset {path}:\n{lines}{more}")

    @property
    def read_fault(self) -> bool:
        """Whether the data could not be read (:func:`read_faults_only`), not failed validation."""
        return read_faults_only(self.problems)


def show(value: object) -> str:
    """A value quoted for a report: control characters escaped, long values shortened."""
    text = str(value)
    if len(text) > MAX_SHOWN_VALUE:
        text = text[: MAX_SHOWN_VALUE - 3] + "..."
    return repr(text)


def format_report(problems: Iterable[Problem]) -> str:
    """One problem per line."""
    return "\n".join(str(p) for p in problems)


class SelectionTooLarge(RuntimeError):
    """A view that reads the selected events one by one was asked for more than a large
    dataset lets it fetch: the message says how many, and how to narrow the filters."""
