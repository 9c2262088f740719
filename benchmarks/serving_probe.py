"""Where a served change's CPU goes: a ledger the served app fills, and a route that reads it.

Loaded by ``panel serve --plugins=benchmarks.serving_probe`` (``python -m benchmarks.serving``
starts such a server). Importing it wraps the functions at the boundaries between the stages
of a change in timers of the server thread's CPU time (``time.thread_time``), each charged to
one stage, exclusively: time spent in a nested stage is charged to that stage, not to the one
around it, so the stages add up to the CPU the thread spent inside any of them.

With ``BENCHMARKS_SERVING_STAGES=0`` in its environment it wraps nothing and the ledger
counts only the thread's whole CPU time: the same changes measured both ways give what the
timers themselves cost.

``GET /serving/ledger?reset=1`` starts an account (``&clear=1`` also drops every selection
cached for some filters, so a change computes its selection afresh; ``&profile=1`` runs
pyinstrument until a read with ``?profile=1``, which returns its call tree); ``GET /serving/ledger``
returns the CPU per stage since then and the thread's whole CPU time over the same span; the
difference is what ran outside every stage (the event loop, Panel's callback scheduling,
param's watcher dispatch). The route itself runs on the server thread; it costs well under a
millisecond.

Measurement only, like ``reliability.probe``: it reaches into Panel's, Bokeh's and tornado's
private methods to time them, and never belongs in production.
"""

from __future__ import annotations

import functools
import gc
import importlib
import inspect
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType

from tornado import web

from .serving_session import STAGES, STAGES_ENV


class Ledger:
    """CPU time of one thread, charged to the innermost stage running (and to the function
    that stage was entered through)."""

    def __init__(self) -> None:
        self.thread = threading.main_thread().ident
        self.stack: list[tuple[str, str]] = []
        self.reset()

    def reset(self) -> None:
        self.totals: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.calls: dict[str, int] = dict.fromkeys(STAGES, 0)
        self.functions: dict[tuple[str, str], float] = {}
        self.function_calls: dict[tuple[str, str], int] = {}
        self.excluded = 0.0  # the ledger route's own handlers
        self.mark = self.started = time.thread_time()

    def _charge(self, now: float) -> None:
        key = self.stack[-1]
        self.totals[key[0]] += now - self.mark
        self.functions[key] = self.functions.get(key, 0.0) + now - self.mark

    def enter(self, stage: str, name: str) -> bool:
        if threading.get_ident() != self.thread:
            return False
        now = time.thread_time()
        if self.stack:
            self._charge(now)
        self.stack.append((stage, name))
        self.calls[stage] += 1
        self.function_calls[stage, name] = self.function_calls.get((stage, name), 0) + 1
        self.mark = now
        return True

    def leave(self) -> None:
        now = time.thread_time()
        self._charge(now)
        self.stack.pop()
        self.mark = now

    def read(self) -> dict:
        now = time.thread_time()
        if self.stack:  # the route runs inside no stage, but be exact if it ever does
            self._charge(now)
            self.mark = now
        functions = sorted(self.functions.items(), key=lambda kv: -kv[1])
        return {
            "cpu": now - self.started - self.excluded,
            "stages": dict(self.totals),
            "calls": dict(self.calls),
            "entered": sum(self.calls.values()),
            "functions": [
                [stage, name, seconds, self.function_calls.get((stage, name), 0)]
                for (stage, name), seconds in functions
            ],
        }


LEDGER = Ledger()


def _timed(stage: str, func: Callable) -> Callable:
    if getattr(func, "_serving_stage", None) or inspect.iscoroutinefunction(func):
        return func

    name = f"{func.__module__}.{func.__qualname__}"

    @functools.wraps(func)
    def timed(*args, **kwargs):
        if not LEDGER.enter(stage, name):
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        finally:
            LEDGER.leave()

    timed._serving_stage = stage  # type: ignore[attr-defined]
    return timed


def _wrap_class(cls: type, stage: str, names: tuple[str, ...] | None = None) -> None:
    """Time the methods (``names``, else every function, property and cached property) that
    ``cls`` itself defines."""
    for name, value in list(vars(cls).items()):
        if names is not None and name not in names:
            continue
        if names is None and name.startswith("__"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            setattr(cls, name, type(value)(_timed(stage, value.__func__)))
        elif inspect.isfunction(value):
            setattr(cls, name, _timed(stage, value))
        elif isinstance(value, property) and value.fget is not None:
            setattr(cls, name, value.getter(_timed(stage, value.fget)))
        elif isinstance(value, functools.cached_property):
            value.func = _timed(stage, value.func)


def _wrap_modules(prefixes: dict[str, str]) -> None:
    """Time every function and class method defined in a module under each prefix, wherever
    it is bound (``from .query import select`` binds it in another module too)."""

    def stage_of(module: str) -> str | None:
        best = max((p for p in prefixes if module == p or module.startswith(p + ".")),
                   key=len, default=None)  # fmt: skip
        return prefixes[best] if best else None

    modules = [m for name, m in list(sys.modules.items()) if name.startswith("alliances")]
    for module in modules:
        if not isinstance(module, ModuleType):
            continue
        for name, value in list(vars(module).items()):
            origin = getattr(value, "__module__", None) or ""
            stage = stage_of(origin)
            if stage is None:
                continue
            if inspect.isclass(value) and origin == module.__name__:
                _wrap_class(value, stage)
            elif callable(value) and not inspect.isclass(value) and hasattr(value, "__wrapped__"):
                setattr(module, name, _timed(stage, value))  # per_dataset and friends
            elif inspect.isfunction(value):
                setattr(module, name, _timed(stage, value))


PANEL_METHODS = (
    "_param_change", "_apply_update", "_scheduled_update_model", "_update_model",
    "_update_pane", "_update_object", "_update", "_process_events", "_process_param_change",
    "_update_data_sources", "_plotly_json_wrapper", "_get_model", "_process_event",
)  # fmt: skip
"""Panel methods through which a parameter change reaches Bokeh models."""


def _subclasses(cls: type) -> list[type]:
    out, stack = [], [cls]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.__subclasses__())
    return out


def install() -> None:
    """Wrap the stage boundaries (idempotent)."""
    if getattr(install, "done", False):
        return
    install.done = True  # type: ignore[attr-defined]
    import bokeh.core.property.descriptors as descriptors
    import bokeh.document.callbacks as callbacks
    import bokeh.document.models as doc_models
    import bokeh.protocol.message as message
    import panel as pn
    import panel.io.document as pn_document
    from tornado.websocket import WebSocketHandler

    import alliances.app  # every module the dashboard uses
    import alliances.views.analysis  # noqa: F401

    _wrap_modules(
        {
            "alliances.query": "selection",
            "alliances.criteria": "selection",
            "alliances.columns": "selection",
            "alliances.scope": "selection",
            "alliances.aggregates": "selection",
            "alliances.bins": "selection",
            "alliances.metrics": "selection",
            "alliances.analyses": "selection",
            "alliances.figures": "figures",
            "alliances.fragments": "figures",
            "alliances.downloads": "figures",
            "alliances.views": "views",
            "alliances.app": "views",
        }
    )
    import panel.pane.plotly
    import panel.widgets.tables

    for cls in _subclasses(pn.reactive.Syncable):
        _wrap_class(cls, "panel", PANEL_METHODS)
    patch_doc = importlib.import_module("bokeh.protocol.messages.patch_doc").patch_doc
    _wrap_class(patch_doc, "receive", ("apply_to_document",))
    _wrap_class(message.Message, "receive", ("assemble",))
    for cls in _subclasses(descriptors.PropertyDescriptor):
        _wrap_class(cls, "bokeh", ("__set__", "set_from_json", "_notify_mutated", "_trigger"))
    _wrap_class(callbacks.DocumentCallbackManager, "bokeh", ("notify_change", "trigger_on_change"))
    _wrap_class(doc_models.DocumentModelManager, "bokeh", ("recompute", "flush_synced"))
    _wrap_class(patch_doc, "serialize", ("create",))
    _wrap_class(message.Message, "serialize", ("header_json", "metadata_json", "content_json"))
    message.serialize_json = _timed("serialize", message.serialize_json)
    _wrap_class(WebSocketHandler, "send", ("write_message",))
    for name in ("dispatch_tornado", "write_events", "schedule_write_events"):
        setattr(pn_document, name, _timed("send", getattr(pn_document, name)))
    gc.callbacks.append(_gc_callback)


def _gc_callback(phase: str, info: dict) -> None:
    if phase == "start":
        if not LEDGER.enter("gc", "gc.collect"):
            return
        _gc_callback.open = True  # type: ignore[attr-defined]
    elif getattr(_gc_callback, "open", False):
        _gc_callback.open = False  # type: ignore[attr-defined]
        LEDGER.leave()


_PROFILER = None


class LedgerHandler(web.RequestHandler):
    def get(self) -> None:
        global _PROFILER
        started = time.thread_time()
        if self.get_argument("reset", "") == "1":
            if self.get_argument("clear", "") == "1":
                from alliances import cache

                cache.clear(keep_precomputed=True)
            if self.get_argument("profile", "") == "1":
                from pyinstrument import Profiler

                _PROFILER = Profiler(interval=0.0005)
                _PROFILER.start()
            LEDGER.reset()
            body: dict = {"reset": True}
        else:
            body = LEDGER.read()
            if _PROFILER is not None and self.get_argument("profile", "") == "1":
                _PROFILER.stop()
                body["profile"] = _PROFILER.output_text(unicode=False, color=False)
                _PROFILER = None
            LEDGER.excluded += time.thread_time() - started
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(body))


if os.environ.get(STAGES_ENV, "1") != "0":
    install()
ROUTES = [(r"/serving/ledger", LedgerHandler)]
