"""Markdown tables of what ``python -m benchmarks.serving`` measured: server CPU per kind of
change and stage, bytes per model and property, the costliest functions, and one column per
variant side by side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .serving_changes import KINDS, Measured, Variant
from .serving_session import OTHER, STAGES
from .stats import median, p95


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _kb(size: float) -> str:
    return f"{size / 1000:.1f}"


def tables(results: list[Measured]) -> str:
    """Markdown: CPU per kind of change and stage, and bytes per model and property."""
    kinds = [k for k in KINDS if any(m.kind == k for m in results)]
    groups = {k: [m for m in results if m.kind == k] for k in kinds}
    groups["all"] = results
    columns = [*STAGES, OTHER]
    head = (
        "| change | n | CPU median / p95 ms | "
        + " | ".join(columns)
        + " | process CPU median ms | sent median / max KB |"
    )
    lines = [
        "Server CPU per change, ms (median and p95 of the total; each stage's mean per change,"
        " which add up to the mean total):",
        "",
        head,
        "|---|---:|---:|" + "---:|" * len(columns) + "---:|---:|",
    ]
    for kind, group in groups.items():
        cpu = [m.cpu for m in group]
        means = [sum(m.stages.get(c, 0.0) for m in group) / len(group) for c in columns]
        sent = [m.sent for m in group]
        lines.append(
            f"| {kind} | {len(group)} | {_ms(median(cpu))} / {_ms(p95(cpu))} | "
            + " | ".join(_ms(v) for v in means)
            + f" | {_ms(median([m.process_cpu for m in group]))}"
            + f" | {_kb(median(sent))} / {_kb(max(sent))} |"
        )
    totals: dict[str, int] = defaultdict(int)
    for m in results:
        for key, size in m.parts.items():
            totals[key] += size
    framing = sum(m.sent for m in results) - sum(totals.values())
    lines += [
        "",
        "Bytes sent per change, by model and property (mean over all changes; the model is"
        " named by the dashboard's CSS class nearest to it):",
        "",
        "| model and property | KB per change | share |",
        "|---|---:|---:|",
    ]
    whole = sum(m.sent for m in results) or 1
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    for key, size in ranked[:15]:
        lines.append(f"| `{key}` | {_kb(size / len(results))} | {size / whole:.0%} |")
    rest = sum(size for _, size in ranked[15:])
    if rest:
        lines.append(
            f"| {len(ranked) - 15} others | {_kb(rest / len(results))} | {rest / whole:.0%} |"
        )
    lines.append(
        f"| message framing and JSON outside events | {_kb(framing / len(results))} | "
        f"{framing / whole:.0%} |"
    )
    return "\n".join(lines)


def top_functions(results: list[Measured], kinds: Sequence[str], count: int = 20) -> str:
    """Markdown: the functions that cost most CPU per change of these kinds (exclusive)."""
    chosen = [m for m in results if m.kind in kinds]
    totals: dict[str, float] = defaultdict(float)
    for m in chosen:
        for name, seconds in m.functions.items():
            totals[name] += seconds
    lines = [f"| stage: function ({', '.join(kinds)}) | ms per change |", "|---|---:|"]
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:count]:
        lines.append(f"| `{name}` | {seconds / max(1, len(chosen)) * 1000:.1f} |")
    return "\n".join(lines)


def summary(variants: list[Variant], results: list[list[Measured]]) -> str:
    """Markdown: median CPU and bytes per kind of change, one column per variant."""
    kinds = [*KINDS, "all"]
    head = "| change | " + " | ".join(f"{v.label}: CPU ms / sent KB" for v in variants) + " |"
    lines = [head, "|---|" + "---:|" * len(variants)]
    for kind in kinds:
        cells = []
        for group in results:
            chosen = [m for m in group if kind in ("all", m.kind)]
            cpu = median([m.cpu for m in chosen])
            cells.append(f"{_ms(cpu)} / {_kb(median([m.sent for m in chosen]))}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
