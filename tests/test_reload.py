"""Live data reloads: new sessions get new data; bad or half-written files keep the last good."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from alliances.dataset import SETTLE_SECONDS, serve_dataset
from unit_helpers import SMALL


def age(folder: Path, seconds: float = 60) -> None:
    """Make every file look as if written ``seconds`` ago (past the settling time)."""
    past = time.time() - seconds
    for f in folder.iterdir():
        os.utime(f, (past, past))


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(SMALL, copy)
    age(copy)
    return copy


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


def test_valid_files_are_served_as_they_are(folder):
    served = serve_dataset(folder)
    assert served.dataset is not None
    assert not served.stale
    assert len(served.dataset.events) == 6


def test_a_valid_change_reaches_new_sessions(folder):
    first = serve_dataset(folder).dataset
    append(folder / "events.csv", "e7,2024-07,,summit,RUS,PRK,,,,,,New summit,,AP,,,reported,\n")
    age(folder)
    second = serve_dataset(folder)
    assert not second.stale
    assert second.dataset is not first
    assert second.dataset.fingerprint != first.fingerprint
    assert "e7" in set(second.dataset.events["event_id"])


def test_an_invalid_change_keeps_the_last_good_data_and_says_why(folder):
    good = serve_dataset(folder).dataset
    append(folder / "events.csv", "e7,2024-02-30,,summit,RUS,XXX,,,,,,Bad,,AP,,,reported,\n")
    age(folder)
    served = serve_dataset(folder)
    assert served.dataset is good
    assert served.stale
    lines = [str(p) for p in served.problems]
    assert "events.csv:9: date: not a date" in "\n".join(lines)
    assert any(line.startswith("events.csv:9: actor_2: unknown actor id") for line in lines)


def test_a_file_being_written_keeps_the_last_good_data(folder):
    good = serve_dataset(folder).dataset
    # a half-written row, just now: no validation verdict yet, the old data keeps serving
    append(folder / "events.csv", "e7,2024-07,,sum")
    served = serve_dataset(folder)
    assert served.dataset is good
    assert served.settling
    assert not served.problems
    # then, once it has settled, the truncated row is reported
    age(folder, SETTLE_SECONDS + 1)
    later = serve_dataset(folder)
    assert later.dataset is good
    assert later.problems


def test_without_any_good_version_there_is_nothing_to_serve(tmp_path):
    shutil.copytree(SMALL, tmp_path / "bad")
    append(tmp_path / "bad" / "actors.csv", "XX,,state,Europe,,,,\n")
    age(tmp_path / "bad")
    served = serve_dataset(tmp_path / "bad")
    assert served.dataset is None
    assert [str(p) for p in served.problems] == ["actors.csv:9: name: required value is empty"]
