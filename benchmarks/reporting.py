"""What every generated report shares: the machine it was measured on, and its hand-written part.

``python -m benchmarks`` (docs/performance.md) and ``python -m reliability``
(docs/reliability.md) both describe the machine with :func:`machine` and rewrite their page
with :func:`write_report`, which keeps the sections people wrote below the generated part.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it (else what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gb() -> float:
    """Total memory in GiB (``nan`` where /proc/meminfo is missing)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def versions(packages: Sequence[str]) -> str:
    """``"panel 1.9.0, bokeh 3.9.0"``: the installed version of each package."""

    def one(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    return ", ".join(f"{p} {one(p)}" for p in packages)


PROBE_LOOPS = 1_000_000


def cpu_probe_ms(runs: int = 5) -> float:
    """Milliseconds a fixed piece of pure Python takes (a loop of :data:`PROBE_LOOPS`
    additions), median of ``runs``: how fast the shared machine is right now. The same code
    measured an hour apart can differ by a factor of two; a column's figures scale with its
    probe, so runs made at different speeds can be compared."""
    import statistics
    import time

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        total = 0
        for i in range(PROBE_LOOPS):
            total += i
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def machine(packages: Sequence[str], when: str) -> dict[str, str]:
    """The machine, as a report lists it: CPU, cores, RAM, Python, ``packages``' versions and
    the load average, measured ``when`` ("at start", "at the end": other jobs share it)."""
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": f"{ram_gb():.1f} GB",
        "Python": platform.python_version(),
        "packages": versions(packages),
        f"load average {when}": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"CPU probe {when}": f"{cpu_probe_ms():.0f} ms (a loop of {PROBE_LOOPS:,} additions)",
    }


def write_report(path: Path, text: str, hand_written: Sequence[str]) -> str:
    """Write ``text`` to ``path``, keeping the page's hand-written part: everything from the
    first of the ``hand_written`` headings (``"\\n## Notes"``) that the page already holds.
    Returns what was written."""
    previous = path.read_text(encoding="utf-8") if path.is_file() else ""
    starts = [previous.index(heading) for heading in hand_written if heading in previous]
    if starts:
        text = text.rstrip("\n") + "\n" + previous[min(starts) :]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text
