"""How reliably one ``alliances serve`` holds many sessions: concurrency, memory, ``--num-procs``.

``python -m reliability`` runs every experiment against real ``alliances serve`` processes
on free loopback ports and rewrites docs/reliability.md; ``tests/test_reliability.py`` runs
the same functions with smaller counts. The modules, in the order they build on each other:

- ``probe``: a debug route the served app loads (``--plugins=reliability.probe``) that counts
  what one server process holds after ``gc.collect()``.
- ``servers``: the server processes (started and stopped by PID), their RSS, CPU and probe.
- ``oracle``: what a session must show for its filters (``alliances.select`` on this side),
  and each session's deep link and filter changes.
- ``client``: one session over Bokeh's websocket protocol, as a browser tab holds it.
- ``pages``: a Chromium page that changes filters by clicking, through
  :mod:`alliances.testing.pages`.
- ``nginx``: the shipped ``deploy/nginx.conf`` filled in and run on free loopback ports.
- ``deploy``: the shipped unit's ``alliances serve`` options, and servers started with them
  behind that nginx (``--proxy N``).
- ``concurrency``, ``memory``, ``procs``: the three experiments.
- ``report`` and ``templates/reliability.md.j2``: the page.

This module imports nothing: the served app imports ``reliability.probe`` through it.
"""

OPEN_TIMEOUT = 300.0
"""How long opening a session or a page may take (a saturated 2-core machine is slow)."""
CHANGE_TIMEOUT = 300.0
"""How long a session may wait for one change to show."""
