"""The shipped actor crosswalk: one actor per code, in step with the bundled dataset's actors,
and historical states handled as the bundled data handles them (as COW numbers them)."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from alliances.dataset import load_dataset
from alliances.importers.actors import Crosswalk, normalise, state_name_candidates
from alliances.reading import bundled_path


@pytest.fixture(scope="module")
def crosswalk() -> Crosswalk:
    return Crosswalk.load()


def test_no_code_and_no_name_names_two_actors():
    from importlib import resources

    text = resources.files("alliances.importers").joinpath("crosswalk.csv").read_text("utf-8")
    rows = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
    assert rows["id"].is_unique
    assert not [c for c, n in Counter(rows["cow_code"][rows["cow_code"] != ""]).items() if n > 1]
    assert not [
        c for c, n in Counter(rows["iso_numeric"][rows["iso_numeric"] != ""]).items() if n > 1
    ]
    owners: dict[str, set[str]] = {}
    for r in rows.itertuples():
        for n in [r.name, *filter(None, r.aliases.split(";"))]:
            owners.setdefault(normalise(n), set()).add(r.id)
    assert {n: ids for n, ids in owners.items() if len(ids) > 1} == {}
    assert owners["namibia"] == {"NAM"}  # "NA" is a code here, never a missing value


def test_the_bundled_actors_agree_with_the_crosswalk(crosswalk):
    bundled = load_dataset(bundled_path()).actors
    for row in bundled.itertuples():
        if row.id in crosswalk.entries and row.kind == "state":
            entry = crosswalk.entries[row.id]
            assert (entry.iso_numeric.lstrip("0"), entry.cow_code) == (
                str(row.iso_numeric),
                str(row.cow_code),
            ), row.id


@pytest.mark.parametrize(
    ("scheme", "code", "actor"),
    [
        ("cow", "365", "RUS"), ("cow", "345", "SRB"), ("cow", "260", "DEU"), ("cow", "265", "DDR"),
        ("cow", "315", "CSK"), ("cow", "678", "YEM"), ("gw", "340", "SRB"), ("gw", "700", "AFG"),
        ("isonum", "036", "AUS"), ("iso3", "SUN", "RUS"), ("cameo", "USR", "RUS"),
        ("cameo", "UNO", "UN"), ("cameo", "NAT", "NATO"), ("cameo", "EEC", "EU"),
        ("cameo", "EUR", None), ("cow", "9999", None),
    ],
)  # fmt: skip
def test_codes_of_every_scheme(crosswalk, scheme, code, actor):
    assert crosswalk.code(scheme, code) == actor


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("Military Forces of Russia (2000-)", "RUS"),
        ("Government of Russia (Soviet Union)", "RUS"),
        ("Government of Serbia (Yugoslavia)", "SRB"),
        ("Government of DR Congo (Zaire)", "COD"),
        ("Police Forces of Algeria (1999-)", "DZA"),
        ("Military Forces of the Central African Republic (2016-)", "CAF"),
        ("Government of Myanmar (Burma)", "MMR"),
    ],
)
def test_state_names_as_acled_and_ucdp_write_them(crosswalk, name, actor):
    found = [crosswalk.names.get(normalise(c)) for c in state_name_candidates(name)]
    assert next(f for f in found if f) == actor
