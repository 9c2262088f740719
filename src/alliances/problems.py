"""What is wrong with a dataset: one :class:`Problem` per finding, located as ``FILE:LINE``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class DatasetError(ValueError):
    """Raised by :func:`alliances.load_dataset` for a dataset that fails validation."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:MAX_IN_MESSAGE])
        extra = len(problems) - MAX_IN_MESSAGE
        more = f"\n... and {extra} more" if extra > 0 else ""
        super().__init__(f"{len(problems)} problem(s) in dataset {path}:\n{lines}{more}")


def show(value: object) -> str:
    """A value quoted for a report: control characters escaped, long values shortened."""
    text = str(value)
    if len(text) > MAX_SHOWN_VALUE:
        text = text[: MAX_SHOWN_VALUE - 3] + "..."
    return repr(text)


def format_report(problems: Iterable[Problem]) -> str:
    """One problem per line."""
    return "\n".join(str(p) for p in problems)
