"""The solara app served by ``python -m sim.app``: the explorer (``/``) and the sweep page
(``/sweep``)."""

import solara

from sim.app.explorer import ExplorerPage
from sim.app.sweep import SweepPage

routes = [
    solara.Route(path="/", component=ExplorerPage, label="Explorer"),
    solara.Route(path="sweep", component=SweepPage, label="Sweep"),
]
