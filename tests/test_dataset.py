"""`load_dataset`: typed frames, dates that keep their precision, errors, caching, which folder."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import alliances
from alliances.dataset import ENV_DATA, Dataset, bundled_path, load_dataset
from alliances.dates import format_partial
from alliances.validation import DatasetError
from unit_helpers import summary_values

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small"
DOZEN = FIXTURES / "dozen"
REPO_DATA = Path(__file__).resolve().parents[1] / "data"

T = pd.Timestamp
SMALL_ACTORS = ["RUS", "PRK", "KOR", "CHN", "USA", "UKR", "UNSC"]


@pytest.fixture
def small() -> Dataset:
    return load_dataset(SMALL)


def event(ds: Dataset, event_id: str) -> pd.Series:
    (row,) = ds.events.index[ds.events["event_id"] == event_id]
    return ds.events.loc[row]


def relation(ds: Dataset, relation_id: str) -> pd.Series:
    (row,) = ds.relations.index[ds.relations["relation_id"] == relation_id]
    return ds.relations.loc[row]


# --------------------------------------------------------------------------- typed frames


def test_counts_and_names(small):
    assert small.counts() == {
        "actors": 7,
        "relations": 5,
        "events": 6,
        "event_types": 16,
        "relation_types": 11,
    }
    assert small.actor_ids == SMALL_ACTORS
    assert small.actor_name("PRK") == "North Korea"
    assert small.actor_name("UNSC") == "UN Security Council"
    assert small.actor_name("XYZ") == "XYZ"
    assert small.path == SMALL.resolve()


def test_dates_are_datetimes(small):
    for frame, columns in [
        (small.events, ["date", "end_date", "date_stop", "end_stop", "stop"]),
        (small.relations, ["start_date", "end_date", "start_stop", "end_stop"]),
    ]:
        for column in columns:
            assert pd.api.types.is_datetime64_any_dtype(frame[column]), column


def test_actor_ids_are_categoricals_of_the_dataset_actors(small):
    for frame, column in [
        (small.events, "actor_1"),
        (small.events, "actor_2"),
        (small.relations, "actor_a"),
        (small.relations, "actor_b"),
    ]:
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
        assert list(frame[column].cat.categories) == SMALL_ACTORS, column
    assert event(small, "e6")["actor_1"] == "USA"
    assert event(small, "e6")["actor_2"] == "UKR"


def test_types_are_categoricals_of_the_vocabularies(small):
    event_type_ids = list(pd.read_csv(SMALL / "event_types.csv")["id"])
    relation_type_ids = list(pd.read_csv(SMALL / "relation_types.csv")["id"])
    assert list(small.events["event_type"].cat.categories) == event_type_ids
    assert list(small.relations["relation_type"].cat.categories) == relation_type_ids
    assert list(small.actors["kind"].cat.categories) == [
        "state",
        "organization",
        "bloc",
        "non_state",
    ]
    assert small.actors.set_index("id").loc["UNSC", "kind"] == "organization"
    assert list(small.events["confidence"].cat.categories) == [
        "confirmed",
        "reported",
        "estimated",
        "disputed",
    ]
    assert relation(small, "rel-rus-prk-1961")["confidence"] == "disputed"


def test_numbers(small):
    assert small.events["magnitude"].dtype == "float64"
    assert event(small, "e3")["magnitude"] == 7000.0
    assert event(small, "e6")["magnitude"] == 50_000_000_000.0
    assert pd.isna(event(small, "e1")["magnitude"])
    actors = small.actors.set_index("id")
    assert actors.loc["PRK", "iso_numeric"] == 408
    assert actors.loc["KOR", "cow_code"] == 732
    assert pd.isna(actors.loc["UNSC", "cow_code"])


def test_magnitude_basis_defaults_to_amount(small):
    assert event(small, "e3")["magnitude_basis"] == "cumulative"
    assert event(small, "e6")["magnitude_basis"] == "amount"
    assert event(small, "e1")["magnitude_basis"] == "amount"  # empty in the file


def test_score_comes_from_the_event_type(small):
    assert small.events["score"].dtype == "float64"
    assert event(small, "e4")["score"] == -5.0  # veto
    assert event(small, "e1")["score"] == 2.8  # summit
    assert event(small, "e6")["score"] == 7.4  # aid


def test_polarity_comes_from_the_relation_type(small):
    assert relation(small, "rel-rus-prk-1961")["polarity"] == 1  # defense_pact
    assert relation(small, "rel-usa-rus-2022")["polarity"] == -1  # rivalry
    assert relation(small, "rel-rus-ukr-2022")["polarity"] == -1  # armed_conflict


def test_polarity_zero(edited):
    folder = edited("relations.csv", "USA,RUS,rivalry,", "USA,RUS,diplomatic_relations,")
    assert relation(load_dataset(folder), "rel-usa-rus-2022")["polarity"] == 0


def test_directed_is_a_boolean(edited):
    edited("relations.csv", "USA,KOR,defense_pact,false,", "USA,KOR,defense_pact,TRUE,")
    folder = edited("relations.csv", "RUS,UKR,armed_conflict,false,", "RUS,UKR,armed_conflict,yes,")
    ds = load_dataset(folder)
    assert ds.relations["directed"].dtype == bool
    directed = dict(zip(ds.relations["relation_id"], ds.relations["directed"], strict=True))
    assert directed == {
        "rel-usa-kor-1953": True,
        "rel-rus-prk-1961": False,
        "rel-usa-rus-2022": False,
        "rel-rus-ukr-2022": True,
        "rel-rus-prk-2024": False,
    }


def test_event_relation_id_is_a_categorical_of_the_relations(small):
    assert event(small, "e2")["relation_id"] == "rel-rus-prk-2024"
    assert pd.isna(event(small, "e1")["relation_id"])
    assert set(small.events["relation_id"].cat.categories) == set(small.relations["relation_id"])


def test_text_is_kept_as_written(small):
    assert event(small, "e1")["description"] == "Multi\nline description"
    assert event(small, "e4")["source_url"] == "https://press.un.org/en/2024/sc15648.doc.htm"
    assert event(small, "e4")["participants"] == "CHN"
    assert pd.isna(event(small, "e3")["location"])


# --------------------------------------------------------------------------- precision


def test_a_month_stays_a_month(small):
    e5 = event(small, "e5")  # date 2023-08
    assert e5["date_precision"] == "month"
    assert e5["date"] == T("2023-08-01")
    assert e5["date_stop"] == T("2023-09-01")
    assert e5["stop"] == T("2023-09-01")
    assert format_partial(e5["date"], e5["date_precision"]) == "2023-08"


def test_a_year_stays_a_year(small):
    rivalry = relation(small, "rel-usa-rus-2022")  # start_date 2022
    assert rivalry["start_precision"] == "year"
    assert (rivalry["start_date"], rivalry["start_stop"]) == (T("2022-01-01"), T("2023-01-01"))
    assert format_partial(rivalry["start_date"], rivalry["start_precision"]) == "2022"
    treaty = relation(small, "rel-rus-prk-1961")  # 1961-07-06 to 1995
    assert treaty["start_precision"] == "day"
    assert treaty["end_precision"] == "year"
    assert (treaty["end_date"], treaty["end_stop"]) == (T("1995-01-01"), T("1996-01-01"))


def test_a_day_stays_a_day(small):
    e1 = event(small, "e1")
    assert e1["date_precision"] == "day"
    assert (e1["date"], e1["stop"]) == (T("2024-06-19"), T("2024-06-20"))
    assert pd.isna(e1["end_date"])
    assert pd.isna(e1["end_precision"])


def test_a_relation_still_in_force_has_no_end(small):
    csp = relation(small, "rel-rus-prk-2024")
    assert pd.isna(csp["end_date"])
    assert pd.isna(csp["end_stop"])


def test_a_multi_day_event_stops_after_its_last_day(small):
    e6 = event(small, "e6")  # 2024-06-13 to 2024-06-15
    assert (e6["date"], e6["end_date"], e6["stop"]) == (
        T("2024-06-13"),
        T("2024-06-15"),
        T("2024-06-16"),
    )


def test_an_event_ending_in_a_month_stops_at_the_end_of_that_month(edited):
    ds = load_dataset(edited("events.csv", "e6,2024-06-13,2024-06-15,", "e6,2024-06-13,2024-07,"))
    e6 = event(ds, "e6")
    assert e6["end_precision"] == "month"
    assert e6["stop"] == T("2024-08-01")


def test_span_and_summary(small):
    assert small.span == (T("1953-10-01"), T("2024-06-19"))
    summary = summary_values(small.summary())
    assert (summary["actors"], summary["events"]) == ("7", "6")
    assert summary["date span"] == "1953-10-01 to 2024-06-19"
    assert summary["  Arms or munitions transfer"] == "2"


# --------------------------------------------------------------------------- odd but valid files


def test_header_only_tables_load_empty(small_copy):
    for name in ("events.csv", "relations.csv"):
        path = small_copy / name
        path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
    ds = load_dataset(small_copy)
    assert (len(ds.events), len(ds.relations), len(ds.actors)) == (0, 0, 7)
    assert summary_values(ds.summary())["date span"] == "none (no events or relations)"


def test_missing_optional_column_loads_as_empty(edited):
    folder = edited("actors.csv", ",cow_code,description\n", ",cow_code\n")
    path = folder / "actors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], *(line[:-1] for line in lines[1:])]) + "\n")
    ds = load_dataset(folder)
    assert ds.actors["description"].isna().all()
    assert ds.actor_name("KOR") == "South Korea"


def test_bom_and_crlf(small_copy):
    for path in small_copy.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    ds = load_dataset(small_copy)
    assert ds.actor_ids == SMALL_ACTORS
    assert event(ds, "e1")["description"] == "Multi\r\nline description"


def test_hostile_text_is_kept_verbatim(edited):
    script = '<script>alert("x")</script>'
    edited("events.csv", "Panel of Experts veto,", '"<script>alert(""x"")</script>",')
    folder = edited("actors.csv", "UN Security Council,", '"=HYPERLINK(""http://evil.example"")",')
    ds = load_dataset(folder)
    assert event(ds, "e4")["title"] == script
    assert ds.actor_name("UNSC") == '=HYPERLINK("http://evil.example")'


def test_extra_columns_are_kept(edited):
    folder = edited("actors.csv", ",description\n", ",description,notes\n")
    path = folder / "actors.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("365,\n", "365,,kept\n"))
    ds = load_dataset(folder)
    assert ds.actors.set_index("id").loc["RUS", "notes"] == "kept"


# --------------------------------------------------------------------------- errors


def test_an_invalid_folder_raises_dataset_error_with_every_problem():
    with pytest.raises(DatasetError) as info:
        load_dataset(DOZEN)
    error = info.value
    assert error.path == DOZEN.resolve()
    assert len(error.problems) == 13
    assert "events.csv:4: event_id: duplicate id (first on line 2): 'e1'" in [
        str(p) for p in error.problems
    ]
    assert str(error).startswith(f"13 problem(s) in dataset {DOZEN.resolve()}:\n")
    assert isinstance(error, ValueError)


def test_a_file_is_not_a_dataset_folder():
    with pytest.raises(NotADirectoryError, match="not a dataset folder"):
        load_dataset(SMALL / "events.csv")


def test_a_missing_folder_is_not_a_dataset_folder(tmp_path):
    with pytest.raises(NotADirectoryError, match="not a dataset folder"):
        load_dataset(tmp_path / "nowhere")


# --------------------------------------------------------------------------- caching


def test_loading_twice_gives_the_same_object(small_copy):
    first = load_dataset(small_copy)
    assert load_dataset(small_copy) is first
    assert load_dataset(str(small_copy)) is first
    assert load_dataset(small_copy, cache=False) is not first


def test_a_file_changed_on_disk_is_loaded_again(small_copy):
    first = load_dataset(small_copy)
    path = small_copy / "events.csv"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = load_dataset(small_copy)
    assert touched is not first
    assert load_dataset(small_copy) is touched

    with path.open("a", encoding="utf-8") as fh:
        fh.write("e7,2024-09-01,,visit,RUS,PRK,,Pyongyang,,,,Ministers meet,,KCNA,,,reported,\n")
    changed = load_dataset(small_copy)
    assert changed is not touched
    assert len(changed.events) == 7
    assert changed.fingerprint != first.fingerprint
    assert touched.fingerprint == first.fingerprint  # same bytes, same fingerprint


def test_a_folder_made_invalid_on_disk_raises(small_copy):
    load_dataset(small_copy)
    path = small_copy / "actors.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",state,", ",country,", 1))
    with pytest.raises(DatasetError):
        load_dataset(small_copy)


# --------------------------------------------------------------------------- which folder


def test_alliances_data_names_the_folder(monkeypatch, small_copy):
    monkeypatch.setenv(ENV_DATA, str(small_copy))
    assert load_dataset().path == small_copy.resolve()
    # an explicit path wins over the variable
    assert load_dataset(DOZEN.parent / "small").path == SMALL.resolve()


def test_the_package_exports_the_loader():
    assert alliances.load_dataset is load_dataset
    assert alliances.DatasetError is DatasetError


# --------------------------------------------------------------------------- bundled data


def test_bundled_path_is_the_checkout_data_folder_in_a_source_install():
    assert bundled_path().resolve() == REPO_DATA.resolve()


def test_load_dataset_without_argument_loads_the_bundled_data(monkeypatch):
    monkeypatch.delenv(ENV_DATA, raising=False)
    ds = load_dataset()
    assert ds.path == bundled_path().resolve()
    assert all(n > 0 for n in ds.counts().values()), ds.counts()
    # the analysis the dataset started from: the Putin-Kim summit in Pyongyang, 19 June 2024
    summits = ds.events[
        (ds.events["date"] == T("2024-06-19")) & (ds.events["event_type"] == "summit")
    ]
    pairs = {frozenset({a, b}) for a, b in zip(summits["actor_1"], summits["actor_2"], strict=True)}
    assert frozenset({"PRK", "RUS"}) in pairs
