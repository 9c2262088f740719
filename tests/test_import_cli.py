"""``alliances import`` as a user runs it: options, --merge idempotence, the report, and bad
files that get a clear FILE:LINE message, exit 1 or 2, no traceback and no folder written."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from alliances.cli import main
from alliances.dataset import load_dataset
from alliances.reading import bundled_path
from alliances.validation import validate

FIXTURES = Path(__file__).parent / "fixtures" / "import"
GDELT2 = FIXTURES / "gdelt" / "20240219151500.export.CSV.zip"
GDELT1 = FIXTURES / "gdelt" / "20130401.export.CSV"
ACLED = FIXTURES / "acled" / "acled_export_2024.csv"
ATOP = FIXTURES / "atop" / "atop5_1m.csv"


def run(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = main(["import", *(str(a) for a in args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_merge_into_the_bundled_dataset_twice_changes_nothing_the_second_time(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(bundled_path(), data)
    before = load_dataset(data, cache=False)
    code, out, _ = run(capsys, "gdelt", GDELT2, GDELT1, "--merge", data, "-o", data)
    assert code == 0, out
    first = {p.name: p.read_bytes() for p in data.iterdir()}
    merged = load_dataset(data, cache=False)
    assert len(merged.events) == len(before.events) + 8
    # the states and the UN are there already: only what is new is added
    assert sorted(set(merged.actor_ids) - set(before.actor_ids)) == ["ISR", "ns-taliban"]
    assert (data / "README.md").is_file()  # the folder's other files stay
    # the bundled events keep their own (empty) scores: the type's score still applies
    summit = merged.events.set_index("event_id").loc["2024-06-19-putin-kim-pyongyang-summit"]
    assert summit["score"] == 2.8
    assert pd_isna(summit["score_given"])

    code, out, _ = run(capsys, "gdelt", GDELT2, GDELT1, "--merge", data, "-o", data)
    assert code == 0
    assert "skipped 8: already in the dataset" in out
    assert "imported nothing" in out
    assert {p.name: p.read_bytes() for p in data.iterdir()} == first
    assert validate(data) == []


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_parquet_window_and_actor_slice(tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, _ = run(
        capsys, "gdelt", GDELT2, GDELT1, "-o", out_dir, "--format", "parquet",
        "--from", "2024-02-17", "--to", "2024-02", "--actors", "UKR,PRK",
    )  # fmt: skip
    assert code == 0, out
    # the layout `alliances convert` writes: one folder per year, rows sorted by date
    assert (out_dir / "events" / "year=2024" / "part-0.parquet").is_file()
    assert sorted(p.name for p in (out_dir / "events").iterdir()) == ["year=2024"]
    assert not (out_dir / "events.csv").exists()
    ids = sorted(load_dataset(out_dir, cache=False).events["event_id"])
    assert ids == ["gdelt:1156432907", "gdelt:1156432911", "gdelt:1156432915", "gdelt:1156432940"]
    assert "skipped 3: outside --from/--to" in out  # the 2013 events
    assert "skipped 1: involves none of --actors" in out  # the Taliban statement


def test_actors_map_names_an_actor_the_users_way(tmp_path, capsys):
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "source,actor_id,name,kind,region\nTAL,TALIBAN,Taliban,non_state,South Asia\n"
        "Protesters (Ukraine),UKR-PROTEST,Ukrainian protesters,non_state,Europe\n",
        encoding="utf-8",
    )
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "gdelt", GDELT2, "-o", out_dir, "--actors-map", mapping)
    assert code == 0, out
    ds = load_dataset(out_dir, cache=False)
    assert ds.events.set_index("event_id").loc["gdelt:1156432930", "actor_1"] == "TALIBAN"
    assert ds.actors.set_index("id").loc["TALIBAN", "region"] == "South Asia"
    code, out, _ = run(capsys, "acled", ACLED, "-o", tmp_path / "acled", "--actors-map", mapping)
    assert code == 0, out
    acled = load_dataset(tmp_path / "acled", cache=False).events.set_index("event_id")
    assert acled.loc["acled:UKR150519", "actor_1"] == "UKR-PROTEST"


def _truncated_text(tmp_path: Path) -> Path:
    text = GDELT1.read_text(encoding="utf-8")
    cut = tmp_path / "20130401.export.CSV"
    cut.write_text(text[: text.rindex("\t", 0, len(text) - 200)], encoding="utf-8")
    return cut


def _damaged_zip(tmp_path: Path) -> Path:
    data = GDELT2.read_bytes()
    broken = tmp_path / "20240219151500.export.CSV.zip"
    broken.write_bytes(data[: len(data) // 2])
    return broken


def _zip_of_something_else(tmp_path: Path) -> Path:
    other = tmp_path / "20240219151500.export.CSV.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00\x00")
    return other


def _broken_acled_line(tmp_path: Path) -> Path:
    text = ACLED.read_text(encoding="utf-8").replace(",UKR150800,", ",UKR150800,extra,", 1)
    text = text.replace("UKR150800,extra,", "UKR150800,") + 'UKR1,"unclosed\n'
    path = tmp_path / "acled.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "make", "expected"),
    [
        ("gdelt", _truncated_text, "20130401.export.CSV:3: broken line: 6 fields where this "
         "GDELT 1.0 Event Database (daily export) file has 58 (the file looks truncated)"),
        ("gdelt", _damaged_zip, "20240219151500.export.CSV.zip:1: not a readable zip archive"),
        ("gdelt", _zip_of_something_else, "report.pdf:1: not a GDELT event export"),
        ("gdelt", lambda tmp: ACLED, "acled_export_2024.csv:1: not a GDELT event export: the "
         "line has 1 tab-separated fields"),
        ("acled", lambda tmp: GDELT1, "20130401.export.CSV:1: not an ACLED export"),
        ("acled", _broken_acled_line, "acled.csv:8: a quoted value starting on this line is "
         "never closed (the file looks truncated)"),
        ("atop", lambda tmp: ACLED, "acled_export_2024.csv:1: not an ATOP member-level file"),
        ("sipri", lambda tmp: ATOP, "atop5_1m.csv:1: not a SIPRI trade register export"),
    ],
)  # fmt: skip
def test_bad_files_get_a_clear_error_and_nothing_is_written(
    tmp_path, capsys, source, make, expected
):
    bad = make(tmp_path)
    out_dir = tmp_path / "out"
    code, _, err = run(capsys, source, bad, "-o", out_dir)
    assert code == 1, err
    assert expected in err
    assert "nothing was written" in err
    assert not out_dir.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_command_mistakes_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "gdelt", tmp_path / "missing.CSV", "-o", tmp_path / "o")
    assert (code, "missing.CSV: no such file" in err) == (2, True)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run(capsys, "gdelt", GDELT1, "-o", taken)
    assert (code, "folder exists and is not empty" in err) == (2, True)
    assert (taken / "notes.txt").read_text(encoding="utf-8") == "mine"
    code, _, err = run(capsys, "gdelt", GDELT1, "-o", tmp_path / "o", "--from", "2024-13")
    assert (code, "--from 2024-13: not a date" in err) == (2, True)
    bad_map = tmp_path / "map.csv"
    bad_map.write_text("name,id\nx,y\n", encoding="utf-8")
    code, _, err = run(capsys, "gdelt", GDELT1, "-o", tmp_path / "o", "--actors-map", bad_map)
    assert (code, "needs the columns source and actor_id" in err) == (2, True)
    assert not (tmp_path / "o").exists()


def test_notebook_functions_return_the_loaded_dataset(tmp_path):
    import alliances

    ds = alliances.import_ucdp(FIXTURES / "ucdp" / "GEDEvent_v23_1_sample.csv", tmp_path / "ged")
    assert ds.path == (tmp_path / "ged").resolve()
    assert sorted(ds.events["event_id"])[:2] == ["ucdp:150020", "ucdp:193015"]
    result = alliances.import_files("cow", [FIXTURES / "cow" / "alliance_v4.1_by_member.csv"])
    assert result.report.imported["relations"] == 9
    assert result.dataset is not None
    assert len(result.dataset.relations) == 9
