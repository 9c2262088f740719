"""The benchmark suite: ``python -m benchmarks`` (see docs/performance.md).

``synthetic`` writes valid datasets of any size, ``baseline`` is the notebook the dashboard is
compared with, ``measure`` times things, ``report`` writes the page.
"""
