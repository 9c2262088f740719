"""Random and mutated CSV files against the loader and validator: always a report, never a
traceback or a hang; and a 100 MB file with one bad row names that row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliances import schema
from alliances.dataset import clear_cache, load_dataset
from alliances.validation import DatasetError, Problem, validate

SMALL = Path(__file__).parent / "fixtures" / "small"
FILES = [t.filename for t in schema.TABLES.values()]
ORIGINAL = {name: (SMALL / name).read_bytes() for name in FILES}

# Bytes that break CSV structure or encodings in interesting ways.
NASTY = [b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b";", b"<script>",
         b"javascript:", b"\xe2\x80\xae", b"=cmd|' /C calc'!A0", b" ", b"", b"9" * 40]  # fmt: skip


def check(folder: Path) -> list[Problem]:
    """Validate and load; both must end in a report or a dataset, nothing else."""
    problems = validate(folder)
    assert all(isinstance(p, Problem) for p in problems)
    for p in problems:
        assert p.file in FILES or p.file == str(folder), p
        assert p.line >= 0
        assert "\n" not in str(p)  # one problem, one line
    clear_cache()
    if problems:  # the loader refuses with the same report
        with pytest.raises(DatasetError) as refused:
            load_dataset(folder, cache=False)
        assert [str(p) for p in refused.value.problems] == [str(p) for p in problems]
    else:  # the loader accepts what the validator passed
        assert load_dataset(folder, cache=False).events is not None
    return problems


@st.composite
def mutated(draw):
    """One of the five files with a few random edits: cuts, inserts, replaced bytes."""
    name = draw(st.sampled_from(FILES))
    data = bytearray(ORIGINAL[name])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        piece = draw(st.sampled_from(NASTY) | st.binary(max_size=8))
        if action == "insert":
            data[pos:pos] = piece
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 30))]
        elif action == "replace":
            data[pos : pos + len(piece)] = piece
        else:
            del data[pos:]
    return name, bytes(data)


settings_ = settings(
    max_examples=40,
    deadline=10_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings_
@given(edit=mutated())
def test_mutated_files_always_give_a_report_never_a_traceback(tmp_path, edit):
    folder = tmp_path / "data"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(SMALL, folder)
    name, data = edit
    (folder / name).write_bytes(data)
    check(folder)


@settings_
@given(
    name=st.sampled_from(FILES),
    data=st.binary(max_size=2000)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=600).map(
        lambda t: t.encode("utf-8")
    ),
)
def test_random_files_always_give_a_report_never_a_traceback(tmp_path, name, data):
    folder = tmp_path / "data"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(SMALL, folder)
    (folder / name).write_bytes(data)
    check(folder)


@settings_
@given(
    rows=st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=22), min_size=0, max_size=12)
)
def test_random_rows_under_a_valid_header_give_a_report(tmp_path, rows):
    import csv
    import io

    folder = tmp_path / "data"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(SMALL, folder)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(schema.EVENTS.columns)
    writer.writerows(rows)
    (folder / "events.csv").write_text(out.getvalue(), encoding="utf-8")
    problems = check(folder)
    if any(any(cell.strip() for cell in row) for row in rows):
        assert problems  # random text is never a valid event


@pytest.mark.slow
def test_a_100_mb_file_with_one_bad_row_names_that_row(tmp_path):
    folder = tmp_path / "big"
    shutil.copytree(SMALL, folder)
    header = ",".join(schema.EVENTS.columns)
    row = (
        "e{i},2024-03-18,,arms_transfer,PRK,RUS,,,7000,containers,cumulative,"
        '"Munitions, shipped",A description long enough to make a realistic row of text '
        "as analysts write them in the description column,AP,https://example.org/a,,estimated,"
    )
    bad_index = 412_345
    target = 100 * 1024 * 1024
    lines = [header]
    size = len(header)
    i = 0
    while size < target:
        line = row.format(i=i)
        if i == bad_index:
            line = line.replace("2024-03-18", "2024-02-30")
        lines.append(line)
        size += len(line) + 1
        i += 1
    (folder / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (folder / "events.csv").stat().st_size >= target
    problems = validate(folder)
    assert [str(p) for p in problems] == [
        f"events.csv:{bad_index + 2}: date: not a date: use YYYY, YYYY-MM or YYYY-MM-DD "
        "(a real day, years 1800-2100): '2024-02-30'"
    ]
