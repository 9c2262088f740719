"""``alliances convert FOLDER -o OUT`` as a user runs it: the layout it writes, the same data
after, the same files when run again, and nothing written for a dataset that does not
validate or an output that is not a dataset folder."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from alliances import partitioned
from alliances.cli import main
from alliances.convert import convert
from alliances.dataset import load_dataset
from alliances.reading import bundled_path
from unit_helpers import actor, event, relation, write_dataset

SMALL_TABLES = ("actors.csv", "event_types.csv", "relation_types.csv", "relations.csv")


def files(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (but the engine's rollups), by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".alliances" not in p.parts
    }


def run(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = main(["convert", *(str(a) for a in args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("convert") / "out"
    convert(bundled_path(), out, rollups=False)
    return out


def test_events_are_written_by_year_sorted_and_load_the_same(converted: Path):
    for name in SMALL_TABLES:  # small tables stay CSV, byte for byte
        assert (converted / name).read_bytes() == (bundled_path() / name).read_bytes()
    bundled = load_dataset(bundled_path(), cache=False)
    years = sorted(set(bundled.events["date"].dt.year))
    found = partitioned.parts(converted / "events")
    assert found[1] == []
    assert [(p.year, p.number) for p in found[0]] == [(y, 0) for y in years]
    for p in found[0]:
        table = pq.read_table(p.path)
        dates = table["date"].to_pylist()
        assert {d[:4] for d in dates} == {str(p.year)}
        starts = partitioned.start_key(table["date"]).to_pylist()
        assert starts == sorted(starts), p.label
        meta = pq.ParquetFile(p.path).metadata
        assert meta.row_group(0).sorting_columns[0].column_index == table.schema.get_field_index(
            "date"
        )
    loaded = load_dataset(converted, cache=False)
    pd.testing.assert_frame_equal(loaded.events, bundled.events)
    pd.testing.assert_frame_equal(loaded.relations, bundled.relations)


def test_converting_again_gives_the_same_files(converted: Path, tmp_path: Path):
    again = tmp_path / "again"
    shutil.copytree(converted, again)
    (again / "notes.md").write_text("my notes\n", encoding="utf-8")
    convert(bundled_path(), again, rollups=False)  # over a converted folder: replaced
    assert files(again) == files(converted)
    assert "README.md" in files(again)  # the folder's other files come along

    # converting a converted folder changes nothing, and an output inside it is not copied
    twice = again / "twice"
    convert(again, twice, rollups=False)
    convert(again, twice, rollups=False)
    assert files(twice) == {k: v for k, v in files(again).items() if not k.startswith("twice")}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_the_command_reports_what_it_wrote(tmp_path: Path, capsys):
    out = tmp_path / "out"
    code, text, _ = run(capsys, bundled_path(), "-o", out)
    assert code == 0
    events = load_dataset(bundled_path(), cache=False).events
    first, last = events["date"].dt.year.min(), events["date"].dt.year.max()
    assert f"wrote {out}" in text
    assert (
        f"  events: {len(events):,} rows from events.csv -> events/ (Parquet by year): "
        f"{len(set(events['date'].dt.year))} year(s) {first}–{last}"
    ) in text
    assert "  actors: " in text
    assert "checked: the converted folder passes `alliances validate`" in text
    if importlib.util.find_spec("alliances.engine") is not None:
        assert "rollups: built in .alliances/" in text
        assert any((out / ".alliances").iterdir())
    else:
        assert "rollups: not built" in text
    assert main(["info", str(out)]) == 0
    assert f"events          {len(events)}" in capsys.readouterr().out


def test_nothing_is_written_for_bad_input_or_a_folder_that_is_no_dataset(
    converted: Path, tmp_path: Path, capsys
):
    broken = tmp_path / "broken"
    shutil.copytree(bundled_path(), broken)
    text = (broken / "events.csv").read_text(encoding="utf-8")
    line = text[: text.index(",2024-06-19,")].count("\n") + 1
    (broken / "events.csv").write_text(text.replace(",2024-06-19,", ",2024-06-31,", 1), "utf-8")
    out = tmp_path / "out"
    shutil.copytree(converted, out)
    before = files(out)
    code, _, err = run(capsys, broken, "-o", out)
    assert code == 1
    assert f"alliances convert: events.csv:{line}: date: not a date" in err
    assert err.rstrip().endswith("alliances convert: nothing was written")
    assert files(out) == before

    other = tmp_path / "documents"
    other.mkdir()
    (other / "letter.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run(capsys, bundled_path(), "-o", other)
    assert code == 2
    assert "holds no dataset" in err
    assert [p.name for p in other.iterdir()] == ["letter.txt"]
    code, _, err = run(capsys, bundled_path(), "-o", other / "letter.txt")
    assert code == 2
    assert "not a folder" in err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_formulas_extra_columns_and_large_relations(tmp_path: Path):
    folder = write_dataset(
        tmp_path / "in",
        actors=[actor("AAA"), actor("BBB")],
        relations=[
            relation("r1", "AAA", "BBB", "entente", "2019-05"),
            relation("r2", "AAA", "BBB", "rivalry", "2021", "2022-03-01"),
        ],
        events=[
            event("e1", "2020-01-02", "summit", "AAA", "BBB", title="=HYPERLINK(x)"),
            event("e2", "2020", "summit", "BBB", "AAA", title="'-ok"),
            event("e3", "2019-12", "summit", "AAA", "BBB", relation_id="r1"),
        ],
    )
    text = (folder / "events.csv").read_text(encoding="utf-8").splitlines()
    notes = ["notes", "n1", "n2", "n3"]
    rows = [f"{line},{note}" for line, note in zip(text, notes, strict=True)]
    (folder / "events.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    convert(folder, out, rollups=False, partition_relations=1)
    assert sorted(p.label for p in partitioned.parts(out / "relations")[0]) == [
        "relations/year=2019/part-0.parquet",
        "relations/year=2021/part-0.parquet",
    ]
    stored = pq.read_table(out / "events" / "year=2020" / "part-0.parquet").to_pydict()
    # as every file the product writes: a formula kept from a spreadsheet by a quote
    assert stored["title"] == ["'-ok", "'=HYPERLINK(x)"]  # "2020" starts before 2020-01-02
    assert stored["notes"] == ["n2", "n1"]  # a column the format does not know is kept
    before, after = load_dataset(folder, cache=False), load_dataset(out, cache=False)
    pd.testing.assert_frame_equal(after.events, before.events)
    pd.testing.assert_frame_equal(after.relations, before.relations)
    assert set(after.events["title"]) == {"=HYPERLINK(x)", "-ok", "Event e3"}
