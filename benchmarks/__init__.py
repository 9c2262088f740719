"""The benchmark suite: ``python -m benchmarks`` (see docs/performance.md).

``synthetic`` writes valid datasets of any size from what ``pools`` holds; ``baseline`` is the
notebook the dashboard is compared with. ``measure`` (loads, briefings, profiles), ``changes``
(filter changes and their bytes) and ``cold`` (a cold start in Chromium) time things, into
``stats`` series; ``targets`` judges the results and ``report`` writes the page, with the
machine description and the hand-written sections of ``reporting`` (which the reliability
tool shares).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The checkout: the benchmarks run from it, on its dashboards/ and docs/."""
