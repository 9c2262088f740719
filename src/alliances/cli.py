"""The ``alliances`` command: validate, info, serve, export.

Exit codes: 0 success, 1 an invalid dataset (or a failed export), 2 a usage error.
No input file produces a Python traceback: problems are reported one per line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

USAGE_ERROR = 2


def _dataset_dir(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such folder: {value}")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a folder: {value} (give the folder holding the CSV files)")
    return path


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

    try:
        dataset = load_dataset(args.path)
    except DatasetError as exc:
        print(format_report(exc.problems))
        print(f"{len(exc.problems)} problem(s) in {exc.path}: run `alliances validate`", file=sys.stderr)
        return 1
    print(dataset.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
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
    p.add_argument("path", nargs="?", type=_dataset_dir, help="dataset folder (default: bundled)")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # unreadable folder, port in use, disk full...
        print(f"alliances: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
