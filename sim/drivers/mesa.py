"""The agent-by-agent face: :class:`CoalitionModel`, a real ``mesa.Model``.

The model holds one run's state (R = 1, :mod:`sim.core.state`) and advances it with the one
schedule (:func:`sim.core.schedule.advance`); its ``LeadNation``, ``Ally`` and ``Mission`` agents in
``model.agents`` are views of that state (:mod:`sim.drivers.agents`). Scenario events are scheduled
with Mesa's own event list, half a step before the month they belong to; a ``DataCollector``
records model values and per-ally values; ``mesa.batch_run(CoalitionModel, ...)`` and SolaraViz
work. It gives the same numbers, bit for bit, as run ``k`` of
:class:`sim.drivers.ensemble.Ensemble` with the same ``seed`` and ``run``.

Example::

    from sim.drivers.mesa import CoalitionModel
    model = CoalitionModel(scenario="baseline", policy="impulsive", rng=1)
    model.run_for(24)
    model.datacollector.get_model_vars_dataframe()
    model.datacollector.get_agent_vars_dataframe()      # ally_trust, ally_capacity, ... per ally
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Sequence

import mesa
import numpy as np
from mesa.datacollection import DataCollector
from mesa.time import Priority

from sim.config import ConfigError, EventSpec, RunConfig, compose
from sim.core.events import Event, apply_event
from sim.core.recording import STEP_COLUMNS, Recorder, Results
from sim.core.schedule import MonthReport, advance
from sim.core.setup import init_state, make_setup
from sim.core.world import compile_event
from sim.drivers.agents import Ally, LeadNation, Mission

__all__ = ["CoalitionModel", "ALLY_REPORTERS"]

# Mesa logs "Step N at time T" at INFO on every step: keep it out of run logs.
logging.getLogger("MESA").setLevel(logging.WARNING)

# Per-ally values the DataCollector records for every ally at every step.
ALLY_REPORTERS = ("trust", "trust_leader", "trust_country", "honesty", "grievance", "capacity")


class _ScheduledEvent:
    """A scenario event as a Mesa event callback (kept alive by the model: Mesa holds weak refs)."""

    def __init__(self, model: "CoalitionModel", event: Event):
        self.model = model
        self.event = event

    def fire(self) -> None:
        apply_event(self.model.state, self.event, self.event.step)
        self.model.fired.append(self.event)


def _ally_reporter(agent, key):
    return getattr(agent, key) if isinstance(agent, Ally) else None


def _model_reporter(model, key):
    return float(model.recorder.last[key][0])


class CoalitionModel(mesa.Model):
    """The coalition credibility model, agent by agent.

    Args:
        scenario: a shipped scenario's name (``configs/scenario/``) or a scenario file's path.
        policy: the lead's policy (``configs/policy/``).
        rng: the root seed (an int >= 0; Mesa's ``rng`` argument, so ``batch_run(rng=[...])``
            works). With ``config`` given and ``rng`` None, ``config.seed`` is used.
        run: the replicate number under that seed.
        overrides: further Hydra overrides, e.g. ``["trust.asymmetry=4"]``.
        config: a ready :class:`~sim.config.RunConfig` (then ``scenario``, ``policy`` and
            ``overrides`` are ignored).
        collect_allies: record per-ally values in the DataCollector each step.
        record_memberships: keep per (mission, ally) trajectories for ``results()``'s
            ``membership_frame()`` and ``spell_frame()``.
    """

    def __init__(self, scenario: str = "baseline", policy: str = "load_shifting_first",
                 rng: int | None = None, run: int | None = None, overrides: Sequence[str] = (),
                 config: RunConfig | None = None, collect_allies: bool = True,
                 record_memberships: bool = False):
        if config is None:
            extra = [] if rng is None else [f"seed={int(rng)}"]
            extra += [] if run is None else [f"run={int(run)}"]
            config = compose([f"scenario={scenario}", f"policy={policy}", *overrides, *extra])
        seed = config.seed if rng is None else rng
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f"rng={seed!r}: CoalitionModel needs an integer seed >= 0 "
                              "(counter-based random numbers are keyed by it)")
        super().__init__(rng=int(seed))
        self.config = config
        self.seed = int(seed)
        self.run = int(config.run if run is None else run)
        self.setup = make_setup(config, seeds=[self.seed], runs=[self.run])
        self.world = self.setup.world
        self.state = init_state(config, self.setup)
        self.lead = LeadNation(self)
        self.missions = [Mission(self, j) for j in range(self.world.n_missions)]
        self.allies = [Ally(self, i, name) for i, name in enumerate(self.world.ally_names)]
        self.fired: list[Event] = []
        self.last_month: MonthReport | None = None
        self._callbacks: list[_ScheduledEvent] = []
        for ev in self.world.events:
            self._schedule(ev)
        self.recorder = Recorder(self.world.horizon, self.state.shape, allies=True,
                                 memberships=record_memberships)
        reporters = ALLY_REPORTERS if collect_allies else ()
        self.datacollector = DataCollector(
            model_reporters={k: partial(_model_reporter, key=k) for k in STEP_COLUMNS
                             if k != "policy_index"} | {"policy": lambda m: m.lead.policy_name},
            agent_reporters={f"ally_{k}": partial(_ally_reporter, key=k) for k in reporters}
            or None,
        )
        self._record()

    # ------------------------------------------------------------------------- events
    def _schedule(self, ev: Event) -> None:
        cb = _ScheduledEvent(self, ev)
        self._callbacks.append(cb)
        self.schedule_event(cb.fire, at=ev.step - 0.5, priority=Priority.HIGH)

    def add_event(self, kind: str, mission: str | None = None, ally: str | None = None,
                  **fields) -> Event:
        """Schedule an event for the next month, validated like a scenario event.

        ``kind`` is an event kind of :data:`sim.core.events.EVENT_KINDS`; ``mission`` and
        ``ally`` are names; other fields as in a scenario event (``fraction``, ``consulted``,
        ``level``, ``horizon``, ``size``, ``policy``, ...). Returns the compiled event.
        """
        step = self.state.step + 1
        if step > self.world.horizon:
            raise ConfigError(f"the run has reached its horizon ({self.world.horizon}); "
                              "no month left to add an event to")
        spec = EventSpec(kind=kind, step=step, mission=mission, ally=ally, **fields)
        ev = compile_event(spec, step, missions=self.world.mission_names,
                           allies=self.world.ally_names, policy_index=self.setup.add_policy,
                           label="added", check=True)
        self._schedule(ev)
        return ev

    # ------------------------------------------------------------------------- the step
    def step(self) -> None:
        """One month: :func:`sim.core.schedule.advance` runs the phases of MODEL.md on this
        model's state (apply_events, lead_acts, observe, update_trust, consult, decide,
        resolve_missions, update_capacity; the month's scenario events have already fired from
        Mesa's event list); then the month is recorded."""
        self.last_month = advance(self.state, self.setup)
        self._record(self.last_month)
        if self.state.step >= self.world.horizon:
            self.running = False

    def _record(self, report: MonthReport | None = None) -> None:
        enabler_value = self.setup.params.operations.enabler_troop_value
        if report is None:
            self.recorder.record(self.state, enabler_value=enabler_value)
        else:
            self.recorder.record(self.state, enabler_value=enabler_value,
                                 exits=report.decisions.exits, joins=report.decisions.joins,
                                 attacks=report.attacks.count,
                                 voluntary=report.decisions.voluntary,
                                 rejoined=report.decisions.rejoined,
                                 cause=report.decisions.cause)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------------- results
    def run_to_end(self) -> "CoalitionModel":
        """Step until the scenario's horizon."""
        while self.running and self.state.step < self.world.horizon:
            self.step()
        return self

    def results(self) -> Results:
        """What has been recorded so far, as tables (the same type the ensemble returns)."""
        return self.recorder.results(self.world, [self.seed], [self.run], self.setup.policy_names)

    def history(self) -> dict[str, dict[str, np.ndarray]]:
        """Recorded values as arrays shaped like the ensemble's (step, run=1, ...)."""
        return self.recorder.trajectories()

    def summary(self) -> dict[str, float]:
        """The per-run summaries (same definitions as the ensemble's)."""
        return {k: np.asarray(v)[0].item() for k, v in self.results().summary_arrays.items()}
