"""The agent-by-agent driver: :class:`CoalitionModel`, a real ``mesa.Model``.

Allies, the lead nation and missions are ``mesa.Agent`` objects in ``model.agents``; ``step()`` reads as
the schedule of MODEL.md; scenario events are scheduled with Mesa's own event scheduling; a
``DataCollector`` records; ``mesa.batch_run(CoalitionModel, ...)`` works. It gives the same numbers,
bit for bit, as run ``k`` of :class:`sim.ensemble.Ensemble` with the same ``seed`` and ``run``.

Example::

    from sim.model import CoalitionModel
    model = CoalitionModel(scenario="baseline", policy="impulsive", rng=1)
    model.run_for(24)
    model.datacollector.get_model_vars_dataframe()
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Sequence

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector
from mesa.time import Priority

from sim.agents import Ally, LeadNation, Mission
from sim.config import ConfigError, RunConfig, compose
from sim.ensemble import new_flags, parameter_namespaces
from sim.outputs import ALLY_COLUMNS, MISSION_COLUMNS, STEP_COLUMNS, record_step, summarise
from sim.rules.aggregate import neighbour_share, sum_allies
from sim.world import build_world, init_allies

__all__ = ["CoalitionModel"]

# Mesa logs "Step N at time T" at INFO on every step: keep it out of run logs.
logging.getLogger("MESA").setLevel(logging.WARNING)


class _ScenarioEvent:
    """A scenario event as a Mesa event callback (kept alive by the model: Mesa holds weak refs)."""

    def __init__(self, model: "CoalitionModel", event):
        self.model = model
        self.event = event

    def fire(self) -> None:
        self.model.apply_event(self.event)


class CoalitionModel(mesa.Model):
    """The coalition credibility model, agent by agent.

    Args:
        scenario: a shipped scenario's name (``configs/scenario/``).
        policy: the lead's policy (``configs/policy/``).
        rng: the root seed (an int >= 0; Mesa's ``rng`` argument, so ``batch_run(rng=[...])``
            works). With ``config`` given and ``rng`` None, ``config.seed`` is used.
        run: the replicate number under that seed.
        overrides: further Hydra overrides, e.g. ``["trust.asymmetry=4"]``.
        config: a ready :class:`~sim.config.RunConfig` (then ``scenario``, ``policy`` and
            ``overrides`` are ignored).
        collect_allies: record per-ally values in the DataCollector each step.
    """

    def __init__(self, scenario: str = "baseline", policy: str = "load_shifting_first",
                 rng: int | None = None, run: int | None = None, overrides: Sequence[str] = (),
                 config: RunConfig | None = None, collect_allies: bool = True):
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
        self.world = world = build_world(config)
        self.params = parameter_namespaces(config)
        self.policy_names = world.policy_names
        self.policy_table = world.policy_table
        self.initial_policy_index = 0
        nxt = np.arange(len(world.policy_names), dtype=np.int64)
        cycle = list(world.admin_cycle)
        for i in range(len(nxt)):
            if cycle:
                nxt[i] = cycle[(cycle.index(i) + 1) % len(cycle)] if i in cycle else cycle[0]
        self.next_policy = nxt

        attrs = init_allies(config, world, self.seed, self.run)
        self.lead = LeadNation(self, world)
        self.missions = [Mission(self, j, world) for j in range(world.n_missions)]
        self.allies = [Ally(self, i, name, attrs) for i, name in enumerate(world.ally_names)]
        self._m = lambda attr: np.array([getattr(x, attr) for x in self.missions],
                                        dtype=np.float64).reshape(-1, 1)
        self.steps_done = 0
        self._assess_missions()

        # scenario events: Mesa's own event scheduling, half a step before the step they belong to,
        # so they fire in phase 1 of that step, in the order listed
        self._event_callbacks = []
        for ev in world.events:
            cb = _ScenarioEvent(self, ev)
            self._event_callbacks.append(cb)
            self.schedule_event(cb.fire, at=ev.step - 0.5, priority=Priority.HIGH)
        self._flags = self._new_flags()
        self.event_log: list[dict] = []
        self.feed: list[dict] = []

        self._exits = np.zeros((world.n_missions, world.n_allies), dtype=bool)
        self._joins = np.zeros_like(self._exits)
        self._attacks = 0.0
        self._history_steps = {k: [] for k in STEP_COLUMNS}
        self._history_missions = {k: [] for k in MISSION_COLUMNS}
        self._history_allies = {k: [] for k in ALLY_COLUMNS}
        self.datacollector = DataCollector(
            model_reporters={k: partial(_report, key=k) for k in STEP_COLUMNS
                             if k != "policy_index"} | {"policy": lambda m: m.lead.policy_name},
            agenttype_reporters=({Ally: {f"ally_{k}": partial(Ally.value, key=k) for k in
                                         ("trust", "trust_leader", "trust_country", "honesty",
                                          "grievance", "capacity")}}
                                 if collect_allies else None),
        )
        self.record()

    # -------------------------------------------------------------------- views
    def _new_flags(self):
        f = new_flags((1, self.world.n_missions, self.world.n_allies))
        f = {k: (v[0] if isinstance(v, np.ndarray) else v) for k, v in f.items()}
        f["admin_policy"] = -1
        return f

    def gather(self, attr: str) -> np.ndarray:
        """An ally attribute for all allies, ally-ordered along the last axis."""
        return np.concatenate([getattr(a, attr) for a in self.allies], axis=-1)

    @property
    def step_number(self) -> int:
        return self.steps_done

    # -------------------------------------------------------------------- events
    def apply_event(self, ev) -> None:
        """Apply one scenario event (called by Mesa's event list, or by hand from the explorer)."""
        f, lead, j, i = self._flags, self.lead, ev.mission, ev.ally
        k = ev.kind
        step = self.steps_done + 1
        if k == "withdrawal":
            lead.withdraw(j, ev.fraction, ev.enablers, ev.troops)
            f["unconsulted"][j, 0] |= not ev.consulted
            f["no_notice"][j, 0] |= not ev.notice
        elif k == "deployment":
            lead.deploy(j, ev.fraction, ev.enablers, ev.troops)
        elif k == "reversal":
            lead.reverse(j)
            f["reversed"][j, 0] = True
        elif k == "abandon_partner":
            lead.abandon(j)
            f["abandoned"][j, 0] = 1.0
            f["unconsulted"][j, 0] = True
            f["no_notice"][j, 0] = True
        elif k == "announcement":
            lead.pledge(j, ev.level, step + ev.horizon - 1)
            f["pledged"][j, 0] += ev.level
        elif k == "mandate_expiry":
            mission = self.missions[j]
            f["ended"][j, 0] |= mission.active
            mission.active = False
        elif k == "mission_start":
            self.missions[j].active = True
        elif k == "domestic_shock":
            f["shock"] += ev.size
        elif k == "attack":
            f["attack"][j, i] = True
        elif k == "election":
            if i >= 0:
                f["election"][0, i] = True
            else:
                f["lead_election"] = True
        elif k == "administration":
            f["admin_policy"] = ev.policy
        else:
            raise ConfigError(f"unknown event kind {k!r}")
        self.event_log.append({"step": step, "kind": k, "source": "scenario",
                               "mission": self.world.mission_names[j] if j >= 0 else None,
                               "ally": self.world.ally_names[i] if i >= 0 else None})

    # -------------------------------------------------------------------- the step
    def step(self) -> None:
        """One month: the nine phases of MODEL.md, in order."""
        t = self.steps_done + 1
        self.apply_events(t)
        self.lead_acts(t)
        self.observe_and_update_trust(t)
        self.consult()
        self.decide(t)
        self.resolve_missions(t)
        self.update_capacity()
        self.steps_done = t
        self.record()
        self._flags = self._new_flags()
        if t >= self.world.horizon:
            self.running = False

    def apply_events(self, t: int) -> None:
        """Phase 1: scheduled events have fired (Mesa's event list); mandates expire; a new
        administration may take office."""
        for mission in self.missions:
            if mission.mandate_end == t and mission.active:
                self._flags["ended"][mission.index, 0] = True
                mission.active = False
        self.lead.administration(t, self._flags)

    def _active(self) -> np.ndarray:
        return np.array([m.active for m in self.missions]).reshape(-1, 1)

    def lead_acts(self, t: int) -> None:
        """Phase 2: the lead's policy sets deployments, enablers, pledges and consultation."""
        member_f = np.where(self.gather("member"), 1.0, 0.0)
        self._member_f = member_f
        self._n_members = sum_allies(member_f)
        mean_cap = sum_allies(member_f * self.gather("capacity")) / np.maximum(self._n_members, 1.0)
        receiver = 0.5 * self._m("partner_capacity") + 0.5 * mean_cap
        self.lead.act(t, receiver, self._active(), self._flags)

    def _neighbour_share(self):
        return neighbour_share(self._member_f > 0.0, self.world.neighbours, self.world.degree)

    def observe_and_update_trust(self, t: int) -> None:
        """Phases 3-4: each ally turns what it saw into evidence and updates its trust."""
        self._nshare = nshare = self._neighbour_share()
        active = self._active()
        for a in self.allies:
            a.observe_and_update(self.lead.seen, self.lead.consulted[:, a.index:a.index + 1],
                                 nshare[:, a.index:a.index + 1], active, self._flags["shock"])

    def consult(self) -> None:
        """Phase 5: consulted allies' threat perceptions converge."""
        consulted = self.gather("consulted")
        mean = ((self._m("threat") + sum_allies(consulted * self.gather("perception")))
                / (1.0 + sum_allies(consulted)))
        for a in self.allies:
            a.consult(mean)

    def decide(self, t: int) -> None:
        """Phase 6: every ally decides on the same (previous) state, then all commit."""
        member = self.gather("member")
        was = self.gather("was_member")
        weight = self.gather("weight")
        view = {
            "lead": self.lead,
            "effectiveness": self._m("effectiveness"),
            "eff_without_lead": self._m("eff_without_lead"),
            "risk": self._m("risk"),
            "is_core": self.world.is_core.reshape(-1, 1),
            "active": self._active(),
            "effort_sum": sum_allies(self._member_f * self.gather("effort")),
            "n_members": self._n_members,
            "left_weight": sum_allies(weight * np.where(was & ~member, 1.0, 0.0)),
            "peak_weight": sum_allies(weight * np.where(was, 1.0, 0.0)),
            "neighbour_share": self._nshare,
        }
        forced = self._flags["election"]
        for a in self.allies:
            a.decide(t, view, forced[:, a.index:a.index + 1])
        for a in self.allies:
            a.commit()
        self._exits = self.gather("exits")
        self._joins = self.gather("joins")

    def _assess_missions(self) -> None:
        contribution = self.gather("contribution")
        capacity = self.gather("capacity")
        member_f = np.where(self.gather("member"), 1.0, 0.0)
        troops = sum_allies(contribution)
        capable = sum_allies(capacity * contribution)
        coverage = sum_allies(self.gather("weight") * member_f)
        for mission in self.missions:
            j = mission.index
            mission.assess(self.lead, troops[j, 0], capable[j, 0], coverage[j, 0])

    def resolve_missions(self, t: int) -> None:
        """Phase 7: effectiveness, threat, the local partner, and attacks on allies."""
        self._assess_missions()
        for mission in self.missions:
            mission.evolve(self.lead)
        threat = self._m("threat")
        threat0 = self._m("threat0")
        active = self._active()
        for a in self.allies:
            a.suffer_attacks(t, threat, threat0, active,
                             self._flags["attack"][:, a.index:a.index + 1])
        self._attacks = float(np.sum(self.gather("attacked")))

    def update_capacity(self) -> None:
        """Phase 8: allies' capacity and grievance."""
        is_core = self.world.is_core.reshape(-1, 1)
        for a in self.allies:
            a.grow(self.lead.building, self.lead.demand, is_core)

    # -------------------------------------------------------------------- record
    def state_arrays(self) -> dict[str, np.ndarray]:
        """The whole state as arrays shaped like one run of the ensemble ((1, M, N) etc.)."""
        s = {}
        for key in ("trust", "trust_leader", "trust_country", "honesty", "damage", "grievance",
                    "capacity", "stress", "r_leader", "s_leader", "r_country", "s_country",
                    "r_honesty", "s_honesty", "force", "weight"):
            s[key] = self.gather(key)[None]
        for key in ("member", "effort", "was_member", "contribution", "perception"):
            s[key] = self.gather(key)[None]
        for key in ("troops", "enablers", "level", "cut_troops", "cut_enablers", "pledge_level",
                    "pledge_until", "started", "pending", "impulse_out"):
            s[key] = getattr(self.lead, key)[None]
        for key in ("threat", "partner_capacity", "partner_dependence", "effectiveness",
                    "eff_without_lead", "ally_enablers"):
            s[key] = self._m(key)[None]
        s["active"] = self._active()[None]
        return s

    def _feed_step(self) -> None:
        """Add this month's happenings to :attr:`feed` (for people watching the model run)."""
        t = self.steps_done
        names, allies = self.world.mission_names, self.world.ally_names
        items = [dict(e) for e in self.event_log if e["step"] == t]
        if self.lead.admin_start == t and t > 0:
            items.append({"step": t, "kind": "administration", "mission": None, "ally": None,
                          "source": "lead", "detail": f"new administration: {self.lead.policy_name}"})
        moves = getattr(self.lead, "moves", {})
        labels = {"announced_withdrawal": "announces a withdrawal", "carried_out": "withdraws",
                  "reversed": "reverses", "pledged": "announces a pledge",
                  "pledge_broken": "breaks a pledge"}
        for key, label in labels.items():
            for j in np.flatnonzero(np.asarray(moves.get(key, np.zeros((0,)))).reshape(-1)):
                items.append({"step": t, "kind": key, "mission": names[j], "ally": None,
                              "source": "lead", "detail": f"lead {label} ({names[j]})"})
        for kind, arr in (("exit", self._exits), ("join", self._joins)):
            for j, i in zip(*np.nonzero(arr)):
                items.append({"step": t, "kind": kind, "mission": names[j], "ally": allies[i],
                              "source": "ally", "detail": f"{allies[i]} {'leaves' if kind == 'exit' else 'joins'} {names[j]}"})
        for a in self.allies:
            if t > 0 and bool(np.remainder(t - a.election_phase[0, 0], a.election_period[0, 0]) == 0):
                items.append({"step": t, "kind": "election", "mission": None, "ally": a.name,
                              "source": "ally", "detail": f"election in {a.name}"})
        for item in items:
            item.setdefault("detail", f"{item['kind']}"
                            + (f" ({item['mission']})" if item.get("mission") else "")
                            + (f" [{item['ally']}]" if item.get("ally") else ""))
        self.feed.extend(items)

    def inject(self, kind: str, mission: str | None = None, ally: str | None = None,
               **fields) -> None:
        """Inject an event by hand, to take effect in the next step (e.g. from the explorer).

        ``kind`` is an event kind (``withdrawal``, ``announcement``, ``reversal``,
        ``abandon_partner``, ``domestic_shock``, ``attack``, ``election``, ``administration``,
        ``mandate_expiry``); ``mission``/``ally`` are names; other fields as in a scenario event
        (``fraction``, ``consulted``, ``notice``, ``level``, ``horizon``, ``size``, ``policy``).
        Validated like a scenario event.
        """
        import dataclasses as _dc

        from sim.config import EventSpec, validate_scenario
        from sim.world import Event

        step = self.steps_done + 1
        if step > self.world.horizon:
            raise ConfigError(f"the run has reached its horizon ({self.world.horizon}); "
                              "nothing to inject into")
        spec = EventSpec(kind=kind, step=step, mission=mission, ally=ally, **fields)
        scen = _dc.replace(self.config.scenario, events=[spec], start=None)
        validate_scenario(scen)
        policy = -1
        if spec.policy is not None:
            if spec.policy not in self.policy_names:
                from sim.config import load_policy
                from sim.world import _policy_vector
                self.policy_names = (*self.policy_names, spec.policy)
                self.policy_table = np.vstack([self.policy_table,
                                               _policy_vector(load_policy(spec.policy))])
                self.next_policy = np.append(self.next_policy, len(self.next_policy))
            policy = self.policy_names.index(spec.policy)
        names = list(self.world.mission_names)
        allies = list(self.world.ally_names)
        ev = Event(step=step, kind=kind, mission=names.index(mission) if mission else -1,
                   ally=allies.index(ally) if ally else -1, fraction=float(spec.fraction),
                   level=float(spec.level or 0.0), horizon=int(spec.horizon or 0),
                   consulted=bool(spec.consulted), notice=bool(spec.notice),
                   enablers=bool(spec.enablers), troops=bool(spec.troops), size=float(spec.size),
                   policy=policy,
                   label="injected")
        self.apply_event(ev)
        self.event_log[-1]["source"] = "injected"

    @property
    def queued_events(self) -> list[dict]:
        """Events injected by hand that take effect in the next step."""
        return [e for e in self.event_log
                if e.get("source") == "injected" and e["step"] == self.steps_done + 1]

    def record(self) -> None:
        """Phase 9: record this step (our tidy history and Mesa's DataCollector)."""
        self._feed_step()
        step_v, mission_v, ally_v = record_step(
            self.state_arrays(), self.world.is_core, self._exits[None], self._joins[None],
            np.array([self.lead.reversals]), np.array([self._attacks]),
            np.array([self.lead.policy_index]), self.params["operations"].enabler_troop_value,
            self.world.required_force.reshape(1, -1, 1))
        self._last = step_v
        for k, v in step_v.items():
            self._history_steps[k].append(v)
        for k, v in mission_v.items():
            self._history_missions[k].append(v)
        for k, v in ally_v.items():
            self._history_allies[k].append(v)
        self.datacollector.collect(self)

    # -------------------------------------------------------------------- results
    def history(self) -> dict[str, dict[str, np.ndarray]]:
        """Recorded values as arrays shaped like the ensemble's (step, run=1, ...)."""
        return {
            "steps": {k: np.stack(v) for k, v in self._history_steps.items()},
            "missions": {k: np.stack(v) for k, v in self._history_missions.items()},
            "allies": {k: np.stack(v) for k, v in self._history_allies.items()},
        }

    def summary(self) -> dict[str, float]:
        """The per-run summaries (same definitions as the ensemble's)."""
        h = self.history()
        out = summarise(h["steps"], h["missions"], self.world.is_core)
        return {k: v[0].item() for k, v in out.items()}

    def run_to_end(self) -> "CoalitionModel":
        """Step until the scenario's horizon."""
        while self.running and self.steps_done < self.world.horizon:
            self.step()
        return self

    def event_frame(self) -> pd.DataFrame:
        """Scenario events that fired so far."""
        return pd.DataFrame(self.event_log, columns=["step", "kind", "mission", "ally"])


def _report(model, key):
    """A DataCollector model reporter: this step's recorded value of ``key``."""
    return float(model._last[key][0])
