"""Analyses an analyst steers: shifts against a pair's own baseline, an alignment index with
stated weights, what was pledged against what arrived, and running estimates as series.

Pure functions of a dataset and filters (no Panel, no plotly); the dashboard, the briefing and
notebooks call the same ones. Each method and its parameters are documented in ``docs/analyses.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import param

from . import query
from .aggregates import pair_label, pair_labels, temperature
from .cache import per_dataset
from .dataset import Dataset

QUARTER = pd.DateOffset(months=3)


# --------------------------------------------------------------------------- shifts


class ShiftRule(param.Parameterized):
    """When a pair's quarter departs from the pair's own trailing baseline."""

    baseline = param.Integer(
        8, bounds=(2, 40), doc="Quarters before each quarter that form its baseline."
    )
    threshold = param.Number(
        2.0, bounds=(0.5, 10), doc="Standard deviations from the baseline's mean."
    )
    min_events = param.Integer(2, bounds=(1, 100), doc="Events a quarter needs to be flagged.")
    floor = param.Number(
        1.0,
        bounds=(0.1, 20),
        doc="Least standard deviation used, in score points (a flat baseline).",
    )

    def key(self) -> tuple:
        return (self.baseline, float(self.threshold), self.min_events, float(self.floor))


SHIFT_COLUMNS = ["pair", "quarter", "score", "events", "mean", "sd", "z", "direction"]


def shifts(
    dataset: Dataset, filters: query.AnyFilters, rule: ShiftRule | None = None
) -> pd.DataFrame:
    """Quarters of the window whose temperature departs from the pair's own trailing baseline.

    For each chosen pair (``filters.pairs``, else the default pairs) and each quarter of the
    window: the baseline is the previous ``rule.baseline`` quarters (before the window too, with
    the same filters otherwise); a quarter with at least ``rule.min_events`` events is flagged
    when ``|score - mean| > threshold * max(sd, floor)``.
    """
    rule = rule or ShiftRule()
    return _shifts(dataset, query.Criteria.of(filters), _pairs(dataset, filters), rule.key())


def _pairs(dataset: Dataset, filters: query.AnyFilters) -> tuple[str, ...]:
    chosen = tuple(getattr(filters, "pairs", ()) or ())
    return chosen or tuple(query.select(dataset, filters).default_pairs())


@per_dataset(maxsize=16)
def _shifts(dataset: Dataset, criteria: query.Criteria, pairs: tuple[str, ...], key: tuple):
    baseline, threshold, min_events, floor = key
    sel = query.select(dataset, criteria)
    w = sel.window
    first = pd.Timestamp(w.start).to_period("Q").start_time
    early = first - QUARTER * baseline
    # the same filters over a window that starts `baseline` quarters earlier
    wide = query.select(dataset, replace(criteria, start=early.date(), end=w.end.date()))
    t = temperature(
        wide.facts, list(pairs), start=early, stop=w.stop, links=wide.links, latest=wide.latest
    )
    rows = []
    for pair, series in t.groupby("pair", sort=False):
        scores = series["score"].to_numpy(float)
        events = series["events"].to_numpy(int)
        quarters = series["quarter"].to_numpy("datetime64[ns]")
        for i in range(baseline, len(scores)):
            if quarters[i] < np.datetime64(first) or events[i] < min_events:
                continue
            past = scores[i - baseline : i]
            mean, sd = float(past.mean()), float(past.std(ddof=1)) if baseline > 1 else 0.0
            z = (scores[i] - mean) / max(sd, floor)
            if abs(z) > threshold:
                direction = "warmer" if z > 0 else "colder"
                rows.append((pair, quarters[i], scores[i], events[i], mean, sd, z, direction))
    return pd.DataFrame(rows, columns=SHIFT_COLUMNS)


def shift_events(dataset: Dataset, filters: query.AnyFilters, pair: str, quarter) -> pd.DataFrame:
    """The selected events behind one flagged quarter of one pair (they bear on the pair)."""
    sel = query.select(dataset, filters)
    start = pd.Timestamp(quarter)
    links = sel.links
    rows = np.unique(links.rows[links.on_pair(pair)])
    dates = sel.facts["date"].to_numpy("datetime64[ns]")[rows]
    inside = (dates >= np.datetime64(start)) & (dates < np.datetime64(start + QUARTER))
    counted = sel.latest[rows]
    return sel.source.iloc[sel.rows[rows[inside & counted]]]


# --------------------------------------------------------------------------- alignment


@dataclass
class AlignmentWeights:
    """How much each thing in a pair's relationship counts towards its alignment index.

    ``relations``: points per relation in force, by relation type id (default: the type's
    polarity times :data:`DEFAULT_STRENGTH`, or 1); ``per_event_point``: points per point of
    event score over the last ``lookback`` quarters; ``scale``: points for which the index moves
    from 50 to about 73 (the logistic's scale).
    """

    relations: dict[str, float] = field(default_factory=dict)
    per_event_point: float = 0.1
    lookback: int = 4
    scale: float = 3.0

    def for_dataset(self, dataset: Dataset) -> AlignmentWeights:
        """These weights with a default for every relation type of ``dataset`` not set."""
        polarity = dict(
            zip(dataset.relation_types["id"], dataset.relation_types["polarity"], strict=True)
        )
        full = {
            t: self.relations.get(t, float(p) * DEFAULT_STRENGTH.get(t, 1.0))
            for t, p in polarity.items()
        }
        return AlignmentWeights(full, self.per_event_point, self.lookback, self.scale)

    def key(self) -> tuple:
        return (
            tuple(sorted(self.relations.items())),
            self.per_event_point,
            self.lookback,
            self.scale,
        )


DEFAULT_STRENGTH = {
    "defense_pact": 4.0,
    "comprehensive_strategic_partnership": 3.0,
    "strategic_partnership": 2.0,
    "security_assistance": 2.0,
    "nonaggression_pact": 1.5,
    "entente": 1.5,
    "membership": 1.0,
    "diplomatic_relations": 0.5,
    "armed_conflict": 4.0,
    "rivalry": 2.0,
    "sanctions_regime": 2.0,
}
"""Default points per relation in force, before its polarity's sign: a defence pact counts more
than diplomatic relations, an armed conflict more than a rivalry. Adjustable in the UI and API."""


def index_of(points: float, scale: float) -> float:
    """Points to a 0-100 index: 50 is neutral, the logistic of ``points / scale``."""
    return 100.0 / (1.0 + math.exp(-points / scale))


ALIGNMENT_COLUMNS = ["pair", "index", "points", "relation_points", "event_points", "events"]


def alignment(
    dataset: Dataset,
    filters: query.AnyFilters,
    weights: AlignmentWeights | None = None,
    when: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every pair's alignment index on ``when`` (default: the network's date), highest first.

    Points: each relation in force between the pair (of the types the filters show) counts its
    type's weight; each point of event score bearing on the pair over the last ``lookback``
    quarters up to ``when`` counts ``per_event_point``. The index is ``index_of(points)``.
    """
    weights = (weights or AlignmentWeights()).for_dataset(dataset)
    when = query.as_of(dataset, filters) if when is None else pd.Timestamp(when)
    return _alignment(dataset, query.Criteria.of(filters), weights.key(), when.normalize())


@per_dataset(maxsize=32)
def _alignment(dataset: Dataset, criteria: query.Criteria, key: tuple, when: pd.Timestamp):
    relations, per_point, lookback, scale = key
    weight = dict(relations)
    in_force = query.relations_in_force(dataset, criteria, when)
    points: dict[str, list[float]] = {}
    for a, b, rtype in zip(
        in_force["actor_a"].astype(str), in_force["actor_b"].astype(str),
        in_force["relation_type"].astype(str), strict=True,
    ):  # fmt: skip
        entry = points.setdefault(pair_label(a, b), [0.0, 0.0, 0])
        entry[0] += weight.get(rtype, 0.0)
    events = _recent_scores(dataset, criteria, when, lookback)
    for pair, (score, count) in events.items():
        entry = points.setdefault(pair, [0.0, 0.0, 0])
        entry[1] += per_point * score
        entry[2] += count
    rows = [(pair, index_of(r + e, scale), r + e, r, e, n) for pair, (r, e, n) in points.items()]
    frame = pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS)
    return frame.sort_values(["index", "pair"], ascending=[False, True]).reset_index(drop=True)


def _recent_scores(
    dataset: Dataset, criteria: query.Criteria, when: pd.Timestamp, lookback: int
) -> dict[str, tuple[float, int]]:
    """Event score sum and event count per pair over the ``lookback`` quarters to ``when``."""
    start = when + pd.Timedelta(days=1) - QUARTER * lookback
    sel = query.select(dataset, replace(criteria, start=start.date(), end=when.date()))
    links = sel.links
    if not len(links.codes):
        return {}
    counted = sel.latest[links.rows]
    frame = pd.DataFrame({"code": links.codes[counted], "score": links.scores(sel.facts)[counted]})
    sums = frame.groupby("code")["score"].agg(["sum", "count"])
    labels = pair_labels(sums.index.to_numpy(), links.ids)
    return {
        label: (float(s), int(c))
        for label, s, c in zip(labels, sums["sum"], sums["count"], strict=True)
    }


def alignment_explained(
    dataset: Dataset,
    filters: query.AnyFilters,
    pair: str,
    weights: AlignmentWeights | None = None,
    when: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """What makes up one pair's index: each relation in force with its weight, and the events of
    the lookback with their scores and the points they add (columns ``kind``, ``what``,
    ``detail``, ``points``)."""
    weights = (weights or AlignmentWeights()).for_dataset(dataset)
    when = (query.as_of(dataset, filters) if when is None else pd.Timestamp(when)).normalize()
    a, _, b = pair.partition("–")
    in_force = query.relations_in_force(dataset, filters, when)
    mine = in_force[
        ((in_force["actor_a"] == a) & (in_force["actor_b"] == b))
        | ((in_force["actor_a"] == b) & (in_force["actor_b"] == a))
    ]
    labels = dataset.relation_type_labels
    rows = [
        ("relation", str(r.title), labels.get(str(r.relation_type), str(r.relation_type)),
         weights.relations.get(str(r.relation_type), 0.0))
        for r in mine.itertuples(index=False)
    ]  # fmt: skip
    start = when + pd.Timedelta(days=1) - QUARTER * weights.lookback
    window = replace(query.Criteria.of(filters), start=start.date(), end=when.date())
    sel = query.select(dataset, window)
    links = sel.links
    hit = links.on_pair(pair) & sel.latest[links.rows]
    if hit.any():
        scores = links.scores(sel.facts)[hit]
        events = sel.source.iloc[sel.rows[links.rows[hit]]]
        for (_, e), s in zip(events.iterrows(), scores, strict=True):
            rows.append(
                ("event", str(e["title"]), f"{e['date']:%Y-%m-%d}, score {s:+.1f}",
                 weights.per_event_point * s)
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "what", "detail", "points"])


def alignment_over_time(
    dataset: Dataset,
    filters: query.AnyFilters,
    pairs: list[str],
    weights: AlignmentWeights | None = None,
    max_points: int = 60,
) -> pd.DataFrame:
    """The index of ``pairs`` at the end of each quarter of the window (at most ``max_points``
    dates, evenly spaced): columns ``pair``, ``date``, ``index``."""
    w = query.select(dataset, filters).window
    ends = pd.date_range(w.start, w.end, freq="QE")
    if len(ends) == 0 or ends[-1] != w.end:
        ends = ends.append(pd.DatetimeIndex([w.end]))
    if len(ends) > max_points:
        ends = ends[np.linspace(0, len(ends) - 1, max_points).round().astype(int)]
    rows = []
    for when in ends:
        frame = alignment(dataset, filters, weights, when).set_index("pair")
        for pair in pairs:
            value = frame["index"].get(pair, 50.0)
            rows.append((pair, when, float(value)))
    return pd.DataFrame(rows, columns=["pair", "date", "index"])


# --------------------------------------------------------------------------- pledges, series


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


STAGE_COLUMNS = ["pair", "unit", "date", "stage", "total", "event_id", "title", "source_name"]


def pledged_and_delivered(dataset: Dataset, filters: query.AnyFilters) -> pd.DataFrame:
    """For each supplier → recipient pair and unit: the running totals of what was pledged,
    ordered and delivered, as recorded (``stage``), one row per event that moved a total.

    A running estimate (``cumulative``) sets the total to its figure; amounts and parts add to
    it (a part is a share of a total recorded elsewhere: here it is what that stage reached).
    """
    sel = query.select(dataset, filters)
    events = sel.events
    staged = events[
        events["stage"].notna() & events["magnitude"].notna() & events["actor_2"].notna()
    ]
    rows = []
    key = ["actor_1", "actor_2", "unit", "stage"]
    for (a1, a2, unit, stage), group in staged.sort_values("date", kind="stable").groupby(
        key, observed=True, sort=False
    ):
        total = 0.0
        for e in group.itertuples(index=False):
            total = (
                float(e.magnitude)
                if e.magnitude_basis == "cumulative"
                else total + float(e.magnitude)
            )
            rows.append(
                (f"{a1} → {a2}", str(unit), e.date, str(stage), total, str(e.event_id),
                 str(e.title), str(e.source_name))
            )  # fmt: skip
    frame = pd.DataFrame(rows, columns=STAGE_COLUMNS)
    return frame.sort_values(["pair", "unit", "date"], kind="stable").reset_index(drop=True)


SERIES_COLUMNS = [
    "series",
    "date",
    "date_precision",
    "value",
    "unit",
    "event_id",
    "source_name",
    "source_url",
]


def running_estimates(dataset: Dataset, filters: query.AnyFilters) -> pd.DataFrame:
    """Every running total (``magnitude_basis`` cumulative) in the selection, as series over
    time: ``series`` names it ("containers: North Korea → Russia (Arms or munitions transfer)")."""
    sel = query.select(dataset, filters)
    events = sel.events
    reports = events[(events["magnitude_basis"] == "cumulative") & events["magnitude"].notna()]
    names, labels = dataset.names, dataset.event_type_labels
    rows = []
    for e in reports.itertuples(index=False):
        a1 = names.get(str(e.actor_1), str(e.actor_1))
        a2 = "" if pd.isna(e.actor_2) else f" → {names.get(str(e.actor_2), str(e.actor_2))}"
        series = f"{e.unit}: {a1}{a2} ({labels.get(str(e.event_type), str(e.event_type))})"
        rows.append(
            (series, e.date, str(e.date_precision), float(e.magnitude), str(e.unit),
             str(e.event_id), str(e.source_name), _text(e.source_url))
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    return frame.sort_values(["series", "date"], kind="stable").reset_index(drop=True)
