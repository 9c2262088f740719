"""The alliance dashboard.

panel serve dashboards/alliances_app.py                      # the bundled dataset
panel serve dashboards/alliances_app.py --args --data FOLDER  # your own
alliances serve [--data FOLDER]                               # the same, with defaults
"""

from alliances.app import create_app, data_from_argv
from alliances.views.compat import local_stylesheets

create_app(data_from_argv()).servable()
local_stylesheets()
