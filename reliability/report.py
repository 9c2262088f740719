"""docs/reliability.md: the experiments' results through a Jinja2 template.

``templates/reliability.md.j2`` lays the page out; this module gives it the numbers and the
filters that format them (MB, percentiles, latency lines). The machine description and the
keeping of the hand-written sections (Findings, Production deployment) are shared with the
benchmarks (``benchmarks.reporting``).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jinja2
from benchmarks import reporting

from .capacity import CapacityResult
from .concurrency import ConcurrencyResult
from .memory import MemoryResult
from .nginx import nginx_path
from .pages import BrowserSession
from .procs import ProcsResult
from .servers import PROBE

HAND_WRITTEN = ("\n## Findings", "\n## Production deployment")
"""Sections of the page written by hand: kept when the page is rewritten."""
PACKAGES = ("panel", "bokeh", "tornado", "plotly", "playwright")
"""The packages whose versions the page lists."""
PROBE_KEYS = (
    "dashboards", "filters", "documents", "server_sessions", "plotly_panes", "objects",
    "pandas_block_refs", "pandas_dead_block_refs",
)  # fmt: skip
"""The probe's counts that the memory table shows, before Panel's state and the caches."""


CHANGE_P95 = 2.0
"""Target (issue #16): a filter change shows within this many seconds at p95, under load."""
OPEN_P95 = 3.0
"""Target (issue #16): a session or page opens within this many seconds at p95, under load."""


def targets(run: ConcurrencyResult) -> list[tuple[str, bool, str]]:
    """Each target of issue #16 for a run: what it asks, whether the run met it, the figure."""
    opens = run.open_seconds + run.browser_open_seconds
    changes = run.latencies + run.browser_latencies
    errors = len(run.errors) + len(run.server_errors)
    return [
        (
            f"change p95 ≤ {CHANGE_P95:g} s",
            percentile(changes, 95) <= CHANGE_P95,
            f"{percentile(changes, 95):.2f} s (websocket {percentile(run.latencies, 95):.2f} s, "
            f"Chromium {percentile(run.browser_latencies, 95):.2f} s)",
        ),
        (
            f"opening p95 ≤ {OPEN_P95:g} s",
            percentile(opens, 95) <= OPEN_P95,
            f"{percentile(opens, 95):.2f} s (websocket {percentile(run.open_seconds, 95):.2f} s, "
            f"Chromium {percentile(run.browser_open_seconds, 95):.2f} s)",
        ),
        ("0 errors", errors == 0, str(errors)),
        ("0 state shared between sessions", not run.leaks, str(len(run.leaks))),
    ]


def command_line(argv: Sequence[str]) -> str:
    """A server's command as a person types it: ``alliances serve ...``."""
    words = list(argv)
    if "alliances.cli" in words:
        words = ["alliances", *words[words.index("alliances.cli") + 1 :]]
    return " ".join(words)


def git_commit() -> str:
    """The measured code's commit, ``abc1234 (subject)``, and whether files differed from it."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("log", "-1", "--format=%h (%s)")
    if not head:
        return "unknown (not a git checkout)"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "src", "dashboards")
    return f"`{head}`" + (", with uncommitted changes to src/ or dashboards/" if changed else "")


def nginx_version() -> str:
    """``1.22.1``, or empty when nginx is not installed."""
    try:
        done = subprocess.run([nginx_path(), "-v"], capture_output=True, text=True, timeout=30)
    except (RuntimeError, OSError):
        return ""
    return done.stderr.strip().rpartition("/")[2]


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_line(values: Sequence[float], what: str = "changes") -> str:
    if not values:
        return "none measured"
    return (
        f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
        f"max {max(values):.2f} s ({len(values)} {what})"
    )


def listing(items: Sequence[str], most: int = 10) -> str:
    """The first ``most`` items as an indented block (Markdown code), each cut to 400 chars."""
    return "\n".join(f"    {item[:400]}" for item in items[:most])


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=False,  # Markdown: the text is the values' own, in code spans or tables
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        mb=mb,
        at=lambda values, q: f"{percentile(values, q):.2f} s",
        latency=latency_line,
        listing=listing,
    )
    env.globals.update(targets=targets)
    return env


def memory_figures(m: MemoryResult) -> dict[str, object]:
    """What the memory section lists beyond ``m``'s own numbers: per batch, grown types, and
    the probe's counts before and after."""
    before, after = m.probe_before, m.probe_after
    rows = [(k, before.get(k), after.get(k)) for k in PROBE_KEYS]
    rows += [
        (f"pn.state.{k}", v, after["pn_state"].get(k))
        for k, v in before.get("pn_state", {}).items()
    ]
    caches = before.get("per_dataset_entries", {})
    rows += [
        (f"query.{k} cache entries", caches.get(k, 0), n)
        for k, n in after.get("per_dataset_entries", {}).items()
    ]
    return {
        "rows": rows,
        "batches": ", ".join(f"{x / 1e6:.0f}" for x in m.after_batches),
        "objects": ", ".join(f"{x / 1e3:.0f}" for x in m.objects),
        "per_batch": ", ".join(f"{x / 1e6:.1f}" for x in m.held_per_session[1:]) or "none",
        "grown": ", ".join(f"`{name}` +{n:,}" for name, n in m.grown_types()) or "none",
        "first": m.after_batches[0] if m.after_batches else m.baseline,
    }


def render(
    *,
    when: dt.datetime,
    seconds: float,
    command: str,
    servers: dict[str, str],
    changes: int,
    think: float,
    synthetic: int,
    runs: list[ConcurrencyResult],
    memory: MemoryResult,
    built: BrowserSession | None,
    procs: ProcsResult | None,
    proxy: int = 0,
    capacity: Sequence[CapacityResult] = (),
    commit: str = "",
) -> str:
    """The generated part of docs/reliability.md. ``servers``: the ``alliances serve``
    commands of the ``sessions`` and ``memory`` runs; ``changes``, ``think``, ``synthetic``
    and ``proxy``: the options the runs used; ``capacity``: one process per dataset size;
    ``commit``: what was measured (default: the checkout's, see :func:`git_commit`)."""
    template = environment().get_template("reliability.md.j2")
    return template.render(
        when=when, seconds=seconds, command=command, servers=servers, changes=changes,
        think=think, synthetic=synthetic, runs=runs, memory=memory, built=built, procs=procs,
        held=memory_figures(memory), probe=PROBE, proxy=proxy, nginx=nginx_version(),
        capacity=capacity,
        commit=commit or git_commit(),
        machine=reporting.machine(PACKAGES, "at the end"),
    )  # fmt: skip


def write(path: Path, text: str) -> str:
    """Write the page, keeping its hand-written sections; returns what was written."""
    return reporting.write_report(path, text, HAND_WRITTEN)
