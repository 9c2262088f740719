"""Fixtures for the data layer: the small valid dataset, and copies of it with one mistake."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from alliances.dataset import clear_cache

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small"
"""A small valid dataset (7 actors, 5 relations, 6 events; event e1 spans lines 2-3)."""
DOZEN = FIXTURES / "dozen"
"""The small dataset with 13 deliberate mistakes."""


@pytest.fixture(autouse=True)
def _fresh_dataset_cache():
    """Every test loads from disk: no dataset cached by an earlier test."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def small_copy(tmp_path: Path) -> Path:
    """A private copy of the small valid dataset, safe to edit."""
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    return folder


@pytest.fixture
def edited(small_copy: Path) -> Callable[..., Path]:
    """``edited(file, old, new)``: the small dataset with one text replacement in one file.

    ``old`` must occur exactly once, so each test shows the one mistake it makes. Call it again
    to make several edits to the same copy.
    """

    def edit(filename: str, old: str, new: str) -> Path:
        path = small_copy / filename
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {filename}"
        path.write_text(text.replace(old, new), encoding="utf-8", newline="")
        return small_copy

    return edit
