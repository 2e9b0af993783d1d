"""From a validated configuration to the arrays both drivers start from.

:class:`World` holds what is fixed for a scenario (missions, network, the event timeline, the
policies an administration can switch to). :func:`init_allies` draws the allies' attributes for any
number of runs at once from the counter-based random numbers, so run ``k`` gets the same allies alone
or in an ensemble, agent by agent or vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.special import ndtri

from sim.config import PolicyConfig, RunConfig, event_step, load_policy, policy_names
from sim.config.checks import admin_step, ally_names, step_of
from sim.config.params import POLICY_PARAMETERS
from sim.core import rng
from sim.core.events import Event, check_event, event_defaults
from sim.rules.aggregate import sum_allies

__all__ = ["World", "build_world", "compile_event", "init_allies", "policy_vector",
           "next_policy_map"]


@dataclass(frozen=True)
class World:
    """What a scenario fixes for every run (arrays indexed by mission or ally)."""

    scenario: str
    horizon: int
    start: str | None
    ally_names: tuple[str, ...]
    mission_names: tuple[str, ...]
    is_core: np.ndarray            # (M,) bool
    required_force: np.ndarray     # (M,)
    lead_troops: np.ndarray        # (M,)
    lead_enablers: np.ndarray      # (M,)
    risk: np.ndarray               # (M,)
    threat: np.ndarray             # (M,)
    partner_force: np.ndarray      # (M,)
    partner_capacity: np.ndarray   # (M,)
    partner_dependence: np.ndarray  # (M,)
    mandate_end: np.ndarray        # (M,) int, horizon + 1 if none
    renewal: np.ndarray            # (M,) int: first renewal decision, horizon + 1 if none
    renewal_period: np.ndarray     # (M,) int: months between renewal decisions (0: one)
    opens: np.ndarray              # (M,) int: step it opens as a successor (-1: none)
    support_index: np.ndarray      # (M,) int: the mission backing it (-1: none)
    support_risk: np.ndarray       # (M,) risk added when that mission ends
    initially_active: np.ndarray   # (M,) bool: False if the mandate ends at once or the mission
                                   # opens later (a mission_start event)
    framework: np.ndarray          # (M,) int, -1 if none
    neighbours: object             # (N, N) symmetric 0/1 scipy.sparse CSR array: who watches whom
    degree: np.ndarray             # (N,)
    events: tuple[Event, ...]
    policy_names: tuple[str, ...]  # index 0: the run's configured policy
    policy_table: np.ndarray       # (P, n_policy_parameters)
    admin_mode: str
    admin_schedule: tuple[tuple[int, int], ...]
    admin_cycle: tuple[int, ...]
    admin_p_change: float
    lead_election_period: int
    country_trust: float                 # allies' trust in the lead country at the start (-1: none)
    lead_election_phase: int

    @property
    def n_allies(self) -> int:
        return len(self.ally_names)

    @property
    def n_missions(self) -> int:
        return len(self.mission_names)

    def events_at(self, step: int) -> list[Event]:
        return [e for e in self.events if e.step == step]


def _network(cfg: RunConfig, names: list[str]) -> nx.Graph:
    net = cfg.scenario.network
    n = len(names)
    if net.kind == "complete":
        g = nx.complete_graph(n)
    elif net.kind == "ring":
        g = nx.cycle_graph(n) if n > 2 else nx.path_graph(n)
    elif net.kind == "empty":
        g = nx.empty_graph(n)
    elif net.kind == "edges":
        g = nx.empty_graph(n)
    else:  # small_world
        k = min(net.k, n - 1)
        if k < 2:
            g = nx.path_graph(n)
        else:
            g = nx.watts_strogatz_graph(n, k, net.p_rewire, seed=net.seed)
    # ties given by name: bilateral edges, and blocs (shared units, regional groups) whose members
    # are all tied to one another; added to any kind of network
    index = {name: i for i, name in enumerate(names)}
    g.add_edges_from((index[a], index[b]) for a, b in net.edges if a != b)
    for members in net.blocs.values():
        ids = [index[name] for name in members]
        g.add_edges_from((x, y) for k, x in enumerate(ids) for y in ids[k + 1:] if x != y)
    return g


def policy_vector(p: PolicyConfig) -> list[float]:
    """A policy's parameters as a row of the policy table (in ``POLICY_PARAMETERS`` order)."""
    return [float(getattr(p, name)) for name in POLICY_PARAMETERS]


def next_policy_map(n_policies: int, cycle) -> np.ndarray:
    """For each policy index, the next policy in the administrations' cycle (random alternation);
    a policy outside the cycle hands over to the cycle's first."""
    nxt = np.arange(n_policies, dtype=np.int64)
    cycle = list(cycle)
    if cycle:
        for i in range(n_policies):
            nxt[i] = cycle[(cycle.index(i) + 1) % len(cycle)] if i in cycle else cycle[0]
    return nxt


def compile_event(spec, step: int, *, missions, allies, policy_index, label: str | None = None,
                  check: bool = False) -> Event:
    """A scenario event (an ``EventSpec``) as a compiled :class:`~sim.core.events.Event` for
    ``step``: names become indices, left-out fields take their defaults. ``policy_index`` maps a
    policy name to its row of the policy table. With ``check``, the event is validated first
    (:func:`sim.core.events.check_event`), as the explorer's added events are."""
    if check:
        check_event(spec, "event", missions=list(missions), allies=list(allies),
                    policies=policy_names())
    defaults = event_defaults(spec.kind)
    v = {**defaults, **{k: getattr(spec, k) for k in defaults if getattr(spec, k) is not None}}
    return Event(
        step=step, kind=spec.kind,
        mission=list(missions).index(spec.mission) if spec.mission is not None else -1,
        ally=list(allies).index(spec.ally) if spec.ally is not None else -1,
        fraction=float(v["fraction"]), level=float(v["level"]), horizon=int(v["horizon"]),
        consulted=bool(v["consulted"]), notice=bool(v["notice"]), enablers=bool(v["enablers"]),
        troops=bool(v["troops"]), size=float(v["size"]),
        policy=policy_index(spec.policy) if spec.policy is not None else -1,
        after=int(v["after"]), personnel=float(v["personnel"]), months=int(v["months"]),
        threat=float(v["threat"]), opposition=float(v["opposition"]), cost=float(v["cost"]),
        leave=bool(v["leave"]), risk=float(v["risk"]),
        label=label or spec.date or f"step {step}")


def build_world(cfg: RunConfig) -> World:
    """Compile a validated configuration's scenario into arrays and an event list."""
    s = cfg.scenario
    names = ally_names(s)
    mission_names = list(s.missions)
    missions = list(s.missions.values())
    ally_index = {n: i for i, n in enumerate(names)}

    policy_names = [cfg.policy.name]
    policies = [cfg.policy]

    def policy_idx(name: str) -> int:
        if name not in policy_names:
            policy_names.append(name)
            policies.append(load_policy(name))
        return policy_names.index(name)

    events = [compile_event(e, event_step(s, e, f"scenario.events[{j}]"), missions=mission_names,
                            allies=names, policy_index=policy_idx)
              for j, e in enumerate(s.events)]
    events.sort(key=lambda ev: ev.step)  # stable: same-step events keep their listed order

    adm = s.administrations
    schedule = tuple((admin_step(s, c, f"scenario.administrations.schedule[{k}]"),
                      policy_idx(c.policy)) for k, c in enumerate(adm.schedule))
    cycle = tuple(policy_idx(name) for name in adm.cycle)

    g = _network(cfg, names)
    neighbours = nx.to_scipy_sparse_array(g, nodelist=range(len(names)), dtype=np.float64,
                                          format="csr")
    neighbours.data[:] = 1.0

    def marr(attr):
        return np.array([float(getattr(m, attr)) for m in missions], dtype=np.float64)

    def when(value, path):
        return s.horizon + 1 if value is None else step_of(s, value, path)

    mandate_end = np.array([when(m.mandate_end, f"scenario.missions.{k}.mandate_end")
                            for k, m in s.missions.items()], dtype=np.int64)
    renewal = np.array([when(m.renewal, f"scenario.missions.{k}.renewal")
                        for k, m in s.missions.items()], dtype=np.int64)
    opens = np.full(len(missions), -1, dtype=np.int64)
    for j, m in enumerate(missions):
        if m.successor is not None:
            opens[mission_names.index(m.successor)] = mandate_end[j]

    return World(
        scenario=s.name, horizon=s.horizon, start=s.start,
        ally_names=tuple(names), mission_names=tuple(mission_names),
        is_core=np.array([m.kind == "core" for m in missions]),
        required_force=marr("required_force"), lead_troops=marr("lead_troops"),
        lead_enablers=marr("lead_enablers"), risk=marr("risk"), threat=marr("threat"),
        partner_force=marr("partner_force"), partner_capacity=marr("partner_capacity"),
        partner_dependence=marr("partner_dependence"),
        mandate_end=mandate_end, renewal=renewal,
        renewal_period=np.array([m.renewal_period for m in missions], dtype=np.int64),
        opens=opens,
        support_index=np.array([-1 if m.support is None else mission_names.index(m.support)
                                for m in missions], dtype=np.int64),
        support_risk=marr("support_risk"),
        initially_active=np.array([
            mandate_end[j] > 0 and opens[j] < 0
            and not any(e.kind == "mission_start" and e.mission == name for e in s.events)
            for j, (name, m) in enumerate(s.missions.items())]),
        framework=np.array([ally_index[m.framework] if m.framework is not None else -1
                            for m in missions], dtype=np.int64),
        neighbours=neighbours,
        degree=np.asarray(neighbours.sum(axis=1)).reshape(-1),
        events=tuple(events), policy_names=tuple(policy_names),
        policy_table=np.array([policy_vector(p) for p in policies], dtype=np.float64),
        admin_mode=adm.mode, admin_schedule=schedule, admin_cycle=cycle,
        admin_p_change=float(adm.p_change),
        lead_election_period=s.lead.election_period, lead_election_phase=s.lead.election_phase,
        country_trust=float(s.lead.country_trust),
    )


def init_allies(cfg: RunConfig, world: World, seed, run) -> dict[str, np.ndarray]:
    """Draw the allies' attributes and initial state.

    ``seed`` and ``run`` broadcast against the leading axes: ints give arrays shaped ``(1, N)`` (ally
    values) and ``(M, N)`` (ally-mission values); arrays shaped ``(R, 1, 1)`` give ``(R, 1, N)`` and
    ``(R, M, N)``. Roster values replace the drawn ones (the draws are still made, so a generated
    ally's numbers do not depend on the roster's length... beyond its own index).
    """
    a = cfg.scenario.allies
    n, m = world.n_allies, world.n_missions
    ally = np.arange(n).reshape(1, n)
    mission = np.arange(m).reshape(m, 1)
    ent_a = rng.entity_id(ally)                 # (1, N)
    ent_am = rng.entity_id(ally, mission)       # (M, N)
    seed = np.asarray(seed)
    run = np.asarray(run)

    def u(purpose, ent=ent_a):
        return rng.uniform(seed, run, 0, ent, purpose)

    def between(lo, hi, purpose, ent=ent_a):
        return lo + (hi - lo) * u(purpose, ent)

    force = a.force_median * np.exp(a.force_sigma * ndtri(np.maximum(u(rng.Purpose.INIT_FORCE),
                                                                     1e-12)))
    capacity = between(a.capacity_min, a.capacity_max, rng.Purpose.INIT_CAPACITY)
    perception = between(a.threat_min, a.threat_max, rng.Purpose.INIT_THREAT, ent_am)
    interest = between(0.0, a.interest_max, rng.Purpose.INIT_INTEREST, ent_am)
    cost = between(a.cost_sensitivity_min, a.cost_sensitivity_max, rng.Purpose.INIT_COST)
    exit_threshold = between(a.exit_threshold_min, a.exit_threshold_max,
                             rng.Purpose.INIT_EXIT_THRESHOLD)
    opposition = between(a.opposition_min, a.opposition_max, rng.Purpose.INIT_OPPOSITION)
    span = a.election_period_max - a.election_period_min + 1
    period = a.election_period_min + np.floor(
        span * u(rng.Purpose.INIT_ELECTION_PERIOD)).astype(np.int64)
    phase = np.floor(period * u(rng.Purpose.INIT_ELECTION_PHASE)).astype(np.int64)
    kind = u(rng.Purpose.INIT_COOPERATION_TYPE)
    free_rider = kind < a.p_free_rider
    substituter = ~free_rider & (kind < a.p_free_rider + (1.0 - a.p_free_rider) * a.p_substituter)
    slope = np.where(free_rider | substituter, 0.0,
                     between(a.cooperation_slope_min, a.cooperation_slope_max,
                             rng.Purpose.INIT_COOPERATION))
    substitution = np.where(substituter, between(a.substitution_min, a.substitution_max,
                                                 rng.Purpose.INIT_SUBSTITUTION), 0.0)
    fear = between(a.fear_min, a.fear_max, rng.Purpose.INIT_FEAR)
    span_h = a.horizon_max - a.horizon_min + 1
    horizon = a.horizon_min + np.floor(span_h * u(rng.Purpose.INIT_HORIZON)).astype(np.int64)
    trust_prior = between(a.trust_prior_min, a.trust_prior_max, rng.Purpose.INIT_PRIOR)
    sensitivity = between(a.sensitivity_min, a.sensitivity_max, rng.Purpose.INIT_SENSITIVITY)
    memory = between(a.memory_min, a.memory_max, rng.Purpose.INIT_MEMORY)
    exposure = between(a.exposure_min, a.exposure_max, rng.Purpose.INIT_EXPOSURE)

    out = {
        "force": force, "capacity": capacity, "cost_sensitivity": cost,
        "exit_threshold": exit_threshold, "opposition": opposition,
        "election_period": period, "election_phase": phase, "slope": slope, "fear": fear,
        "substitution": substitution,
        "horizon": horizon, "trust_prior": trust_prior, "sensitivity": sensitivity,
        "memory": memory, "exposure": exposure,
    }
    shape_a = np.broadcast_shapes(force.shape)
    shape_am = np.broadcast_shapes(perception.shape)
    out = {k: np.array(np.broadcast_to(v, shape_a)) for k, v in out.items()}
    out["perception"] = np.array(np.broadcast_to(perception, shape_am))
    out["interest"] = np.array(np.broadcast_to(interest, shape_am))
    out["troops"] = np.full(shape_am, np.nan)          # known contingents (NaN: not given)
    out["available"] = np.full(shape_a, -1, dtype=np.int64)  # first step it may join (-1: any)

    mission_index = {name: j for j, name in enumerate(world.mission_names)}
    for i, r in enumerate(a.roster.values()):
        out["force"][..., i] = r.force if r.force is not None else -1.0
        out["capacity"][..., i] = r.capacity
        for key, value in (("cost_sensitivity", r.cost_sensitivity),
                           ("exit_threshold", r.exit_threshold), ("opposition", r.opposition),
                           ("slope", r.cooperation_slope), ("fear", r.fear),
                           ("substitution", r.substitution),
                           ("election_period", r.election_period), ("horizon", r.horizon),
                           ("trust_prior", r.trust_prior), ("sensitivity", r.sensitivity),
                           ("memory", r.memory), ("exposure", r.exposure)):
            if value is not None:
                out[key][..., i] = value
        if r.election_phase is not None:
            out["election_phase"][..., i] = r.election_phase
        elif r.election_period is not None:
            out["election_phase"][..., i] = np.minimum(out["election_phase"][..., i],
                                                       r.election_period - 1)
        if r.threat is not None:
            out["perception"][..., :, i] = r.threat
        for name, value in r.threat_by_mission.items():
            out["perception"][..., mission_index[name], i] = value
        for name, value in r.interest.items():
            out["interest"][..., mission_index[name], i] = value
        if r.troops:
            out["troops"][..., :, i] = 0.0              # only the missions listed
            for name, value in r.troops.items():
                out["troops"][..., mission_index[name], i] = value
        if r.available_from is not None:
            out["available"][..., i] = step_of(cfg.scenario, r.available_from,
                                               f"scenario.allies.roster.{list(a.roster)[i]}")
    # late arrivals among the generated allies (the last ones): evenly over each period
    late = sum(arr.n for arr in a.arrivals)
    first = len(a.roster) + a.n - late
    prev = 0
    for arr in a.arrivals:
        until = step_of(cfg.scenario, arr.until, "scenario.allies.arrivals")
        for q in range(arr.n):
            out["available"][..., first + q] = prev + (q + 1) * (until - prev) // arr.n
        first += arr.n
        prev = until
    # deployable force per mission: the ally's force, or what its known contingent implies (the
    # contingent is what it sends at allies.contingent_effort of decision.max_share of its capable
    # force); an ally given contingents has no force elsewhere
    given = ~np.isnan(out["troops"])
    per = a.contingent_effort * cfg.decision.max_share * out["capacity"]
    implied = np.where(given, np.nan_to_num(out["troops"]) / np.maximum(per, 1e-12), 0.0)
    out["reach"] = np.where(given, implied, np.broadcast_to(out["force"], shape_am))
    no_force = out["force"] < 0.0
    out["force"] = np.where(no_force, np.max(implied, axis=-2, keepdims=True), out["force"])
    out["reach"] = np.where(given | ~no_force, out["reach"], 0.0)
    # an ally's weight in a mission's departed share: its contingent there where the scenario
    # gives one (what it brings), else its deployable force
    size = np.where(given, np.nan_to_num(out.pop("troops")), out["reach"])
    out["weight"] = out["force"] / np.maximum(np.sum(out["force"], axis=-1, keepdims=True), 1e-12)
    out["mission_weight"] = size / np.maximum(sum_allies(size), 1e-12)
    return out
