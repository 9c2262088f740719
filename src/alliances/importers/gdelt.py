"""GDELT event exports: 1.0 daily files (58 columns), the 1.0 backfile (57, no SOURCEURL) and
2.0 files (61, with ADM2 codes): tab-separated, no header row, empty fields for missing values,
zipped or not. Read in chunks with pyarrow, so a file of any size takes bounded memory.

One event per record: ``gdelt:<GLOBALEVENTID>``, the day of ``SQLDATE``, the CAMEO
``EventCode`` (kept in ``cameo``) mapped to an event type, ``GoldsteinScale`` as the event's
score, the action location and its coordinates, ``SOURCEURL`` as the source.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..schema import URL_PATTERN
from .inputs import InputFile, guarded
from .pipeline import Batch, Context
from .report import ImportFailed
from .types import CAMEO_ROOTS, cameo_type

NAME = "gdelt"
LABEL = "GDELT event exports (1.0 daily, 1.0 backfile, 2.0)"

_ACTOR = ["Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
          "Religion2Code", "Type1Code", "Type2Code", "Type3Code"]  # fmt: skip
_EVENT = ["IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
          "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone"]  # fmt: skip
_GEO = ["Type", "FullName", "CountryCode", "ADM1Code", "Lat", "Long", "FeatureID"]


def _columns(adm2: bool, url: bool) -> list[str]:
    geo = [*_GEO[:4], "ADM2Code", *_GEO[4:]] if adm2 else _GEO
    return [
        "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
        *(f"Actor{n}{c}" for n in (1, 2) for c in _ACTOR),
        *_EVENT,
        *(f"{side}Geo_{c}" for side in ("Actor1", "Actor2", "Action") for c in geo),
        "DATEADDED", *(["SOURCEURL"] if url else []),
    ]  # fmt: skip


LAYOUTS = {
    57: ("GDELT 1.0 Event Database (backfile)", _columns(adm2=False, url=False)),
    58: ("GDELT 1.0 Event Database (daily export)", _columns(adm2=False, url=True)),
    61: ("GDELT 2.0 Event Database", _columns(adm2=True, url=True)),
}
"""Number of fields -> (dataset name, column names), from the GDELT codebooks."""

NEEDED = [
    "GLOBALEVENTID", "SQLDATE", "IsRootEvent", "EventCode", "QuadClass", "GoldsteinScale",
    "NumSources", "NumArticles", "AvgTone", "ActionGeo_FullName", "ActionGeo_Lat",
    "ActionGeo_Long", "DATEADDED",
    *(f"Actor{n}{c}" for n in (1, 2) for c in ("Code", "Name", "CountryCode", "KnownGroupCode")),
]  # fmt: skip
BLOCK_BYTES = 32 << 20  # about 150,000 records a chunk


def _layout(inp: InputFile) -> int:
    def first_line() -> bytes:
        with inp.open() as fh:
            return fh.read(1 << 16).split(b"\n", 1)[0]

    line = guarded(inp, first_line)
    assert isinstance(line, bytes)
    if not line.strip():
        raise ImportFailed(f"{inp.name}:1: the file is empty")
    if b"\x00" in line:
        raise ImportFailed(f"{inp.name}:1: a binary file, not a GDELT event export")
    fields = line.rstrip(b"\r").split(b"\t")
    if len(fields) not in LAYOUTS or not fields[0].strip().isdigit():
        raise ImportFailed(
            f"{inp.name}:1: not a GDELT event export: the line has {len(fields)} "
            "tab-separated fields; GDELT 1.0 daily files have 58, the 1.0 backfile 57 and 2.0 "
            "files 61, starting with GLOBALEVENTID"
        )
    return len(fields)


def read(inp: InputFile, ctx: Context) -> Iterator[Batch]:
    """The events of one GDELT export file, in chunks."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    width = _layout(inp)
    source, columns = LAYOUTS[width]
    needed = [c for c in [*NEEDED, "SOURCEURL"] if c in columns]
    broken: list[tuple[int | None, int]] = []

    def invalid(row) -> str:
        broken.append((row.number, row.actual_columns))
        return "skip"

    def open_reader():
        return pacsv.open_csv(
            inp.open(),
            read_options=pacsv.ReadOptions(column_names=columns, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter="\t", quote_char=False, invalid_row_handler=invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(needed, pa.string()),
                include_columns=needed,
                strings_can_be_null=True,
            ),
        )

    reader = _guard(inp, open_reader)
    offset = 0
    string = pd.StringDtype("pyarrow", na_value=np.nan)
    while True:
        arrow = _guard(inp, reader.read_next_batch)
        if arrow is None:
            break
        if broken:
            _broken(inp, width, source)
        frame = arrow.to_pandas(types_mapper={pa.string(): string}.get)
        lines = np.arange(offset + 1, offset + len(frame) + 1, dtype=np.int64)
        offset += len(frame)
        ctx.report.read += len(frame)
        yield from _events(frame, lines, inp.name, source, ctx)
    if broken:
        _broken(inp, width, source)


def _broken(inp: InputFile, width: int, source: str) -> None:
    """Raise for the first line with another number of fields than ``width`` (pyarrow, reading
    in parallel blocks, does not know the line numbers)."""

    def scan() -> tuple[int, int]:
        with inp.open() as fh:
            for number, line in enumerate(fh, start=1):
                found = line.rstrip(b"\r\n").count(b"\t") + 1
                if found != width and line.strip():
                    return number, found
        return 0, width

    number, found = guarded(inp, scan)
    raise ImportFailed(
        f"{inp.name}:{number}: broken line: {found} fields where this {source} file has {width}"
        + (" (the file looks truncated)" if found < width else "")
    )


def _guard(inp: InputFile, call):
    import pyarrow as pa

    try:
        return guarded(inp, call)
    except StopIteration:
        return None
    except pa.ArrowInvalid as exc:
        message = str(exc).splitlines()[0]
        if "UTF8" in message or "utf8" in message.lower():
            raise ImportFailed(f"{inp.name}: not UTF-8 text: not a GDELT event export") from None
        raise ImportFailed(f"{inp.name}: cannot read as a GDELT export: {message}") from None


def _side(frame: pd.DataFrame, n: int, ctx: Context) -> pd.Series:
    """Actor ids of Actor1 or Actor2: the known group (an organisation in the crosswalk, else a
    named non-state actor), else the state of the country code; missing for generic actors."""
    actors, cache = ctx.actors, ctx.cache.setdefault("gdelt", {"group": {}, "country": {}})
    groups, countries = frame[f"Actor{n}KnownGroupCode"], frame[f"Actor{n}CountryCode"]
    for code in countries.dropna().unique():
        if code not in cache["country"]:
            cache["country"][code] = actors.code("cameo", code, "", count=False)
    named = frame.loc[groups.notna(), [f"Actor{n}KnownGroupCode", f"Actor{n}Name"]]
    for code, name in named.drop_duplicates(f"Actor{n}KnownGroupCode").itertuples(index=False):
        if code not in cache["group"]:
            found = actors.code("cameo", code, "", count=False)
            cache["group"][code] = found or actors.new(
                name if isinstance(name, str) else code, "non_state"
            )
    by_country = countries.map(cache["country"]).astype(object)
    for code, count in countries[countries.notna() & by_country.isna()].value_counts().items():
        ctx.report.unmapped_code("GDELT country code", code, int(count))
    return groups.map(cache["group"]).astype(object).where(groups.notna(), by_country)


def _events(
    frame: pd.DataFrame, lines: np.ndarray, file: str, source: str, ctx: Context
) -> Iterator[Batch]:
    report = ctx.report
    a1, a2 = _side(frame, 1, ctx), _side(frame, 2, ctx)
    codes = frame["EventCode"].str.strip()
    types = codes.map({c: cameo_type(c) for c in codes.dropna().unique()})
    score = pd.to_numeric(frame["GoldsteinScale"], errors="coerce")
    keep = np.ones(len(frame), dtype=bool)
    for reason, mask in (
        ("no state or organisation on either side", (a1.isna() & a2.isna()).to_numpy(bool)),
        ("Actor1 is no state or organisation (only Actor2 is)", a1.isna().to_numpy(bool)),
        ("EventCode is not a CAMEO event code", types.isna().to_numpy(bool)),
        ("GoldsteinScale missing or outside -10..+10", ~score.between(-10, 10).to_numpy(bool)),
    ):
        report.skip_rows(reason, mask & keep, file, lines)
        keep &= ~mask
    if not keep.any():
        return
    f = frame[keep]
    a1, a2, codes, types, score = a1[keep], a2[keep], codes[keep], types[keep], score[keep]
    day = f["SQLDATE"].str.strip()
    day = (day.str.slice(0, 4) + "-" + day.str.slice(4, 6) + "-" + day.str.slice(6, 8)).where(
        day.str.fullmatch(r"\d{8}")
    )
    lat = pd.to_numeric(f["ActionGeo_Lat"], errors="coerce")
    lon = pd.to_numeric(f["ActionGeo_Long"], errors="coerce")
    placed = lat.between(-90, 90) & lon.between(-180, 180)
    url = f["SOURCEURL"].str.strip() if "SOURCEURL" in f else pd.Series(None, f.index, "string")
    good_url = url.str.match(URL_PATTERN.pattern, case=False).fillna(False).astype(bool)
    if (url.notna() & ~good_url).any():
        report.note("SOURCEURL values that are not http(s) addresses were left out")
    root = codes.str.slice(0, 2).map(CAMEO_ROOTS)
    name1 = f["Actor1Name"].fillna(f["Actor1Code"]).fillna("")
    name2 = f["Actor2Name"].fillna(f["Actor2Code"])
    title = root + " (" + codes + "): " + name1 + (" → " + name2).fillna("")

    def text(col: str) -> pd.Series:
        return f[col].fillna("").astype(str)

    description = (
        f"{source}, GLOBALEVENTID "
        + text("GLOBALEVENTID")
        + ": Actor1 "
        + text("Actor1Code")
        + ", Actor2 "
        + text("Actor2Code")
        + "; EventCode "
        + codes
        + ", QuadClass "
        + text("QuadClass")
        + ", GoldsteinScale "
        + text("GoldsteinScale")
        + ", AvgTone "
        + text("AvgTone")
        + "; "
        + text("NumArticles")
        + " articles from "
        + text("NumSources")
        + " sources; added "
        + text("DATEADDED")
        + f"; {file} line "
        + pd.Series(lines[keep], index=f.index).astype(str)
    )
    events = pd.DataFrame(
        {
            "event_id": "gdelt:" + f["GLOBALEVENTID"].str.strip(),
            "date": day,
            "event_type": types,
            "actor_1": a1,
            "actor_2": a2,
            "location": f["ActionGeo_FullName"],
            "title": title,
            "description": description,
            "source_name": source,
            "source_url": url.where(good_url),
            "confidence": "reported",
            "score": score,
            "cameo": codes,
            "latitude": lat.where(placed),
            "longitude": lon.where(placed),
        }
    )
    yield Batch("events", events, file, lines[keep])
