"""The vectorised driver: R runs advanced in lockstep on one state laid out (run, mission, ally).

It holds the state and a recorder; every month is :func:`sim.core.schedule.advance`, the same
schedule the Mesa model runs with R = 1. Run ``k`` of an ensemble therefore equals
:class:`sim.drivers.mesa.CoalitionModel` with the same seed and run number, bit for bit, and is
the same alone or in an ensemble of any size (counter-based random numbers, :mod:`sim.core.rng`).

Example::

    from sim.config import compose
    from sim.drivers.ensemble import Ensemble
    ens = Ensemble(compose(["scenario=baseline"]), seeds=1, runs=range(1000))
    result = ens.run()
    result.summary  # one row per run
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from sim.config import RunConfig
from sim.core.recording import Recorder, Results
from sim.core.schedule import MonthReport, advance
from sim.core.setup import init_state, make_setup

__all__ = ["Ensemble"]


class Ensemble:
    """R runs of one scenario advanced together.

    Args:
        cfg: a validated :class:`~sim.config.RunConfig` (``cfg.seed``/``cfg.run`` are ignored in
            favour of ``seeds``/``runs``).
        seeds: root seed(s), an int or one per run.
        runs: replicate numbers, one per run (default ``range(R)`` where R is the length of
            ``seeds``, or 1).
        varied: per-run parameter values, ``{"trust.asymmetry": [...], "policy.building": [...],
            "missions.<mission>.<field>": [...]}`` (names: :mod:`sim.config.params`).
        policies: per-run policy names (default: ``cfg.policy`` for every run).
        record_allies: keep per-ally trajectories (memory: T x R x N per variable).
        record_memberships: keep per (mission, ally) trajectories (memory: T x R x M x N per
            variable) for ``membership_frame()`` and ``spell_frame()``.
        light: record only what the per-run summaries need (trust quantiles and the Gini
            coefficient become NaN): for sweeps that keep summaries only.
    """

    def __init__(self, cfg: RunConfig, seeds=None, runs=None, *,
                 varied: Mapping[str, Sequence[float]] | None = None,
                 policies: Sequence[str] | None = None, record_allies: bool = False,
                 light: bool = False, record_memberships: bool = False):
        self.cfg = cfg
        self.setup = make_setup(cfg, seeds, runs, varied=varied, policies=policies)
        self.state = init_state(cfg, self.setup)
        self.world = self.setup.world
        self.recorder = Recorder(self.world.horizon, self.state.shape,
                                 allies=record_allies, light=light,
                                 memberships=record_memberships)
        self.recorder.record(self.state, enabler_value=self._enabler_value)

    @property
    def _enabler_value(self):
        return self.setup.params.operations.enabler_troop_value

    @property
    def n_runs(self) -> int:
        return self.setup.n_runs

    @property
    def t(self) -> int:
        """Months simulated so far."""
        return self.state.step

    def step(self) -> MonthReport:
        """Advance every run by one month and record it."""
        report = advance(self.state, self.setup, self.world.events_at(self.state.step + 1))
        self.recorder.record(self.state, enabler_value=self._enabler_value,
                             exits=report.decisions.exits, joins=report.decisions.joins,
                             attacks=report.attacks.count,
                             voluntary=report.decisions.voluntary,
                             rejoined=report.decisions.rejoined,
                             cause=report.decisions.cause)
        return report

    def run(self, progress: Callable[[int, int], None] | None = None) -> Results:
        """Run to the horizon and return the result."""
        while self.state.step < self.world.horizon:
            self.step()
            if progress is not None:
                progress(self.state.step, self.world.horizon)
        return self.result()

    def result(self) -> Results:
        """What has been recorded so far."""
        s = self.setup
        return self.recorder.results(self.world, s.seed[:, 0, 0], s.run[:, 0, 0], s.policy_names)
