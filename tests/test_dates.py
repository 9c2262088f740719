"""Partial dates (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) keep their precision; no day is invented."""

from __future__ import annotations

import pandas as pd
import pytest

from alliances.dates import format_partial, invalid_dates, parse_partial

T = pd.Timestamp


@pytest.mark.parametrize(
    ("text", "start", "stop", "precision"),
    [
        ("2024", "2024-01-01", "2025-01-01", "year"),
        ("2023-08", "2023-08-01", "2023-09-01", "month"),
        ("2024-02", "2024-02-01", "2024-03-01", "month"),  # leap February
        ("2024-12", "2024-12-01", "2025-01-01", "month"),
        ("2024-06-19", "2024-06-19", "2024-06-20", "day"),
        ("2024-02-29", "2024-02-29", "2024-03-01", "day"),
        ("2024-12-31", "2024-12-31", "2025-01-01", "day"),
        ("1800", "1800-01-01", "1801-01-01", "year"),
        ("2100-12-31", "2100-12-31", "2101-01-01", "day"),
    ],
)
def test_a_date_is_a_span_at_its_precision(text, start, stop, precision):
    parsed = parse_partial(pd.Series([text]))
    row = parsed.iloc[0]
    assert (row["start"], row["stop"], row["precision"]) == (T(start), T(stop), precision)
    assert not invalid_dates(pd.Series([text])).iloc[0]


@pytest.mark.parametrize(
    "text",
    [
        "2024/06/19",
        "June 2024",
        "24-06-19",
        "2024-6-19",
        "20240619",
        "2024-06-19T10:00",
        " 2024",
        "2024-06-19 ",
        "+2024",
        "2023-02-29",  # not a leap year
        "2023-02-30",
        "2024-13",
        "2024-00",
        "2024-06-00",
        "2024-06-31",
        "1799",
        "2101",
        "２０２４",  # full-width digits look like a year but are not ISO 8601
    ],
)
def test_malformed_impossible_and_out_of_range_dates_are_invalid(text):
    parsed = parse_partial(pd.Series([text]))
    assert parsed["start"].isna().all()
    assert parsed["stop"].isna().all()
    assert parsed["precision"].isna().all()
    assert invalid_dates(pd.Series([text])).tolist() == [True]


def test_empty_values_are_missing_but_not_invalid():
    values = pd.Series(["2024", None, pd.NA], dtype="string")
    parsed = parse_partial(values)
    assert parsed["start"].isna().tolist() == [False, True, True]
    assert invalid_dates(values).tolist() == [False, False, False]


def test_parsing_keeps_the_index_and_mixes_precisions():
    values = pd.Series(["2023-08", "1961", "bad", "2024-06-19"], index=[10, 20, 30, 40])
    parsed = parse_partial(values)
    assert parsed.index.tolist() == [10, 20, 30, 40]
    precisions = [None if pd.isna(p) else p for p in parsed["precision"]]
    assert precisions == ["month", "year", None, "day"]
    assert parsed.loc[40, "start"] == T("2024-06-19")
    assert parsed["start"].dtype == "datetime64[ns]"
    assert invalid_dates(values).tolist() == [False, False, True, False]


def test_parsing_an_empty_column():
    parsed = parse_partial(pd.Series([], dtype="string"))
    assert list(parsed.columns) == ["start", "stop", "precision"]
    assert len(parsed) == 0


@pytest.mark.parametrize("text", ["2024", "2023-08", "2024-06-19", "1961", "1800-01-01"])
def test_formatting_gives_back_the_text_with_no_invented_day(text):
    row = parse_partial(pd.Series([text])).iloc[0]
    assert format_partial(row["start"], row["precision"]) == text


def test_formatting_missing_dates_gives_empty_text():
    assert format_partial(None, None) == ""
    assert format_partial(pd.NaT, "day") == ""
