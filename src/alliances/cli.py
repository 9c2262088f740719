"""The ``alliances`` command: validate, info, serve, export, import, convert.

Exit codes: 0 success, 1 an invalid dataset (or a failed export), 2 a usage error.
No input file produces a Python traceback: problems are reported one per line.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from .serve_cli import needs_cookie_secret, serve_command, supervise

USAGE_ERROR = 2


def _dataset_dir(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such folder: {value}")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"not a folder: {value} (give the folder holding the CSV files)"
        )
    return path


def _data(value: str) -> str | Path:
    """``--data``: a dataset folder, or a connection URL (``duckdb:///file.duckdb``,
    ``pyspark://``; docs/engine.md)."""
    if "://" in value:
        return value
    return _dataset_dir(value)


def _engine(args: argparse.Namespace) -> None:
    """``--engine`` chooses the path for this command and the server it starts."""
    if getattr(args, "engine", None):
        from .engine import ENV_ENGINE

        os.environ[ENV_ENGINE] = args.engine


def cmd_validate(args: argparse.Namespace) -> int:
    from .dataset import resolve_path
    from .validation import format_report, validate

    directory = resolve_path(args.path)
    problems = validate(directory)
    if problems:
        print(format_report(problems))
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{directory}: valid", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .dataset import load_dataset
    from .validation import DatasetError, format_report

    _engine(args)
    try:
        dataset = load_dataset(args.path)
    except DatasetError as exc:
        print(format_report(exc.problems))
        print(
            f"{len(exc.problems)} problem(s) in {exc.path}: run `alliances validate`",
            file=sys.stderr,
        )
        return 1
    print(dataset.summary())
    return 0


def cmd_serve(args: argparse.Namespace, extra: Sequence[str] = ()) -> int:

    from .engine.sources import describe

    # Not validated here: the server does it for the first session (the page and the log show
    # any problem), and doing it twice would double the time to the first page.
    directory = describe(args.data)
    _engine(args)
    if args.address not in ("127.0.0.1", "localhost", "::1") and not args.expose:
        print(
            f"alliances serve: refusing to listen on {args.address} without --expose "
            "(the dashboard has no login unless you add --basic-auth or OAuth)",
            file=sys.stderr,
        )
        return USAGE_ERROR
    credentials = os.environ.get("PANEL_BASIC_AUTH", "")
    if credentials != credentials.lower():
        # Panel lower-cases this variable: a password given here would silently become
        # another one, and a path with capitals one that does not exist.
        print(
            "alliances serve: PANEL_BASIC_AUTH has capital letters, which Panel lower-cases: "
            'put the credentials in a JSON file ({"user": "password"}) at a lower-case '
            "path and give that path",
            file=sys.stderr,
        )
        return USAGE_ERROR
    # a URL goes as given (its options and credentials), a folder as resolved
    data = str(args.data) if isinstance(args.data, str) else str(directory)
    env = dict(os.environ, ALLIANCES_DATA=data)
    if needs_cookie_secret(extra, env):
        # Panel answers every request with HTTP 500 when a login has no secret to sign its
        # cookie with; one made for this run (in the environment, which `ps` does not show)
        env["PANEL_COOKIE_SECRET"] = secrets.token_urlsafe(32)
        print(
            "alliances serve: logins need a cookie secret and none was given, so this run made "
            "one: logins will not survive a restart, and several processes behind one proxy "
            "need one shared secret (set PANEL_COOKIE_SECRET in their environment).",
            file=sys.stderr,
        )
    cmd = serve_command(args, extra)
    print(f"Serving {directory} at http://{args.address}:{args.port}/", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix" and args.num_procs <= 1:
        os.execve(sys.executable, cmd, env)  # the server keeps this process id
    return supervise(cmd, env)


def cmd_export(args: argparse.Namespace) -> int:
    from .briefing import export_briefing, filters_from_options
    from .dataset import load_dataset
    from .validation import DatasetError, format_report

    _engine(args)
    try:
        dataset = load_dataset(args.data)
    except DatasetError as exc:
        print(format_report(exc.problems))
        print(f"{len(exc.problems)} problem(s) in {exc.path}", file=sys.stderr)
        return 1
    options = {
        key: value
        for key, value in {
            "actors": args.actors,
            "from": args.start,
            "to": args.end,
            "types": args.types,
            "relations": args.relations,
            "regions": args.regions,
            "q": args.search,
            "partners": "1" if args.partners else None,
            "size": args.size,
            "lanes": args.lanes,
            "link": args.link,
            "pairs": args.pairs,
        }.items()
        if value is not None
    }
    filters, problems = filters_from_options(dataset, options)
    if problems:
        for problem in problems:
            print(f"alliances export: {problem.removeprefix('ignored ')}", file=sys.stderr)
        return USAGE_ERROR
    notes = ""
    if args.notes:
        try:
            notes = Path(args.notes).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"alliances export: cannot read notes {args.notes}: {exc}", file=sys.stderr)
            return USAGE_ERROR
    out = export_briefing(filters, args.output, dataset=dataset, title=args.title, notes=notes)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``alliances import SOURCE FILE ... -o FOLDER``: exit 0 imported, 1 bad input files,
    2 a mistake in the command; nothing is written unless the import succeeds."""
    from .importers import ImportFailed, Options, reader, run

    options = Options(
        merge=Path(args.merge).expanduser() if args.merge else None,
        format=args.format,
        actors_map=Path(args.actors_map).expanduser() if args.actors_map else None,
        start=args.start,
        end=args.end,
        actors=[a.strip() for a in (args.actors or "").split(",") if a.strip()],
    )
    try:
        result = run(reader(args.source), args.files, args.output, options)
    except ImportFailed as exc:
        for problem in exc.problems:
            print(f"alliances import: {problem}", file=sys.stderr)
        print("alliances import: nothing was written", file=sys.stderr)
        return USAGE_ERROR if exc.usage else 1
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # a file this importer was not written for: say so, never a traceback
        print(f"alliances import: cannot import these files: {exc!r}", file=sys.stderr)
        print("alliances import: nothing was written", file=sys.stderr)
        return 1
    print(result.report.text())
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    """``alliances convert FOLDER -o OUT``: exit 0 converted, 1 a dataset that does not
    validate, 2 a mistake in the command; nothing is written unless it succeeds."""
    from .convert import ConvertFailed, convert

    try:
        report = convert(args.path, args.output, fmt=args.format)
    except ConvertFailed as exc:
        for problem in exc.problems:
            print(f"alliances convert: {problem}", file=sys.stderr)
        print("alliances convert: nothing was written", file=sys.stderr)
        return USAGE_ERROR if exc.usage else 1
    print(report.text())
    return 0


ENGINE_HELP = (
    "memory: load the events; duckdb: query them where they are; auto (default): DuckDB for "
    "a URL or for Parquet above 2,000,000 events (docs/engine.md)"
)


def build_parser() -> argparse.ArgumentParser:
    from . import state
    from .engine import CHOICES as ENGINES

    parser = argparse.ArgumentParser(
        prog="alliances",
        description="Explore a sourced dataset of alliances, partnerships, rivalries and events.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"alliances {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a dataset folder and report every problem")
    p.add_argument("path", nargs="?", type=_dataset_dir, help="dataset folder (default: bundled)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when valid")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("info", help="print counts and the date span of a dataset")
    p.add_argument("path", nargs="?", type=_data, help="dataset folder or URL (default: bundled)")
    p.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "serve",
        help="open the dashboard (runs panel serve; other options pass through to it)",
        description="Serve the dashboard with panel serve. Options not listed here (such as "
        "--basic-auth, --cookie-secret, --oauth-provider) are passed to panel serve.",
    )
    p.add_argument("--data", type=_data, help="dataset folder or URL (default: bundled)")
    p.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    p.add_argument("--port", type=int, default=5006, help="port (default: 5006)")
    p.add_argument("--address", default="127.0.0.1", help="address (default: 127.0.0.1)")
    p.add_argument("--expose", action="store_true", help="allow an address other than loopback")
    p.add_argument("--show", action="store_true", help="open a browser")
    p.add_argument("--num-procs", type=int, default=0, help="worker processes (default: 1)")
    p.add_argument(
        "--allow-websocket-origin", action="append", help="extra allowed origin (host:port)"
    )
    p.set_defaults(func=cmd_serve, passthrough=True)

    p = sub.add_parser(
        "export",
        help="write an offline HTML briefing for some filters",
        description="Write one self-contained HTML file (charts, tables, sources) that opens "
        "offline. Lists are comma-separated ids; dates are YYYY-MM-DD.",
    )
    p.add_argument("-o", "--output", default="briefing.html", help="file to write")
    p.add_argument("--data", type=_data, help="dataset folder or URL (default: bundled)")
    p.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    p.add_argument("--title", default="Alliance briefing", help="title of the briefing")
    p.add_argument("--notes", help="a Markdown file with the analyst's notes")
    p.add_argument("--actors", help="actor ids, e.g. RUS,PRK")
    p.add_argument("--partners", action="store_true", help="include the actors' partners")
    p.add_argument("--from", dest="start", metavar="DATE", help="first day of the window")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day of the window")
    p.add_argument("--types", help="event type ids, e.g. summit,treaty")
    p.add_argument("--relations", help="relation type ids, e.g. defense_pact")
    p.add_argument("--regions", help="regions, e.g. 'East Asia'")
    p.add_argument("--search", help="text to search in titles and descriptions")
    p.add_argument("--link", choices=state.LINKS, help="which events of the actors (default: any)")
    p.add_argument("--pairs", help="pairs for the temperature chart, e.g. PRK–RUS,KOR–PRK")
    p.add_argument("--size", choices=state.CENTRALITIES, help="centrality")
    p.add_argument("--lanes", choices=state.LANES, help="timeline lanes")
    p.set_defaults(func=cmd_export)

    from .importers import SOURCES

    p = sub.add_parser(
        "import",
        help="import GDELT, ACLED, UCDP, ATOP, COW or SIPRI files into a dataset folder",
        description="Read a public dataset's files as its publisher releases them and write a "
        "dataset folder that `alliances validate` accepts, then print a report. Nothing is "
        "written if a file cannot be imported.",
    )
    p.add_argument("source", choices=SOURCES, help="which dataset the files come from")
    p.add_argument("files", nargs="+", metavar="FILE", help="files as downloaded (zipped or not)")
    p.add_argument("-o", "--output", required=True, metavar="FOLDER", help="folder to write")
    p.add_argument("--merge", metavar="FOLDER", help="add to this dataset (e.g. the bundled one)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv", help="events file format")
    p.add_argument("--actors-map", metavar="FILE", help="CSV: source,actor_id[,name,kind,region]")
    p.add_argument("--from", dest="start", metavar="DATE", help="keep records from this date")
    p.add_argument("--to", dest="end", metavar="DATE", help="keep records up to this date")
    p.add_argument("--actors", help="keep records involving these actor ids, e.g. RUS,UKR")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "convert",
        help="rewrite a dataset for large data: events as Parquet partitioned by year",
        description="Validate a dataset folder and write it to OUT with its events (and "
        "relations, if over a million) as Parquet partitioned by year and sorted by date "
        "(events/year=YYYY/part-N.parquet), actors and vocabularies as CSV, and the engine's "
        "rollups. The folder is written beside OUT, checked, then moved into place; "
        "converting again gives the same files.",
    )
    p.add_argument("path", type=_dataset_dir, metavar="FOLDER", help="dataset folder to convert")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="folder to write")
    p.add_argument("--format", choices=["parquet"], default="parquet", help="storage format")
    p.set_defaults(func=cmd_convert)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if getattr(args, "passthrough", False):
            return int(args.func(args, extra) or 0)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # unreadable folder, port in use, disk full...
        print(f"alliances: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
