"""Run once by ``panel serve --setup`` (``alliances serve`` passes it) before the first session.

Imports the dashboard's modules and loads the dataset with what every session shares (the
network layout, hover texts, the default selection), so the first analyst does not wait for
them. No session is built here: nothing stays alive that a session would own.
"""

from alliances.app import warm_up

warm_up()
