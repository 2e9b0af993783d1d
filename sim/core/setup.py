"""What is fixed while runs advance (:class:`Setup`), and the initial state, written once for any
number of runs.

``setup = make_setup(cfg, seeds, runs, varied=..., policies=...)`` compiles a validated
configuration for R runs: the scenario's world, the parameter values (numbers, or arrays shaped
``(R, 1, 1)`` where a sweep varies them per run), the policy table an administration can switch
within, and the counter-based random-number keys. ``init_state(cfg, setup)`` draws the allies and
builds the month-0 :class:`~sim.core.state.State`. The ensemble calls both with R runs, the Mesa
model with one; run ``k`` gets the same numbers either way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from sim.config import RunConfig, load_policy
from sim.config.params import POLICY_PARAMETERS, parse_parameter
from sim.core import rng
from sim.core.schedule import assess_missions, expect, refresh_trust
from sim.core.state import Allies, Lead, Missions, Month, State
from sim.core.world import World, build_world, init_allies, next_policy_map, policy_vector
from sim.errors import ConfigError
from sim.rules import decisions as dec
from sim.rules import policies as pol
from sim.rules import trust as tr

__all__ = ["Params", "ParamSet", "PolicyParams", "Setup", "make_setup", "init_state",
           "PARAM_GROUPS"]

PARAM_GROUPS = ("trust", "decision", "operations", "capacity", "grievance", "mechanisms")
_INTEGER_POLICY_PARAMETERS = ("cut_start", "pledge_horizon", "impulse_notice")


class Params:
    """A namespace of parameter values (numbers, or arrays shaped (R, 1, 1) when varied per run)."""

    def __init__(self, values: Mapping):
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Params({self.__dict__})"


@dataclass(frozen=True)
class ParamSet:
    """The rule groups' parameters."""

    trust: Params
    decision: Params
    operations: Params
    capacity: Params
    grievance: Params
    mechanisms: Params


class PolicyParams(Params):
    """The policy parameters in force (numbers or per-run arrays)."""


@dataclass(eq=False)
class Setup:
    """What stays fixed while R runs advance (except :meth:`add_policy`, for the explorer)."""

    world: World
    params: ParamSet
    policy_names: tuple[str, ...]
    policy_table: np.ndarray      # (R, P, K): each run's own table (per-run policy parameters)
    next_policy: np.ndarray       # (P,) the next policy in the administrations' cycle
    seed: np.ndarray              # (R, 1, 1) root seeds
    run: np.ndarray               # (R, 1, 1) replicate numbers
    first_policy: np.ndarray      # (R,) each run's starting policy
    ent_a: np.ndarray             # counter-based entity ids: allies (1, 1, N)
    ent_am: np.ndarray            # allies x missions (1, M, N)
    ent_m: np.ndarray             # the lead in each mission (1, M, 1)
    ent_lead: np.ndarray          # the lead itself
    mission_values: dict          # missions.<mission>.<field> values varied per run, (R,)
    max_horizon: int = 36         # the longest decision horizon of any ally

    @property
    def n_runs(self) -> int:
        return self.seed.shape[0]

    def policy(self, state: State) -> PolicyParams:
        """The policy parameters in force in each run, shaped (R, 1, 1)."""
        r = self.n_runs
        rows = self.policy_table[np.arange(r), state.lead.policy_index[:, 0, 0]]      # (R, K)
        rows = rows.reshape(r, 1, 1, -1)
        values = {}
        for k, name in enumerate(POLICY_PARAMETERS):
            v = rows[..., k]
            values[name] = v.astype(np.int64) if name in _INTEGER_POLICY_PARAMETERS else v
        return PolicyParams(values)

    def policy_value(self, index: np.ndarray, name: str) -> np.ndarray:
        """One policy parameter of the policies at ``index`` ((R, 1, 1) ints), shaped (R, 1, 1)."""
        r = self.n_runs
        k = POLICY_PARAMETERS.index(name)
        return self.policy_table[np.arange(r), index[:, 0, 0], k].reshape(r, 1, 1)

    def add_policy(self, name: str) -> int:
        """The index of a registered policy, adding it to the table if new (the explorer's
        injected administrations); it joins the administrations' cycle like any other."""
        if name in self.policy_names:
            return self.policy_names.index(name)
        row = np.array(policy_vector(load_policy(name)), dtype=np.float64)
        table = np.concatenate([self.policy_table,
                                np.broadcast_to(row, (self.n_runs, 1, row.size))], axis=1)
        self.policy_names = (*self.policy_names, name)
        self.policy_table = table
        self.next_policy = next_policy_map(len(self.policy_names), self.world.admin_cycle)
        return len(self.policy_names) - 1


def _ids(values, name: str) -> np.ndarray:
    if isinstance(values, range):
        values = list(values)
    arr = np.atleast_1d(np.asarray(values))
    if arr.dtype.kind not in "iu" and arr.size:
        raise ConfigError(f"{name} must be whole numbers >= 0 (got {arr[:3].tolist()} ...)")
    return arr.astype(np.int64)


def make_setup(cfg: RunConfig, seeds=None, runs=None, *,
               varied: Mapping[str, Sequence[float]] | None = None,
               policies: Sequence[str] | None = None) -> Setup:
    """Compile ``cfg`` for R runs.

    Args:
        cfg: a validated configuration.
        seeds: root seed(s): one, or one per run (default ``cfg.seed``).
        runs: replicate numbers, one per run (default ``range(R)``, or ``[cfg.run]`` for one run).
        varied: per-run parameter values keyed by parameter name (``trust.asymmetry``,
            ``policy.building``, ``missions.<mission>.<field>``; :mod:`sim.config.params`).
        policies: per-run starting policy names (default ``cfg.policy`` for every run).
    """
    seeds = _ids(cfg.seed if seeds is None else seeds, "seeds")
    if runs is None:
        runs = np.arange(len(seeds)) if len(seeds) > 1 else np.array([cfg.run])
    runs = _ids(runs, "runs")
    if len(seeds) == 1 and len(runs) > 1:
        seeds = np.repeat(seeds, len(runs))
    if len(seeds) != len(runs):
        raise ConfigError(f"seeds ({len(seeds)}) and runs ({len(runs)}) differ in length")
    if len(runs) == 0:
        raise ConfigError("an ensemble needs at least one run")
    if (seeds < 0).any() or (runs < 0).any():
        raise ConfigError("seeds and runs must be >= 0")
    r = len(runs)
    world = build_world(cfg)
    m, n = world.n_missions, world.n_allies

    by_group: dict[str, dict[str, np.ndarray]] = {}
    for key, values in (varied or {}).items():
        p = parse_parameter(key, missions=world.mission_names)
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (r,):
            raise ConfigError(f"varied parameter {key!r} has shape {arr.shape}, expected ({r},)")
        by_group.setdefault(p.group, {})[p.key] = arr
    spaces = {}
    for g in PARAM_GROUPS:
        values = dict(dataclasses.asdict(getattr(cfg, g)))
        for name, arr in by_group.get(g, {}).items():
            values[name] = arr.reshape(r, 1, 1)
        spaces[g] = Params(values)

    names = list(world.policy_names)
    table = world.policy_table
    if policies is not None:
        if len(policies) != r:
            raise ConfigError(f"policies has {len(policies)} names for {r} runs")
        rows = [table]
        for name in dict.fromkeys(policies):
            if name not in names:
                names.append(name)
                rows.append(np.array([policy_vector(load_policy(name))]))
        table = np.vstack(rows)
        first = np.array([names.index(p) for p in policies], dtype=np.int64)
    else:
        first = np.zeros(r, dtype=np.int64)
    per_run = np.broadcast_to(table, (r,) + table.shape).copy()
    for name, arr in by_group.get("policy", {}).items():
        per_run[np.arange(r), first, POLICY_PARAMETERS.index(name)] = arr
    world = dataclasses.replace(world, policy_names=tuple(names), policy_table=table)

    setup = Setup(
        world=world, params=ParamSet(**spaces), policy_names=tuple(names), policy_table=per_run,
        next_policy=next_policy_map(len(names), world.admin_cycle),
        seed=seeds.reshape(r, 1, 1), run=runs.reshape(r, 1, 1), first_policy=first,
        ent_a=rng.entity_id(np.arange(n).reshape(1, 1, n)),
        ent_am=rng.entity_id(np.arange(n).reshape(1, 1, n), np.arange(m).reshape(1, m, 1)),
        ent_m=rng.entity_id(0, np.arange(m).reshape(1, m, 1)),
        ent_lead=rng.entity_id(0, -1), mission_values=by_group.get("missions", {}),
        max_horizon=int(max(cfg.scenario.allies.horizon_max,
                            *[r.horizon or 0 for r in cfg.scenario.allies.roster.values()], 1)))
    return setup


def init_state(cfg: RunConfig, setup: Setup) -> State:
    """The month-0 state of every run: allies drawn, the lead at full strength in open missions,
    framework nations members of their missions, trust at its prior."""
    w, p = setup.world, setup.params
    r, m, n = setup.n_runs, w.n_missions, w.n_allies
    drawn = init_allies(cfg, w, setup.seed, setup.run)
    zeros_a = np.zeros((r, 1, n))

    member = np.zeros((r, m, n), dtype=bool)
    for j, fw in enumerate(w.framework):
        if fw >= 0 and w.initially_active[j]:
            member[:, j, fw] = True
    is_core = _mission_column(w.is_core, r, bool)
    effort = np.where(member & ~is_core, 1.0, 0.0)
    allies = Allies(
        **{k: drawn[k] for k in ("force", "weight", "capacity", "cost_sensitivity",
                                 "exit_threshold", "opposition", "slope", "fear", "substitution",
                                 "election_period", "election_phase", "horizon", "trust_prior",
                                 "sensitivity", "memory", "exposure", "perception",
                                 "interest", "reach", "mission_weight")},
        baseline=drawn["perception"].copy(),
        r_leader=zeros_a.copy(), s_leader=zeros_a.copy(), r_country=zeros_a.copy(),
        s_country=zeros_a.copy(), r_honesty=zeros_a.copy(), s_honesty=zeros_a.copy(),
        damage=zeros_a.copy(), trust_leader=zeros_a.copy(), trust_country=zeros_a.copy(),
        honesty=zeros_a.copy(), trust=zeros_a.copy(), grievance=zeros_a.copy(),
        stress=zeros_a.copy(), consulted=zeros_a.copy(), member=member,
        expected=np.zeros((r, m, n)),
        was_member=member.copy(), effort=effort,
        contribution=dec.contribution(effort, drawn["capacity"], drawn["reach"],
                                      max_share=p.decision.max_share),
        # a lasting taste per ally and mission: heterogeneity drawn once, not a monthly coin flip
        taste=p.decision.taste_scale * rng.logistic(setup.seed, setup.run, 0, setup.ent_am,
                                                    rng.Purpose.INIT_TASTE),
        left_at=np.full((r, m, n), -1, dtype=np.int64),
        absent_until=np.full((r, m, n), -1, dtype=np.int64),
        held_until=np.broadcast_to(drawn["available"] - 1, (r, m, n)).astype(np.int64).copy(),
        joined_at=np.where(member, 0, -1).astype(np.int64),
        below=np.zeros((r, m, n), dtype=np.int64),
        left_forced=np.zeros((r, m, n), dtype=bool))

    data = {key: _mission_column(getattr(w, key), r) for key in
            ("lead_troops", "lead_enablers", "required_force", "risk", "partner_force", "threat",
             "partner_capacity", "partner_dependence", "support_risk")}
    for key, values in setup.mission_values.items():     # missions.<mission>.<field>, per run
        mission, _, fld = key.partition(".")
        data[fld][:, w.mission_names.index(mission), 0] = values
    active = _mission_column(w.initially_active, r, bool)
    troops0, enablers0 = data["lead_troops"], data["lead_enablers"]
    troops = np.where(active, troops0, 0.0)
    enablers = np.where(active, enablers0, 0.0)
    tw = p.trust.troop_weight
    lead = Lead(
        troops0=troops0, enablers0=enablers0, troops=troops, enablers=enablers,
        level=pol.action_level(troops, enablers, troops0, troop_weight=tw),
        level_ref=pol.action_level(troops0, enablers0, troops0, troop_weight=tw),
        cut_troops=np.zeros((r, m, 1)), cut_enablers=np.zeros((r, m, 1)),
        prev_cut_troops=np.zeros((r, m, 1)), prev_cut_enablers=np.zeros((r, m, 1)),
        started=np.zeros((r, m, 1), dtype=bool), open_step=np.full((r, m, 1), -1, dtype=np.int64),
        pending=np.full((r, m, 1), -1, dtype=np.int64),
        impulse_out=np.zeros((r, m, 1), dtype=np.int64), pledge_level=np.zeros((r, m, 1)),
        pledge_until=np.full((r, m, 1), -1, dtype=np.int64),
        cost_building=np.zeros((r, m, 1)), cost_consulting=np.zeros((r, 1, 1)),
        cost_pledges=np.zeros((r, m, 1)),
        plan_due=np.full((r, m, 1), -1, dtype=np.int64), plan_fraction=np.zeros((r, m, 1)),
        plan_troops=np.zeros((r, m, 1), dtype=bool), plan_enablers=np.zeros((r, m, 1), dtype=bool),
        plan_consulted=np.zeros((r, m, 1), dtype=bool),
        troop_scale=np.ones((r, m, 1)), partner_support=np.ones((r, m, 1)),
        admin_start=np.zeros((r, 1, 1), dtype=np.int64),
        policy_index=setup.first_policy.reshape(r, 1, 1).copy(), reversals=np.zeros(r))
    missions = Missions(
        is_core=is_core, required_force=data["required_force"], risk=data["risk"],
        partner_force=data["partner_force"], threat0=data["threat"], active=active,
        threat=data["threat"].copy(), partner_capacity=data["partner_capacity"],
        partner_dependence=data["partner_dependence"], support_risk=data["support_risk"],
        **{k: np.zeros((r, m, 1)) for k in ("effectiveness", "eff_without_lead", "troop_fraction",
                                             "enabler_fraction", "ally_enablers")})
    # the administration in office at the start is judged by its stance, like any newcomer; the
    # country's record starts from the same evidence, unless the scenario says what allies thought
    # of the country at its start (a history that starts in mid-course)
    weight = p.trust.stance_weight * drawn["exposure"]
    good, bad = tr.stance_evidence(setup.policy_value(lead.policy_index, "stance"),
                                   stance_weight=weight)
    c_good, c_bad = good, bad
    if setup.world.country_trust > 0.0:
        size = p.trust.prior_good + p.trust.prior_bad
        c_good, c_bad = tr.evidence_for(setup.world.country_trust, weight,
                                        prior_good=size * drawn["trust_prior"],
                                        prior_bad=size * (1.0 - drawn["trust_prior"]))
    for name, value in (("r_leader", good), ("s_leader", bad), ("r_country", c_good),
                        ("s_country", c_bad)):
        setattr(allies, name, np.broadcast_to(value, (r, 1, n)).copy())
    state = State(allies=allies, lead=lead, missions=missions, month=Month.empty(r, m, n))
    refresh_trust(state, setup=setup)
    assess_missions(state, setup=setup)
    expect(state, setup=setup, policy=setup.policy(state))
    return state


def _mission_column(x, r: int, dtype=np.float64) -> np.ndarray:
    m = len(x)
    return np.broadcast_to(np.asarray(x, dtype=dtype).reshape(1, m, 1), (r, m, 1)).copy()

