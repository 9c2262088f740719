"""The dataset's columns as the filters test them: numpy arrays of categorical codes and int64
dates (:func:`arrays`, computed once per dataset), and one event looked up by id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cache import per_dataset
from .dataset import Dataset


@dataclass(frozen=True)
class ColumnArrays:
    """Numpy views of the columns the filters test, computed once per dataset."""

    ev_date: np.ndarray  # int64 ns
    ev_stop: np.ndarray
    ev_a1: np.ndarray  # actor codes, -1 = missing
    ev_a2: np.ndarray
    ev_type: np.ndarray
    ev_has_lists: np.ndarray  # participants or targets given
    rel_start: np.ndarray
    rel_stop: np.ndarray  # int64 ns, max int64 when still in force
    rel_a: np.ndarray
    rel_b: np.ndarray
    rel_type: np.ndarray
    rel_polarity: np.ndarray
    actor_index: dict[str, int]
    region_of: np.ndarray  # region name per actor code
    facts: pd.DataFrame  # the events' columns without free text: cheap to filter a million rows


# Event columns without free text: what counts, charts and metrics need. Filtering these is
# several times cheaper than filtering titles and descriptions, which only a few views read.
FACT_COLUMNS = (
    "event_id", "date", "end_date", "stop", "date_precision", "end_precision", "event_type",
    "actor_1", "actor_2", "participants", "targets", "magnitude", "unit", "magnitude_basis",
    "stage", "confidence", "relation_id", "score",
)  # fmt: skip


@per_dataset(maxsize=1)
def arrays(dataset: Dataset) -> ColumnArrays:
    ev, rel = dataset.events, dataset.relations
    far = np.iinfo("int64").max
    return ColumnArrays(
        ev_date=ev["date"].to_numpy("datetime64[ns]").view("int64"),
        ev_stop=ev["stop"].to_numpy("datetime64[ns]").view("int64"),
        ev_a1=ev["actor_1"].cat.codes.to_numpy(),
        ev_a2=ev["actor_2"].cat.codes.to_numpy(),
        ev_type=ev["event_type"].cat.codes.to_numpy(),
        ev_has_lists=(ev["participants"].notna() | ev["targets"].notna()).to_numpy(),
        rel_start=rel["start_date"].to_numpy("datetime64[ns]").view("int64"),
        rel_stop=np.where(
            rel["end_stop"].isna(), far, rel["end_stop"].to_numpy("datetime64[ns]").view("int64")
        ),
        rel_a=rel["actor_a"].cat.codes.to_numpy(),
        rel_b=rel["actor_b"].cat.codes.to_numpy(),
        rel_type=rel["relation_type"].cat.codes.to_numpy(),
        rel_polarity=rel["polarity"].to_numpy(),
        actor_index={a: i for i, a in enumerate(dataset.actors["id"])},
        region_of=dataset.actors["region"].to_numpy(object),
        facts=ev[[c for c in FACT_COLUMNS if c in ev.columns]],
    )


def instant_ns(value: dt.date | pd.Timestamp) -> int:
    return pd.Timestamp(value).value


def code_lookup(size: int, codes: Iterable[int]) -> np.ndarray:
    table = np.zeros(size + 1, bool)  # last slot: code -1 (missing) stays False
    idx = np.fromiter(codes, int)
    if idx.size:
        table[idx] = True
    return table


@per_dataset(maxsize=1)
def event_index(dataset: Dataset) -> pd.Index:
    """The dataset's event ids, hashed once, for membership tests."""
    return pd.Index(dataset.events["event_id"])


def event_row(dataset: Dataset, event_id: str) -> pd.Series | None:
    """One event by id, every column (``None`` if the dataset has none): the detail card's."""
    if dataset.store is not None:
        return dataset.store.event_row(str(event_id))
    position = event_index(dataset).get_indexer_for([event_id])[0]
    return None if position < 0 else dataset.events.iloc[position]


def has_event(dataset: Dataset, event_id: str) -> bool:
    """Whether the dataset holds an event with this id (a link's ``event=``)."""
    return event_row(dataset, event_id) is not None
