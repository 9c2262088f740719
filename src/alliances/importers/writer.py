"""Writing an imported dataset folder: into a temporary folder beside the output, events
streamed chunk by chunk (CSV, or Parquet partitioned by year: :mod:`alliances.partitioned`),
checked with the validator, then moved into place.

A failure at any point removes the temporary folder and leaves the output as it was.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pandas as pd

from .. import schema
from ..checks import check_table
from ..dataset import Dataset, load_dataset
from ..files import replace_folder, staging_folder
from ..formats import to_csv, to_public
from ..partitioned import PartitionedWriter, text_schema
from ..raw_tables import RawTable
from ..reading import read_table
from .report import ImportFailed

TABLE_FILES = frozenset(
    name for t in schema.TABLES.values() for name in (t.filename, f"{t.name}.parquet", t.name)
)
"""What may hold a table: its CSV, its Parquet file, its folder partitioned by year."""


class Writer:
    """One output folder being written; use as a context manager (an error removes it)."""

    def __init__(self, output: Path, base: Dataset, *, merged: bool, fmt: str = "csv"):
        self.output = output
        self.base = base
        self.fmt = fmt
        self.folder = staging_folder(output, ".importing")
        if output.is_dir():  # merging in place: keep the folder's other files (its README)
            for item in output.iterdir():
                if item.name not in TABLE_FILES and not item.name.startswith("."):
                    copy = shutil.copytree if item.is_dir() else shutil.copy2
                    copy(item, self.folder / item.name)
        # ids of the dataset merged into, and of the rows this import wrote
        self.existing: dict[str, set[str]] = {
            "events": set(base.events["event_id"].astype(str)) if merged else set(),
            "relations": set(base.relations["relation_id"].astype(str)) if merged else set(),
        }
        self.added: dict[str, set[str]] = {"events": set(), "relations": set()}
        self.relations: list[pd.DataFrame] = [base.relations] if merged else []
        self._parquet = None
        self._csv = None
        self.events_written = 0
        base_events = base.events.assign(score=base.events["score_given"])
        self.append_events(base_events if merged else base_events.iloc[:0])

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.abort()
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def append_events(self, frame: pd.DataFrame, ids: dict[str, set[str]] | None = None) -> None:
        """Write typed event rows (as the loader's frames hold them) after those written.

        With ``ids`` (actor, event type and relation ids the rows may refer to), the rows are
        checked as the validator checks a file, chunk by chunk, so that a million imported
        events are never all in memory at once.
        """
        public = to_public(frame, "events")
        if ids is not None:
            self.check(public, ids)
        if self.fmt == "parquet":  # partitioned by year, sorted by date when closed
            import pyarrow as pa

            arrow_schema = text_schema(list(schema.EVENTS.columns))
            table = pa.Table.from_pandas(
                public.replace("", None), schema=arrow_schema, preserve_index=False
            )
            if self._parquet is None:
                self._parquet = PartitionedWriter(self.folder / "events", arrow_schema, "date")
            self._parquet.write(table)
        else:  # pyarrow writes the text: several times faster than pandas for a million rows
            import pyarrow as pa
            import pyarrow.csv as pacsv

            if self._csv is None:
                self._csv = (self.folder / "events.csv").open("wb")
                self._csv.write((",".join(schema.EVENTS.columns) + "\n").encode())
            table = pa.Table.from_pandas(public.replace("", None), preserve_index=False)
            table = table.cast(pa.schema([(c, pa.string()) for c in table.column_names]))
            pacsv.write_csv(table, self._csv, pacsv.WriteOptions(include_header=False))
        self.events_written += len(frame)

    def check(self, public: pd.DataFrame, ids: dict[str, set[str]]) -> None:
        """Raise if rows in the public format break a rule of the format (an importer bug)."""
        frame = public.replace("", None).astype("string")
        raw = RawTable(schema.EVENTS, self.folder / "events.csv", frame.reset_index(drop=True))
        known = {table: pd.Index(sorted(values)) for table, values in ids.items()}
        problems = check_table(raw, known)
        if problems:
            raise _invalid(problems)

    def add_relations(self, frame: pd.DataFrame) -> None:
        self.relations.append(frame)

    def close(self) -> None:
        """Finish the events file (the partitioned one is sorted and written now)."""
        if self._csv is not None:
            with contextlib.suppress(OSError):
                self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
        self._csv = self._parquet = None

    def abort(self) -> None:
        if self._parquet is not None:
            self._parquet.abort()
            self._parquet = None
        self.close()

    def finish(
        self,
        actors: pd.DataFrame,
        event_types: pd.DataFrame,
        relation_types: pd.DataFrame,
        *,
        load: bool = False,
    ) -> Dataset | None:
        """Write the other tables, check the folder and move it to the output.

        With ``load``, the checked folder is loaded and the :class:`Dataset` returned.
        """
        self.close()
        relations = pd.concat(self.relations, ignore_index=True) if self.relations else None
        if relations is None:
            relations = self.base.relations.iloc[:0]
        for name, frame in (
            ("actors", actors),
            ("event_types", event_types),
            ("relation_types", relation_types),
            ("relations", relations),
        ):
            text = to_csv(frame, name)
            (self.folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
        dataset = None
        if load:
            from ..problems import DatasetError

            try:
                dataset = load_dataset(self.folder, cache=False)
            except DatasetError as exc:
                raise _invalid(exc.problems) from None
        else:  # the events were checked as they were written
            problems = []
            for table in schema.TABLES.values():
                if table.name != "events":
                    raw, found = read_table(self.folder, table)
                    problems += found
                    if raw is not None:
                        problems += check_table(raw, self.ids(table.name))
            if problems:
                raise _invalid(problems)
        self._move()
        if dataset is not None:
            from dataclasses import replace

            dataset = replace(dataset, path=self.output.resolve())
        return dataset

    def ids(self, table: str) -> dict[str, pd.Index]:
        """The ids the rows of ``table`` may refer to, as written in this folder."""
        refs = {f.ref for f in schema.TABLES[table].fields if f.ref}
        found = {}
        for ref in refs:
            raw, _ = read_table(self.folder, schema.TABLES[ref])
            if raw is not None:
                found[ref] = pd.Index(raw.frame[schema.TABLES[ref].key].dropna().unique())
        return found

    def _move(self) -> None:
        replace_folder(self.folder, self.output)


def _invalid(problems: list) -> ImportFailed:
    shown = [str(p) for p in problems[:20]]
    return ImportFailed(
        [
            "the imported data does not validate (a bug in the importer; nothing was written):",
            *shown,
        ]
    )


def check_output(output: Path, merge: Path | None) -> None:
    """Refuse to replace a folder that is not the one being merged into."""
    if not output.exists():
        return
    if not output.is_dir():
        raise ImportFailed(f"{output}: exists and is not a folder", usage=True)
    if merge is not None and output.resolve() == merge.resolve():
        return
    if any(output.iterdir()):
        raise ImportFailed(
            f"{output}: folder exists and is not empty: give a new folder, or --merge it "
            "to add to it",
            usage=True,
        )
