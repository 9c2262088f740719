"""``python -m benchmarks.serving``: where a served filter change's server CPU and bytes go.

Starts ``alliances serve`` with the ledger of :mod:`benchmarks.serving_probe` loaded, opens one
session over Bokeh's websocket protocol as a browser tab holds it, and makes filter changes
the way the browser sends them (a ``PATCH-DOC`` setting a widget's model): actors, the date
window, event types, the network's "As of" slider, and a tab switch. For each change it reads
the server thread's CPU per stage (the ledger, reset before the change) and counts every byte
the server sent until it fell quiet, per model and property. Prints Markdown tables
(docs/performance.md, "Where a served change's time goes", has the method and the figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from .revisions import source_tree
from .serving_changes import Variant, run
from .serving_tables import summary, tables, top_functions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving", description=__doc__)
    parser.add_argument("--data", type=Path, help="dataset folder (default: the bundled one)")
    parser.add_argument("--rounds", type=int, default=12, help="changes of each kind")
    parser.add_argument(
        "--cold", action="store_true",
        help="drop every selection cached for some filters before each change (default: keep "
        "them, as a server does; each change still sets filters not seen before)",
    )  # fmt: skip
    parser.add_argument(
        "--against", metavar="REV",
        help="also serve git revision REV's code, and make every change on both servers",
    )  # fmt: skip
    parser.add_argument(
        "--this", metavar="REV",
        help="with --against: serve git revision REV's code as this side, not the checkout",
    )  # fmt: skip
    parser.add_argument(
        "--only", nargs="+", metavar="PATH", default=(),
        help="with --against: measure REV plus this checkout's version of these files only "
        "(one change against its parent), instead of the whole checkout",
    )  # fmt: skip
    parser.add_argument(
        "--overhead", action="store_true",
        help="also serve each side without the stage timers, to see what they cost",
    )  # fmt: skip
    parser.add_argument(
        "--again", action="store_true",
        help="also make each change in a second session on the same server, right after the "
        "first: what one session's change costs when another computed it already",
    )  # fmt: skip
    parser.add_argument(
        "--functions", type=int, default=0, metavar="N",
        help="also list the N functions that cost most per filter change",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write every change's figures here")
    args = parser.parse_args(argv)
    if (args.only or args.this) and not args.against:
        parser.error("--only and --this need --against")
    variants = [Variant("this code")]
    if args.this:
        variants = [Variant(args.this, src=source_tree(args.this))]
    elif args.only:
        label = f"{args.against} + {', '.join(args.only)}"
        variants = [Variant(label, src=source_tree(args.against, args.only))]
    if args.against:
        variants.insert(0, Variant(args.against, src=source_tree(args.against)))
    if args.overhead:
        variants += [
            dataclasses.replace(v, label=f"{v.label}, no stage timers", stages=False)
            for v in variants
        ]
    if args.again:
        variants.append(Variant("a second session, same changes", again=True))
    results = run(args.data, args.rounds, variants, cold=args.cold)
    for variant, group in zip(variants, results, strict=True):
        if variant.stages:
            print(f"## {variant.label}\n\n{tables(group)}\n")
            if args.functions:
                print(top_functions(group, ("actors", "window", "types"), args.functions) + "\n")
    if len(variants) > 1:
        print(summary(variants, results))
    if args.json:
        dump = {
            v.label: [dataclasses.asdict(m) for m in g]
            for v, g in zip(variants, results, strict=True)
        }
        args.json.write_text(json.dumps(dump, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
