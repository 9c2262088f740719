"""The optional per-event columns imports fill: ``score`` (overrides the type's), ``cameo``,
``latitude`` and ``longitude``; typed by the loader, checked by the validator, written back."""

from __future__ import annotations

import csv
import io

import pytest

from alliances import aggregates
from alliances.formats import to_csv
from alliances.validation import validate
from unit_helpers import actor, build, event, write_dataset

pytestmark = pytest.mark.usefixtures("fresh_caches")

ACTORS = [actor("RUS"), actor("UKR")]


def test_an_events_own_score_wins_over_its_types_and_reaches_the_temperature(tmp_path):
    ds = build(
        tmp_path / "d",
        actors=ACTORS,
        events=[
            event("g1", "2024-02-01", "military_action", "RUS", "UKR", score="-2.5"),
            event("g2", "2024-02-03", "military_action", "RUS", "UKR"),
            event("g3", "2024-03-01", "statement", "UKR", "RUS", score="3"),
        ],
    )
    scores = dict(zip(ds.events["event_id"], ds.events["score"], strict=True))
    assert scores == {"g1": -2.5, "g2": -10.0, "g3": 3.0}
    temp = aggregates.temperature(ds.events, ["RUS–UKR"], fill=False)
    assert list(temp["score"]) == [-9.5]  # -2.5 + -10 + 3 in 2024 Q1
    assert list(temp["events"]) == [3]


def test_coordinates_and_cameo_are_typed_and_written_back(tmp_path):
    ds = build(
        tmp_path / "d",
        actors=ACTORS,
        events=[
            event("g1", "2024-02-01", "military_action", "RUS", "UKR", latitude="48.0159",
                  longitude="37.8028", cameo="190", score="-10"),
            event("g2", "2024", "statement", "UKR", "RUS"),
        ],
    )  # fmt: skip
    ev = ds.events.set_index("event_id")
    assert ev.loc["g1", "latitude"] == pytest.approx(48.0159)
    assert ev.loc["g1", "longitude"] == pytest.approx(37.8028)
    assert ev["latitude"].dtype == "float64"
    assert ev.loc["g2", ["latitude", "longitude"]].isna().all()
    rows = {r["event_id"]: r for r in csv.DictReader(io.StringIO(to_csv(ds.events, "events")))}
    assert (rows["g1"]["latitude"], rows["g1"]["longitude"]) == ("48.0159", "37.8028")
    assert rows["g1"]["cameo"] == "190"
    assert (rows["g2"]["latitude"], rows["g2"]["score"]) == ("", "0")  # the type's score


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("score", "10.5", "out of range: must be between -10 and 10"),
        ("score", "high", "not a number"),
        ("latitude", "91", "out of range: must be between -90 and 90"),
        ("longitude", "-180.5", "out of range: must be between -180 and 180"),
        ("longitude", "37,8", "not a number"),
        ("cameo", "19a", r"does not match ^\d{2,4}$"),
    ],
)
def test_bad_values_are_reported_on_their_line(tmp_path, column, value, message):
    folder = write_dataset(
        tmp_path / "d",
        actors=ACTORS,
        events=[event("g1", "2024", "statement", "RUS", "UKR", **{column: value})],
    )
    assert [str(p) for p in validate(folder)] == [f"events.csv:2: {column}: {message}: '{value}'"]
