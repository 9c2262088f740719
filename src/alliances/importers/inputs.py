"""Opening the files a publisher releases: plain or zipped, UTF-8 or Latin-1, with a header row
(and maybe a preamble before it) or without; every record with the line it starts on.

Anything that is not what it should be raises :class:`ImportFailed` naming ``FILE:LINE``.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from .report import ImportFailed

CHUNK_ROWS = 100_000
"""Records per chunk: what is held in memory at once while reading a large file."""
BLOCK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """One file to read: a path, or a member of a zip archive (``name`` says which)."""

    name: str
    path: Path
    member: str | None = None

    def open(self) -> IO[bytes]:
        if self.member is None:
            return self.path.open("rb")
        try:
            archive = zipfile.ZipFile(self.path)
            return archive.open(self.member)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ImportFailed(f"{self.name}:1: cannot read the zip archive: {exc}") from None


def input_files(paths: list[str | Path]) -> list[InputFile]:
    """The files to read: each path, or each file inside a zip archive."""
    found: list[InputFile] = []
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise ImportFailed(f"{given}: no such file", usage=True)
        if path.is_dir():
            raise ImportFailed(f"{given}: is a folder: give the files in it", usage=True)
        if zipfile.is_zipfile(path):
            found += _members(path, str(given))
        elif path.suffix.lower() == ".zip":
            raise ImportFailed(f"{given}:1: not a readable zip archive (truncated or damaged?)")
        else:
            found.append(InputFile(str(given), path))
    return found


def _members(path: Path, shown: str) -> list[InputFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                info.filename
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            ]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ImportFailed(f"{shown}:1: cannot read the zip archive: {exc}") from None
    if not names:
        raise ImportFailed(f"{shown}:1: the zip archive holds no file")
    return [InputFile(f"{shown}:{name}", path, name) for name in names]


def guarded(inp: InputFile, read: Callable[[], object]) -> object:
    """Run ``read``; a damaged archive or unreadable file becomes :class:`ImportFailed`."""
    try:
        return read()
    except ImportFailed:
        raise
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ImportFailed(f"{inp.name}: the zip archive is damaged or truncated: {exc}") from None
    except OSError as exc:
        raise ImportFailed(f"{inp.name}: cannot read: {exc.strerror or exc}") from None


def encoding_of(inp: InputFile) -> str:
    """``utf-8-sig`` if the whole file is valid UTF-8, else ``cp1252`` (Windows Latin-1, which
    SIPRI and older exports use), else ``latin-1``; raises for a binary file."""

    def scan() -> str:
        decoder = codecs.getincrementaldecoder("utf-8")()
        utf8 = True
        line = 1
        with inp.open() as fh:
            while block := fh.read(BLOCK):
                if b"\x00" in block:
                    at = line + block[: block.index(b"\x00")].count(b"\n")
                    raise ImportFailed(f"{inp.name}:{at}: a binary file (NUL bytes), not text")
                if utf8:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        utf8 = False
                line += block.count(b"\n")
        if utf8:
            return "utf-8-sig"
        return "cp1252"

    encoding = guarded(inp, scan)
    assert isinstance(encoding, str)
    if encoding == "cp1252":
        try:
            guarded(inp, lambda: _decode_all(inp, "cp1252"))
        except UnicodeDecodeError:
            return "latin-1"
    return encoding


def _decode_all(inp: InputFile, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    with inp.open() as fh:
        while block := fh.read(BLOCK):
            decoder.decode(block)


def text_stream(inp: InputFile, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(inp.open(), encoding=encoding, newline="")


@dataclass
class Chunk:
    """Records of a file: cells as text (missing values as ``None``) and the line of each."""

    file: str
    frame: pd.DataFrame
    lines: np.ndarray


def header_chunks(
    inp: InputFile,
    find_header: Callable[[list[str]], bool],
    *,
    what: str,
    missing: frozenset[str] = frozenset({""}),
    max_preamble: int = 50,
    rows: int = CHUNK_ROWS,
) -> Iterator[Chunk]:
    """The records of a CSV file with a header row, in chunks.

    Lines before the header (a publisher's preamble of notes) are passed over: the header is
    the first record for which ``find_header`` is true, within ``max_preamble`` records.
    ``what`` names the kind of file in the error for a file of another kind. Cells in
    ``missing`` become ``None``. A record with another number of fields than the header, or a
    quote never closed, raises :class:`ImportFailed`.
    """
    encoding = encoding_of(inp)

    def chunks() -> Iterator[Chunk]:
        with text_stream(inp, encoding) as stream:
            reader = csv.reader(stream, strict=True)
            header: list[str] | None = None
            previous = 0
            batch: list[list[str]] = []
            starts: list[int] = []
            try:
                for row in reader:
                    start, previous = previous + 1, reader.line_num
                    if header is None:
                        if find_header([c.strip() for c in row]):
                            # unnamed columns (SIPRI's flags, R's row names) by position
                            header = [c.strip() or f"_col{i}" for i, c in enumerate(row)]
                        elif start > max_preamble:
                            break
                        continue
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # a blank line
                    if len(row) != len(header):
                        raise ImportFailed(
                            f"{inp.name}:{start}: broken line: {len(row)} fields where the "
                            f"header has {len(header)}"
                            + (" (the file looks truncated)" if len(row) < len(header) else "")
                        )
                    batch.append(row)
                    starts.append(start)
                    if len(batch) >= rows:
                        yield _chunk(inp.name, header, batch, starts, missing)
                        batch, starts = [], []
            except csv.Error as exc:
                at = previous + 1
                if "end of data" in str(exc) or "EOF" in str(exc):
                    raise ImportFailed(
                        f"{inp.name}:{at}: a quoted value starting on this line is never closed "
                        "(the file looks truncated)"
                    ) from None
                if "NUL" in str(exc):
                    raise ImportFailed(f"{inp.name}:{at}: a binary file, not CSV text") from None
                raise ImportFailed(f"{inp.name}:{at}: malformed CSV: {exc}") from None
            if header is None:
                raise ImportFailed(f"{inp.name}:1: not {what}: no header row with its columns")
            if batch:
                yield _chunk(inp.name, header, batch, starts, missing)

    iterator = chunks()
    while True:
        chunk = guarded(inp, lambda: next(iterator, None))
        if chunk is None:
            return
        assert isinstance(chunk, Chunk)
        yield chunk


def _chunk(
    name: str, header: list[str], rows: list[list[str]], starts: list[int], missing: frozenset
) -> Chunk:
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    if missing:
        frame = frame.mask(frame.apply(lambda c: c.str.strip().isin(missing)), None)
    return Chunk(name, frame, np.asarray(starts, dtype=np.int64))


def lower_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names in lower case (old exports wrote them in capitals)."""
    return frame.rename(columns=lambda c: str(c).strip().lower())
