"""Interactive pages for the coalition model, on Mesa's own visualisation (``SolaraViz``).

* the **explorer** (``/``): one run, stepped, played and reset from the browser, with events
  injected by hand (:mod:`sim.app.explorer`);
* the **sweep** dashboard (``/sweep``): a collected sweep's outcomes per policy, the paired
  differences with their intervals, the outcome against a swept parameter, and any single run
  opened in the explorer with its exact configuration and seed (:mod:`sim.app.sweep`).

Serve both with one command::

    .venv/bin/python -m sim.app                 # http://127.0.0.1:8765
    .venv/bin/python -m sim.app --port 9000 --sweep-dir sweeps/smoke

The pages only lay out and plot what the package's public API returns (``CoalitionModel``,
``sim.collect``, ``sim.analysis``, ``sim.analysis.outcomes``); they hold no model or analysis logic.
Importing this package does not import solara: the pages live in :mod:`sim.app.pages`.
"""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SWEEP_DIR_ENV = "COALITION_SWEEP_DIR"

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "SWEEP_DIR_ENV"]
