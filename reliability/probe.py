"""A debug route for the reliability tool: what one ``alliances serve`` process holds.

Loaded by ``panel serve --plugins reliability.probe`` (``alliances serve`` passes the option
through; ``servers.start_server`` puts the checkout on ``PYTHONPATH``, and Panel imports the
module and serves its ``ROUTES``). ``GET /reliability/probe`` answers, for the process that
handles the request: its PID and RSS, the live Bokeh sessions, and how many dashboards,
filter objects, documents and Plotly panes are still reachable after a full ``gc.collect()``.
``?light=1``: only the PID, RSS and sessions, with each session's id and open websockets
(cheap enough to poll; with ``&collect=1`` after ``gc.collect()``, and the number of objects
gc tracks);
``?trim=1`` also returns freed heap pages to the system (``malloc_trim``), to tell a leak from
allocator fragmentation; ``?hold=MS`` keeps the worker busy that long first (so that
concurrent probes reach the other ``--num-procs`` workers); ``?types=1`` adds a histogram
of object types (diff two to see what grows); ``?referrers=1`` names what keeps a dashboard
alive; ``?clear_caches=1`` empties the ``per_dataset`` caches of ``alliances.query`` first
(to see what they hold).

Never load it in production: it walks every object of the process and answers anyone.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import sys
import time

from tornado import web


def _rss() -> int:
    with open(f"/proc/{os.getpid()}/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _count(objects: list, names: dict[str, type]) -> dict[str, int]:
    counts = dict.fromkeys(names, 0)
    for obj in objects:
        for name, cls in names.items():
            if isinstance(obj, cls):
                counts[name] += 1
    return counts


def _referrer_chain(target: object, depth: int = 6) -> list[str]:
    """A short description of one referrer path from ``target`` towards a module or global."""
    chain, seen, obj = [], {id(target)}, target
    for _ in range(depth):
        refs = [r for r in gc.get_referrers(obj) if id(r) not in seen and r is not chain]
        refs = [r for r in refs if not isinstance(r, type(sys._getframe()))]
        if not refs:
            break
        ref = refs[0]
        seen.add(id(ref))
        desc = type(ref).__name__
        if isinstance(ref, dict):
            keys = [k for k, v in ref.items() if v is obj][:3]
            desc += f" key={keys!r}" if keys else f" ({len(ref)} items)"
        elif hasattr(ref, "__qualname__"):
            desc += f" {ref.__qualname__}"
        chain.append(desc)
        obj = ref
    return chain


class ProbeHandler(web.RequestHandler):
    def get(self) -> None:
        import panel as pn
        from bokeh.document import Document
        from bokeh.server.session import ServerSession

        from alliances import cache
        from alliances.app import Dashboard
        from alliances.state import Filters

        hold = self.get_argument("hold", "")
        if hold.isdigit():  # keep this worker busy (ms, at most 2 s): the next connection
            time.sleep(min(int(hold), 2000) / 1000)  # goes to another --num-procs worker
        contexts = getattr(self.application, "applications", {})
        sessions = {path: len(list(ctx.sessions)) for path, ctx in contexts.items()}
        if self.get_argument("light", "") == "1":  # no object walk: cheap enough to poll
            ids = {s.id: s.connection_count for ctx in contexts.values() for s in ctx.sessions}
            light = {"pid": os.getpid(), "sessions": sessions, "connections": ids}
            if self.get_argument("collect", "") == "1":
                gc.collect()
                light["objects"] = len(gc.get_objects())
            light["rss"] = _rss()
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps(light))
            return
        if self.get_argument("clear_caches", "") == "1":  # what the data caches hold
            cache.clear()
        gc.collect()
        if self.get_argument("trim", "") == "1":
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL("libc.so.6").malloc_trim(0)
        objects = gc.get_objects()
        counts = _count(
            objects,
            {
                "dashboards": Dashboard,
                "filters": Filters,
                "documents": Document,
                "server_sessions": ServerSession,
                "plotly_panes": pn.pane.Plotly,
            },
        )
        caches = {name.rpartition(".")[2]: n for name, n in cache.entries().items()}
        body = {
            "pid": os.getpid(),
            "rss": _rss(),
            "sessions": sessions,
            **counts,
            "per_dataset_entries": caches,
            "pn_state": {
                name: len(getattr(pn.state, name, ()) or ())
                for name in ("_views", "_locations", "_templates", "_onload", "_periodic", "cache")
            },
        }
        try:  # pandas' copy-on-write bookkeeping: weak references to views of each block
            from pandas._libs.internals import BlockValuesRefs

            lists = [o.referenced_blocks for o in objects if isinstance(o, BlockValuesRefs)]
            body["pandas_block_refs"] = sum(len(refs) for refs in lists)
            body["pandas_dead_block_refs"] = sum(r() is None for refs in lists for r in refs)
        except ImportError:
            pass
        if self.get_argument("types", "") == "1":  # a histogram, to diff for what grows
            types: dict[str, int] = {}
            for obj in objects:
                name = f"{type(obj).__module__}.{type(obj).__qualname__}"
                types[name] = types.get(name, 0) + 1
            body["objects"] = len(objects)
            body["types"] = types
        if self.get_argument("referrers", "") == "1":
            boards = [o for o in objects if isinstance(o, Dashboard)][:2]
            body["referrers"] = [_referrer_chain(b) for b in boards]
        del objects
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(body))


ROUTES = [(r"/reliability/probe", ProbeHandler)]
