"""The vectorised driver: R runs advanced in lockstep on arrays shaped (run, mission, ally).

It calls the same rule functions (:mod:`sim.rules.phases`) as the agents of the Mesa model, in the
same order, and draws the same counter-based random numbers (:mod:`sim.rng`); run ``k`` of an
ensemble equals :class:`sim.model.CoalitionModel` with the same seed and run number, bit for bit.

Example::

    from sim.config import compose
    from sim.ensemble import Ensemble
    ens = Ensemble(compose(["scenario=baseline"]), seeds=1, runs=range(1000))
    result = ens.run()
    result.summary  # one row per run
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from sim import rng
from sim.config import POLICY_PARAMETERS, ConfigError, RunConfig
from sim.outputs import (ALLY_COLUMNS, MISSION_COLUMNS, STEP_COLUMNS, record_step, summarise)
from sim.rules import decisions as dec
from sim.rules import events as evr
from sim.rules import missions as mis
from sim.rules import phases
from sim.rules import trust as tr
from sim.rules.aggregate import neighbour_share, sum_allies
from sim.rules.capacity import consult_perception
from sim.world import World, build_world, init_allies, policy_namespace

__all__ = ["Ensemble", "EnsembleResult", "Params", "parameter_namespaces"]

PARAM_GROUPS = ("trust", "decision", "operations", "capacity", "grievance")


class Params:
    """A namespace of parameter values (numbers, or arrays shaped (R, 1, 1) when varied per run)."""

    def __init__(self, values: Mapping):
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Params({self.__dict__})"


def parameter_namespaces(cfg: RunConfig, varied: Mapping[str, np.ndarray] | None = None,
                         n_runs: int = 1) -> dict[str, Params]:
    """Parameter namespaces for the rule groups, with per-run values where ``varied`` says so.

    Args:
        cfg: the base configuration.
        varied: ``{"trust.asymmetry": array of R values, ...}`` (policy parameters are handled by
            the policy table).
        n_runs: R.
    """
    spaces = {g: dict(dataclasses.asdict(getattr(cfg, g))) for g in PARAM_GROUPS}
    for key, values in (varied or {}).items():
        group, _, name = key.partition(".")
        if group in ("policy", "missions"):
            continue
        if group not in spaces or name not in spaces[group]:
            known = [f"{g}.{n}" for g in PARAM_GROUPS for n in spaces[g]]
            raise ConfigError(f"unknown parameter {key!r} to vary (known: {', '.join(known[:8])}, "
                              "..., policy.<parameter> and missions.<mission>.<field>)")
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (n_runs,):
            raise ConfigError(f"varied parameter {key!r} has shape {arr.shape}, expected ({n_runs},)")
        spaces[group][name] = arr.reshape(n_runs, 1, 1)
    return {g: Params(v) for g, v in spaces.items()}


@dataclass
class EnsembleResult:
    """Recorded trajectories and summaries of an ensemble (arrays indexed [step, run, ...])."""

    world: World
    seeds: np.ndarray
    runs: np.ndarray
    steps: dict[str, np.ndarray]      # (T+1, R)
    missions: dict[str, np.ndarray]   # (T+1, R, M)
    allies: dict[str, np.ndarray] | None  # (T+1, R, N)
    summary_arrays: dict[str, np.ndarray]

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    def _ids(self) -> dict[str, np.ndarray]:
        return {"seed": self.seeds, "run": self.runs}

    @property
    def summary(self) -> pd.DataFrame:
        """One row per run."""
        df = pd.DataFrame({**self._ids(), **self.summary_arrays})
        df.insert(0, "scenario", self.world.scenario)
        return df

    def step_frame(self) -> pd.DataFrame:
        """Tidy per-step table: one row per (run, step)."""
        t1, r = self.steps["trust"].shape
        data = {
            "seed": np.tile(self.seeds, t1), "run": np.tile(self.runs, t1),
            "step": np.repeat(np.arange(t1), r),
        }
        for k, v in self.steps.items():
            data[k] = v.reshape(-1)
        df = pd.DataFrame(data)
        df["policy"] = np.asarray(self.world.policy_names, dtype=object)[
            df.pop("policy_index").to_numpy().astype(int)]
        return df

    def _entity_frame(self, arrays: dict, column: str, names) -> pd.DataFrame:
        t1, r, k = next(iter(arrays.values())).shape
        data = {
            "seed": np.tile(np.repeat(self.seeds, k), t1),
            "run": np.tile(np.repeat(self.runs, k), t1),
            "step": np.repeat(np.arange(t1), r * k),
            column: np.tile(np.asarray(names, dtype=object), t1 * r),
        }
        for key, v in arrays.items():
            data[key] = v.reshape(-1)
        return pd.DataFrame(data)

    def mission_frame(self) -> pd.DataFrame:
        """Tidy per-mission table: one row per (run, step, mission)."""
        return self._entity_frame(self.missions, "mission", self.world.mission_names)

    def ally_frame(self) -> pd.DataFrame:
        """Tidy per-ally table: one row per (run, step, ally)."""
        if self.allies is None:
            raise ValueError("ally trajectories were not recorded (record_allies=False)")
        return self._entity_frame(self.allies, "ally", self.world.ally_names)


class Ensemble:
    """R runs of one scenario advanced together.

    Args:
        cfg: a validated :class:`~sim.config.RunConfig` (``cfg.seed``/``cfg.run`` are ignored in
            favour of ``seeds``/``runs``).
        seeds: root seed(s), an int or one per run.
        runs: replicate numbers, one per run (default ``range(R)`` where R is the length of
            ``seeds``, or 1).
        varied: per-run parameter values, ``{"trust.asymmetry": [...], "policy.building": [...]}``.
        policies: per-run policy names (default: ``cfg.policy`` for every run).
        record_allies: keep per-ally trajectories (memory: T x R x N per variable).
        light: record only what the per-run summaries need (trust quantiles and the Gini
            coefficient become NaN): for sweeps that keep summaries only.
    """

    def __init__(self, cfg: RunConfig, seeds=None, runs=None, *,
                 varied: Mapping[str, Sequence[float]] | None = None,
                 policies: Sequence[str] | None = None, record_allies: bool = False,
                 light: bool = False):
        self.cfg = cfg
        if seeds is None:
            seeds = cfg.seed
        seeds = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
        if runs is None:
            runs = np.arange(len(seeds)) if len(seeds) > 1 else np.array([cfg.run])
        runs = np.atleast_1d(np.asarray(list(runs) if not isinstance(runs, np.ndarray) else runs,
                                        dtype=np.int64))
        if len(seeds) == 1 and len(runs) > 1:
            seeds = np.repeat(seeds, len(runs))
        if len(seeds) != len(runs):
            raise ConfigError(f"seeds ({len(seeds)}) and runs ({len(runs)}) differ in length")
        if len(runs) == 0:
            raise ConfigError("an ensemble needs at least one run")
        if (seeds < 0).any() or (runs < 0).any():
            raise ConfigError("seeds and runs must be >= 0")
        self.seeds, self.runs = seeds, runs
        r = len(runs)
        self.n_runs = r
        self.world = build_world(cfg)
        self.record_allies = record_allies and not light
        self.light = light
        self._varied = {k: np.asarray(v, dtype=np.float64) for k, v in (varied or {}).items()}
        self.params = parameter_namespaces(cfg, self._varied, r)
        self._build_policy_tables(policies)
        self._init_state()

    # ------------------------------------------------------------------ set-up
    def _build_policy_tables(self, policies):
        w = self.world
        r = self.n_runs
        names = list(w.policy_names)
        table = w.policy_table
        if policies is not None:
            from sim.config import load_policy
            from sim.world import _policy_vector
            if len(policies) != r:
                raise ConfigError(f"policies has {len(policies)} names for {r} runs")
            rows = [table]
            for name in dict.fromkeys(policies):
                if name not in names:
                    names.append(name)
                    rows.append(np.array([_policy_vector(load_policy(name))]))
            table = np.vstack(rows)
            first = np.array([names.index(p) for p in policies], dtype=np.int64)
        else:
            first = np.zeros(r, dtype=np.int64)
        self.policy_names = tuple(names)
        self.world = dataclasses.replace(w, policy_names=tuple(names), policy_table=table)
        # per-run table, so per-run policy parameters apply to each run's own starting policy
        per_run = np.broadcast_to(table, (r,) + table.shape).copy()
        for key, values in self._varied.items():
            group, _, name = key.partition(".")
            if group != "policy":
                continue
            if name not in POLICY_PARAMETERS:
                raise ConfigError(f"unknown parameter {key!r} to vary (policy parameters: "
                                  f"{', '.join(POLICY_PARAMETERS)})")
            per_run[np.arange(r), first, POLICY_PARAMETERS.index(name)] = values
        self._policy_table = per_run
        # next policy in the administrations' cycle (alternate mode)
        nxt = np.arange(len(names), dtype=np.int64)
        cycle = list(w.admin_cycle)
        if cycle:
            for i in range(len(names)):
                nxt[i] = cycle[(cycle.index(i) + 1) % len(cycle)] if i in cycle else cycle[0]
        self._next_policy = nxt
        self._policy_index = first.reshape(r, 1, 1)

    def _policy(self):
        idx = self._policy_index[:, 0, 0]
        rows = self._policy_table[np.arange(self.n_runs), idx]          # (R, K)
        return policy_namespace(rows.reshape(self.n_runs, 1, 1, -1))

    def _init_state(self):
        w, cfg, p = self.world, self.cfg, self.params
        r, m, n = self.n_runs, w.n_missions, w.n_allies
        seed3 = self.seeds.reshape(r, 1, 1)
        run3 = self.runs.reshape(r, 1, 1)
        self._seed3, self._run3 = seed3, run3
        self._entities = (rng.entity_id(np.arange(n).reshape(1, 1, n)),
                          rng.entity_id(np.arange(n).reshape(1, 1, n),
                                        np.arange(m).reshape(1, m, 1)),
                          rng.entity_id(0, np.arange(m).reshape(1, m, 1)),
                          rng.entity_id(0, -1))
        allies = init_allies(cfg, w, seed3, run3)
        s = dict(allies)
        t = p["trust"]
        ones_a = np.ones((r, 1, n))
        for key in ("r_leader", "s_leader", "r_country", "s_country", "r_honesty", "s_honesty"):
            s[key] = ones_a * 0.0
        s["damage"] = np.zeros((r, 1, n))
        a, b = t.prior_good, t.prior_bad
        s["trust_leader"] = tr.beta_trust(s["r_leader"], s["s_leader"], a, b)
        s["trust_country"] = tr.beta_trust(s["r_country"], s["s_country"], a, b)
        s["honesty"] = tr.beta_trust(s["r_honesty"], s["s_honesty"], a, b)
        s["trust"] = tr.combined_trust(s["trust_leader"], s["trust_country"], s["damage"],
                                       leader_weight=t.leader_weight)
        s["grievance"] = np.zeros((r, 1, n))
        s["stress"] = np.zeros((r, 1, n))
        member = np.zeros((r, m, n), dtype=bool)
        for j, fw in enumerate(w.framework):
            if fw >= 0 and w.initially_active[j]:
                member[:, j, fw] = True
        s["member"] = member
        s["was_member"] = member.copy()
        s["effort"] = np.where(member & ~w.is_core.reshape(1, m, 1), 1.0, 0.0)
        s["contribution"] = dec.contribution(s["effort"], s["capacity"], s["force"],
                                             max_share=p["decision"].max_share)

        def mcol(x, dtype=np.float64):
            return np.broadcast_to(np.asarray(x, dtype=dtype).reshape(1, m, 1), (r, m, 1)).copy()

        self._troops0 = mcol(w.lead_troops)
        self._enablers0 = mcol(w.lead_enablers)
        self._required = mcol(w.required_force)
        self._risk = mcol(w.risk)
        self._partner_force = mcol(w.partner_force)
        self._is_core = mcol(w.is_core, bool)
        self._threat0 = mcol(w.threat)
        partner_capacity = mcol(w.partner_capacity)
        partner_dependence = mcol(w.partner_dependence)
        per_mission = {"lead_troops": self._troops0, "lead_enablers": self._enablers0,
                       "required_force": self._required, "risk": self._risk,
                       "partner_force": self._partner_force, "threat": self._threat0,
                       "partner_capacity": partner_capacity,
                       "partner_dependence": partner_dependence}
        for key, values in self._varied.items():   # missions.<mission>.<field>, per run
            group, _, rest = key.partition(".")
            if group != "missions":
                continue
            mission, _, fld = rest.rpartition(".")
            if mission not in w.mission_names or fld not in per_mission:
                raise ConfigError(f"unknown parameter {key!r} to vary: missions.<mission>.<field> "
                                  f"with mission in {list(w.mission_names)} and field in "
                                  f"{sorted(per_mission)}")
            per_mission[fld][:, w.mission_names.index(mission), 0] = values
        active0 = mcol(w.initially_active, bool)
        s["troops"] = np.where(active0, self._troops0, 0.0)
        s["enablers"] = np.where(active0, self._enablers0, 0.0)
        s["level"] = phases.pol.action_level(s["troops"], s["enablers"], self._troops0,
                                             troop_weight=t.troop_weight)
        s["level_ref"] = phases.pol.action_level(self._troops0, self._enablers0, self._troops0,
                                                 troop_weight=t.troop_weight)
        s["threat"] = self._threat0.copy()
        s["baseline"] = s["perception"].copy()
        s["partner_capacity"] = partner_capacity
        s["partner_dependence"] = partner_dependence
        s["active"] = active0
        s["cut_troops"] = np.zeros((r, m, 1))
        s["cut_enablers"] = np.zeros((r, m, 1))
        s["prev_cut_troops"] = np.zeros((r, m, 1))
        s["prev_cut_enablers"] = np.zeros((r, m, 1))
        s["started"] = np.zeros((r, m, 1), dtype=bool)
        s["open_step"] = np.full((r, m, 1), -1, dtype=np.int64)
        s["pending"] = np.full((r, m, 1), -1, dtype=np.int64)
        s["impulse_out"] = np.zeros((r, m, 1), dtype=np.int64)
        s["pledge_level"] = np.zeros((r, m, 1))
        s["pledge_until"] = np.full((r, m, 1), -1, dtype=np.int64)
        s["admin_start"] = np.zeros((r, 1, 1), dtype=np.int64)
        self.state = s
        self._resolve(first=True)
        self.t = 0
        self._reversals = np.zeros(r)
        self._exits = np.zeros((r, m, n), dtype=bool)
        self._joins = np.zeros((r, m, n), dtype=bool)
        self._attacks = np.zeros(r)
        h = w.horizon
        self._rec_steps = {k: np.empty((h + 1, r)) for k in STEP_COLUMNS}
        self._rec_missions = {k: np.empty((h + 1, r, m)) for k in MISSION_COLUMNS}
        self._rec_allies = ({k: np.empty((h + 1, r, n)) for k in ALLY_COLUMNS}
                            if self.record_allies else None)
        self._record()

    # ------------------------------------------------------------------ helpers
    def _u(self, step, entity, purpose):
        return rng.uniform(self._seed3, self._run3, step, entity, purpose)

    def _neighbour_share(self):
        w = self.world
        return neighbour_share(self.state["member"], w.neighbours, w.degree)

    def _resolve(self, first=False):
        """Mission outcome from the current forces (phase 7's effectiveness part)."""
        s, p = self.state, self.params
        member_f = np.where(s["member"], 1.0, 0.0)
        out = phases.mission_outcome(
            s["troops"], s["enablers"], sum_allies(s["contribution"]),
            sum_allies(s["capacity"] * s["contribution"]), sum_allies(s["weight"] * member_f),
            self._partner_force, s["partner_capacity"], self._required, self._is_core,
            s["active"], p["operations"])
        s.update(out)

    def _record(self):
        s = self.state
        step_v, mission_v, ally_v = record_step(
            s, self.world.is_core, self._exits, self._joins, self._reversals, self._attacks,
            self._policy_index[:, 0, 0], self.params["operations"].enabler_troop_value,
            self._required, light=self.light)
        t = self.t
        for k, v in step_v.items():
            self._rec_steps[k][t] = v
        for k, v in mission_v.items():
            self._rec_missions[k][t] = v
        if self._rec_allies is not None:
            for k, v in ally_v.items():
                self._rec_allies[k][t] = v

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance every run by one month: the nine phases of MODEL.md."""
        w, s, p = self.world, self.state, self.params
        r, m, n = self.n_runs, w.n_missions, w.n_allies
        t = self.t + 1
        P = rng.Purpose
        ent_a, ent_am, ent_m, ent_lead = self._entities

        # 1. events ------------------------------------------------------------------------------
        fl = new_flags((r, m, n))
        changed = np.zeros((r, 1, 1), dtype=bool)
        new_index = self._policy_index.copy()
        for ev in w.events_at(t):
            changed, new_index = apply_event_arrays(ev, s, fl, t, changed, new_index)
        expiring = (w.mandate_end == t).reshape(1, m, 1)
        fl["ended"] |= expiring & s["active"]
        s["active"] = s["active"] & ~expiring
        new_index, changed = self._administrations(t, fl, new_index, changed, ent_lead)
        if changed.any():
            self._change_administration(changed, new_index, t)

        # 2. lead acts ---------------------------------------------------------------------------
        pol = self._policy()
        member_f = np.where(s["member"], 1.0, 0.0)
        n_members = sum_allies(member_f)
        mean_cap = sum_allies(member_f * s["capacity"]) / np.maximum(n_members, 1.0)
        receiver = 0.5 * s["partner_capacity"] + 0.5 * mean_cap
        level_prev = s["level"]
        plan = phases.lead_plan(
            t, t - s["admin_start"], s["started"], s["open_step"], receiver, self._troops0,
            self._enablers0, s["cut_troops"], s["cut_enablers"], s["pending"], s["impulse_out"],
            self._u(t, ent_m, P.IMPULSE_ANNOUNCE), self._u(t, ent_m, P.IMPULSE_CARRY_OUT),
            self._u(t, ent_m, P.IMPULSE_RETURN), s["active"], pol,
            troop_weight=p["trust"].troop_weight)
        pledge = phases.pledge_update(
            t, plan["level"], plan["troops"], plan["enablers"], self._troops0, plan["months_open"],
            plan["handover_possible"], s["pledge_level"], s["pledge_until"], s["active"], pol,
            troop_weight=p["trust"].troop_weight, tolerance=p["trust"].pledge_tolerance)
        for key in ("troops", "enablers", "level", "started", "open_step", "pending",
                    "impulse_out"):
            s[key] = plan[key]
        s["pledge_level"], s["pledge_until"] = pledge["pledge_level"], pledge["pledge_until"]
        consulted = np.where(self._u(t, ent_a, P.CONSULT) < pol.p_consult, 1.0, 0.0)
        reversed_ = plan["reversed"] | fl["reversed"] | pledge["broken"]
        self._reversals = self._reversals + np.sum(reversed_, axis=(1, 2))

        # 3-4. observe and update trust ----------------------------------------------------------
        nshare = self._neighbour_share()
        evidence = phases.observe(
            level_prev, s["level"], fl["ended"], pledge["kept"], pledge["fulfilled"],
            np.where(reversed_, 1.0, 0.0), np.where(plan["announced"], 1.0, 0.0),
            pledge["announced"] + fl["pledged"], fl["abandoned"],
            np.where(plan["carried"] | fl["no_notice"], 0.0, 1.0),
            plan["carried"] | fl["unconsulted"], consulted, member_f, nshare, s["trust"],
            s["honesty"], s["active"], p["trust"])
        s.update(phases.update_trust(s["r_leader"], s["s_leader"], s["r_country"],
                                     s["s_country"], s["r_honesty"], s["s_honesty"],
                                     s["damage"], evidence, fl["shock"], p["trust"]))

        # 5. consult -----------------------------------------------------------------------------
        consulted_mean = ((s["threat"] + sum_allies(consulted * s["perception"]))
                          / (1.0 + sum_allies(consulted)))
        s["perception"] = consult_perception(s["perception"], consulted_mean, consulted,
                                             rate=p["decision"].consult_rate)

        # 6. decide ------------------------------------------------------------------------------
        member = s["member"]
        was = s["was_member"]
        election = dec.is_election_month(t, s["election_period"], s["election_phase"]) \
            | fl["election"]
        d = phases.decide(
            member, s["effort"], was, s["perception"], s["interest"], s["cost_sensitivity"],
            s["exit_threshold"], s["opposition"], s["slope"], s["fear"], s["grievance"],
            s["stress"], s["trust"], s["enablers"], s["level"], s["level_ref"],
            s["effectiveness"], s["eff_without_lead"], self._risk, self._is_core, s["active"],
            pol.demand, sum_allies(member_f * s["effort"]), n_members,
            sum_allies(s["weight"] * np.where(was & ~member, 1.0, 0.0)),
            sum_allies(s["weight"] * np.where(was, 1.0, 0.0)), nshare,
            rng.logistic(self._seed3, self._run3, t, ent_am, P.DECISION_NOISE),
            self._u(t, ent_a, P.ELECTION_EXIT), np.where(election, 1.0, 0.0), p["decision"],
            p["trust"])
        s["member"], s["effort"], s["was_member"] = d["member"], d["effort"], d["was_member"]
        self._exits, self._joins = d["exits"], d["joins"]
        s["contribution"] = dec.contribution(s["effort"], s["capacity"], s["force"],
                                             max_share=p["decision"].max_share)

        # 7. resolve missions --------------------------------------------------------------------
        self._resolve()
        ops, capp = p["operations"], p["capacity"]
        s["threat"] = mis.update_threat(s["threat"], s["effectiveness"],
                                        growth=ops.threat_growth,
                                        suppression=ops.threat_suppression,
                                        resurgence=ops.threat_resurgence)
        s["partner_capacity"] = mis.update_partner_capacity(
            s["partner_capacity"], s["partner_dependence"], s["enabler_fraction"], pol.building,
            np.where(s["active"], 1.0, 0.0), growth=capp.partner_growth,
            decay=capp.partner_decay, collapse_rate=capp.collapse_rate)
        s["partner_dependence"] = mis.update_dependence(s["partner_dependence"],
                                                        s["partner_capacity"],
                                                        rate=capp.dependence_rate)
        contributing = np.where(s["member"] & (s["contribution"] > 0.0), 1.0, 0.0)
        atk = phases.attack_and_perceive(s["perception"], s["baseline"], s["threat"],
                                         self._threat0, contributing,
                                         self._u(t, ent_am, P.ATTACK), fl["attack"], s["active"],
                                         s["stress"], ops, capp)
        s["perception"], s["stress"] = atk["perception"], atk["stress"]
        self._attacks = np.sum(atk["attacked"], axis=(1, 2)).astype(np.float64)

        # 8. capacity and grievance --------------------------------------------------------------
        cg = phases.ally_capacity_and_grievance(
            s["capacity"], s["grievance"], s["member"], s["effort"], d["others"], self._is_core,
            pol.building, pol.demand, capp, p["grievance"])
        s["capacity"], s["grievance"] = cg["capacity"], cg["grievance"]

        # 9. record ------------------------------------------------------------------------------
        self.t = t
        self._record()

    def _administrations(self, t, fl, new_index, changed, ent_lead):
        """Fixed schedule or random alternation at the lead's elections."""
        w = self.world
        if w.admin_mode == "fixed":
            for step, idx in w.admin_schedule:
                if step == t:
                    changed = np.ones_like(changed)
                    new_index = np.full_like(new_index, idx)
        elif w.admin_mode == "alternate":
            calendar = bool(evr.is_lead_election(t, period=w.lead_election_period,
                                                 phase=w.lead_election_phase))
            if calendar or fl["lead_election"]:
                u = self._u(t, ent_lead, rng.Purpose.ADMINISTRATION)
                idx, ch = evr.next_administration(new_index, u, next_policy=self._next_policy,
                                                  p_change=w.admin_p_change)
                new_index = np.where(ch, idx, new_index)
                changed = changed | ch
        return new_index, changed

    def _change_administration(self, changed, new_index, t):
        s, tp = self.state, self.params["trust"]
        r_l, s_l = tr.reset_leader_stock(s["r_country"], s["s_country"], carry=tp.leader_carry)
        s["r_leader"] = np.where(changed, r_l, s["r_leader"])
        s["s_leader"] = np.where(changed, s_l, s["s_leader"])
        s["trust_leader"] = tr.beta_trust(s["r_leader"], s["s_leader"], tp.prior_good,
                                          tp.prior_bad)
        s["trust"] = tr.combined_trust(s["trust_leader"], s["trust_country"], s["damage"],
                                       leader_weight=tp.leader_weight)
        s["admin_start"] = np.where(changed, t, s["admin_start"])
        s["started"] = np.where(changed, False, s["started"])
        s["open_step"] = np.where(changed, -1, s["open_step"])
        self._policy_index = np.where(changed, new_index, self._policy_index)

    # ------------------------------------------------------------------ running
    def run(self, progress: Callable[[int, int], None] | None = None) -> EnsembleResult:
        """Run to the horizon and return the result."""
        while self.t < self.world.horizon:
            self.step()
            if progress is not None:
                progress(self.t, self.world.horizon)
        return self.result()

    def result(self) -> EnsembleResult:
        t = self.t
        steps = {k: v[:t + 1] for k, v in self._rec_steps.items()}
        missions = {k: v[:t + 1] for k, v in self._rec_missions.items()}
        allies = ({k: v[:t + 1] for k, v in self._rec_allies.items()}
                  if self._rec_allies is not None else None)
        return EnsembleResult(self.world, self.seeds, self.runs, steps, missions, allies,
                              summarise(steps, missions, self.world.is_core))


def new_flags(shape):
    """This step's event flags (reset every step)."""
    r, m, n = shape
    return {
        "ended": np.zeros((r, m, 1), dtype=bool),
        "reversed": np.zeros((r, m, 1), dtype=bool),
        "abandoned": np.zeros((r, m, 1)),
        "unconsulted": np.zeros((r, m, 1), dtype=bool),
        "no_notice": np.zeros((r, m, 1), dtype=bool),
        "pledged": np.zeros((r, m, 1)),
        "shock": np.zeros((r, 1, 1)),
        "attack": np.zeros((r, m, n), dtype=bool),
        "election": np.zeros((r, 1, n), dtype=bool),
        "lead_election": False,
    }


def apply_event_arrays(ev, s, fl, t, changed, new_index):
    """Apply one scenario event to the ensemble's arrays (all runs alike)."""
    j, i = ev.mission, ev.ally
    k = ev.kind
    if k == "withdrawal":
        s["prev_cut_troops"][:, j] = s["cut_troops"][:, j]
        s["prev_cut_enablers"][:, j] = s["cut_enablers"][:, j]
        if ev.troops:
            s["cut_troops"][:, j] = evr.withdraw(s["cut_troops"][:, j], ev.fraction)
        if ev.enablers:
            s["cut_enablers"][:, j] = evr.withdraw(s["cut_enablers"][:, j], ev.fraction)
        fl["unconsulted"][:, j] |= not ev.consulted
        fl["no_notice"][:, j] |= not ev.notice
    elif k == "deployment":
        if ev.troops:
            s["cut_troops"][:, j] = evr.deploy(s["cut_troops"][:, j], ev.fraction)
        if ev.enablers:
            s["cut_enablers"][:, j] = evr.deploy(s["cut_enablers"][:, j], ev.fraction)
    elif k == "reversal":
        s["cut_troops"][:, j] = s["prev_cut_troops"][:, j]
        s["cut_enablers"][:, j] = s["prev_cut_enablers"][:, j]
        fl["reversed"][:, j] = True
    elif k == "abandon_partner":
        s["prev_cut_troops"][:, j] = s["cut_troops"][:, j]
        s["prev_cut_enablers"][:, j] = s["cut_enablers"][:, j]
        s["cut_troops"][:, j] = 1.0
        s["cut_enablers"][:, j] = 1.0
        fl["abandoned"][:, j] = 1.0
        fl["unconsulted"][:, j] = True
        fl["no_notice"][:, j] = True
    elif k == "announcement":
        s["pledge_level"][:, j] = ev.level
        s["pledge_until"][:, j] = t + ev.horizon - 1
        fl["pledged"][:, j] += ev.level
    elif k == "mandate_expiry":
        fl["ended"][:, j] |= s["active"][:, j]
        s["active"][:, j] = False
    elif k == "mission_start":
        s["active"][:, j] = True
    elif k == "domestic_shock":
        fl["shock"] += ev.size
    elif k == "attack":
        fl["attack"][:, j, i] = True
    elif k == "election":
        if i >= 0:
            fl["election"][:, 0, i] = True
        else:
            fl["lead_election"] = True
    elif k == "administration":
        changed = np.ones_like(changed)
        new_index = np.full_like(new_index, ev.policy)
    else:  # pragma: no cover - validated earlier
        raise ConfigError(f"unknown event kind {k!r}")
    return changed, new_index
