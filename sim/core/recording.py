"""What a run records each step, the per-run summaries, and the recorded results as tidy tables.

One recorder serves both drivers: :class:`Recorder` takes the state (R runs; the Mesa model's has
R = 1) and the month's :class:`~sim.core.schedule.MonthReport` after every step and keeps
trajectories indexed ``[step, run, ...]``; :class:`Results` turns them into tidy tables with
per-run summaries (:func:`summarise`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.state import State
from sim.core.world import World
from sim.rules.aggregate import sum_allies

__all__ = ["STEP_COLUMNS", "MISSION_COLUMNS", "ALLY_COLUMNS", "SUMMARY_COLUMNS", "record_step",
           "gini", "summarise", "churn", "Recorder", "Results"]

STEP_COLUMNS = (
    "trust", "trust_leader", "trust_country", "trust_p10", "trust_p50", "trust_p90", "honesty",
    "damage", "grievance", "capacity", "members", "contributors", "exits", "joins",
    "ally_troops", "lead_troops", "ally_burden_share", "ally_troop_share", "lead_effort",
    "lead_cost", "cost_building", "cost_consulting", "cost_pledges",
    "contribution_gini", "reversals",
    "attacks", "policy_index", "voluntary_exits", "rejoins",
)
MISSION_COLUMNS = (
    "members", "contributors", "ally_troops", "lead_troops", "lead_enablers", "lead_level",
    "effectiveness", "eff_without_lead", "threat", "partner_capacity", "partner_dependence",
    "ally_enablers", "ally_burden_share", "active", "expected_presence",
    "expected_presence_all",
)
ALLY_COLUMNS = ("trust", "trust_leader", "trust_country", "honesty", "damage", "grievance",
                "capacity", "missions", "contribution", "trust_prior", "sensitivity", "memory",
                "exposure", "horizon", "exit_threshold")


def gini(x):
    """Gini coefficient over the last axis (0: equal; -> 1: one holds everything); 0 if all zero.

    Equation: ``G = sum_i (2 i - n - 1) x_(i) / (n * sum x)`` with ``x`` sorted ascending.
    """
    x = np.sort(np.asarray(x, dtype=np.float64), axis=-1)
    n = x.shape[-1]
    i = np.arange(1, n + 1, dtype=np.float64)
    total = np.sum(x, axis=-1)
    num = np.sum((2.0 * i - n - 1.0) * x, axis=-1)
    return np.where(total > 0.0, num / (n * np.where(total > 0.0, total, 1.0)), 0.0)


def _mean_allies(x):
    return sum_allies(x)[..., 0, 0] / x.shape[-1]


def record_step(state: State, *, exits, joins, attacks, enabler_value, light=False,
                voluntary=None, rejoined=None):
    """One step's outputs.

    Burden is counted in troop-equivalents: a mission's troops plus its enablers valued at
    ``enabler_value * required_force`` for full coverage (the lead's coverage, and the allies' own
    supply). The allies' burden share is their part of that total over stabilisation missions; the
    troop share counts troops only.

    Args:
        state: the state after the step.
        exits, joins: (R, M, N) bool, this step's exits (scripted ones included) and joins.
        voluntary, rejoined: (R, M, N) bool, the exits the allies chose, and the joins of allies
            that had left the mission within 12 months (default: none).
        attacks: (R,) attacks this step.
        enabler_value: ``operations.enabler_troop_value`` (a number or (R, 1, 1)).
        light: skip what the per-run summaries do not use (trust quantiles, the Gini coefficient,
            per-ally values): they are recorded as NaN (sweeps without trajectories).

    Returns:
        ``(step_values, mission_values, ally_values)``: dicts of arrays shaped (R,), (R, M) and
        (R, N) (``ally_values`` is None when ``light``).
    """
    a, lead, ms = state.allies, state.lead, state.missions
    s = {"member": a.member, "contribution": a.contribution, "troops": lead.troops,
         "enablers": lead.enablers, "level": lead.level, "trust": a.trust,
         "trust_leader": a.trust_leader, "trust_country": a.trust_country, "honesty": a.honesty,
         "damage": a.damage, "grievance": a.grievance, "capacity": a.capacity,
         "effectiveness": ms.effectiveness, "eff_without_lead": ms.eff_without_lead,
         "threat": ms.threat, "partner_capacity": ms.partner_capacity,
         "partner_dependence": ms.partner_dependence, "ally_enablers": ms.ally_enablers,
         "active": ms.active, "expected": a.expected, "trust_prior": a.trust_prior,
         "sensitivity": a.sensitivity, "memory": a.memory, "exposure": a.exposure,
         "horizon": a.horizon, "exit_threshold": a.exit_threshold}
    is_core = ms.is_core[0, :, 0]
    required_force = ms.required_force
    reversals = lead.reversals
    cost_building = np.sum(lead.cost_building[..., 0], axis=-1)
    cost_pledges = np.sum(lead.cost_pledges[..., 0], axis=-1)
    cost_consulting = lead.cost_consulting[..., 0, 0]
    policy_index = lead.policy_index[:, 0, 0]
    member = s["member"]
    contribution = s["contribution"]
    stab = (~is_core).reshape(1, -1, 1)
    member_f = np.where(member, 1.0, 0.0)
    contributor = member & (contribution > 0.0)
    ally_troops_m = sum_allies(contribution)[..., 0]                     # (R, M)
    lead_troops_m = s["troops"][..., 0]                                  # (R, M)
    stab_m = stab[..., 0]
    per_unit = (enabler_value * required_force)[..., 0]                  # troop-equivalents
    lead_effort_m = lead_troops_m + s["enablers"][..., 0] * per_unit
    ally_effort_m = ally_troops_m + s["ally_enablers"][..., 0] * per_unit
    ally_troops = np.sum(np.where(stab_m, ally_troops_m, 0.0), axis=-1)
    lead_troops = np.sum(np.where(stab_m, lead_troops_m, 0.0), axis=-1)
    ally_effort = np.sum(np.where(stab_m, ally_effort_m, 0.0), axis=-1)
    lead_effort = np.sum(np.where(stab_m, lead_effort_m, 0.0), axis=-1)
    total = ally_troops + lead_troops
    total_effort = ally_effort + lead_effort
    trust = s["trust"][..., 0, :]
    per_ally_contribution = None if light else np.sum(contribution, axis=-2)   # (R, N)
    if light:
        q = np.full((3,) + trust.shape[:-1], np.nan)
    else:
        q = np.quantile(trust, [0.1, 0.5, 0.9], axis=-1)
    step = {
        "trust": _mean_allies(s["trust"]),
        "trust_leader": _mean_allies(s["trust_leader"]),
        "trust_country": _mean_allies(s["trust_country"]),
        "trust_p10": q[0], "trust_p50": q[1], "trust_p90": q[2],
        "honesty": _mean_allies(s["honesty"]),
        "damage": _mean_allies(s["damage"]),
        "grievance": _mean_allies(s["grievance"]),
        "capacity": _mean_allies(s["capacity"]),
        "members": np.sum(np.any(member & stab, axis=-2), axis=-1).astype(np.float64),
        "contributors": np.sum(np.any(contributor & stab, axis=-2), axis=-1).astype(np.float64),
        "exits": np.sum(exits, axis=(-2, -1)).astype(np.float64),
        "joins": np.sum(joins, axis=(-2, -1)).astype(np.float64),
        "ally_troops": ally_troops,
        "lead_troops": lead_troops,
        "ally_burden_share": np.where(total_effort > 0.0, ally_effort
                                      / np.where(total_effort > 0.0, total_effort, 1.0), 0.0),
        "ally_troop_share": np.where(total > 0.0, ally_troops / np.where(total > 0.0, total, 1.0),
                                     0.0),
        "lead_effort": lead_effort,
        # the lead's whole cost: forces and enablers, capacity building, consultation, pledges
        "lead_cost": lead_effort + cost_building + cost_consulting + cost_pledges,
        "cost_building": cost_building, "cost_consulting": cost_consulting,
        "cost_pledges": cost_pledges,
        "contribution_gini": (np.full(trust.shape[:-1], np.nan) if light
                              else gini(per_ally_contribution)),
        "reversals": np.asarray(reversals, dtype=np.float64),
        "attacks": np.asarray(attacks, dtype=np.float64),
        "policy_index": np.asarray(policy_index, dtype=np.float64),
        "voluntary_exits": (np.zeros(trust.shape[:-1]) if voluntary is None
                            else np.sum(voluntary, axis=(-2, -1)).astype(np.float64)),
        "rejoins": (np.zeros(trust.shape[:-1]) if rejoined is None
                    else np.sum(rejoined, axis=(-2, -1)).astype(np.float64)),
    }
    m_total = ally_effort_m + lead_effort_m
    mission = {
        "members": np.sum(member_f, axis=-1),
        "contributors": np.sum(contributor, axis=-1).astype(np.float64),
        "ally_troops": ally_troops_m,
        "lead_troops": lead_troops_m,
        "lead_enablers": s["enablers"][..., 0],
        "lead_level": s["level"][..., 0],
        "effectiveness": s["effectiveness"][..., 0],
        "eff_without_lead": s["eff_without_lead"][..., 0],
        "threat": s["threat"][..., 0],
        "partner_capacity": s["partner_capacity"][..., 0],
        "partner_dependence": s["partner_dependence"][..., 0],
        "ally_enablers": s["ally_enablers"][..., 0],
        "ally_burden_share": np.where(m_total > 0.0, ally_effort_m
                                      / np.where(m_total > 0.0, m_total, 1.0), 0.0),
        "active": np.where(s["active"][..., 0], 1.0, 0.0),
        # members' mean expectation of the lead's presence (all allies' where none is a member)
        "expected_presence": np.where(
            np.sum(member_f, axis=-1) > 0.0,
            np.sum(member_f * s["expected"], axis=-1) / np.maximum(np.sum(member_f, axis=-1), 1.0),
            np.mean(s["expected"], axis=-1)),
        # every ally's mean expectation (members or not: free of who is a member)
        "expected_presence_all": sum_allies(s["expected"])[..., 0] / s["expected"].shape[-1],
    }
    if light:
        return step, mission, None
    ally = {
        "trust": s["trust"][..., 0, :],
        "trust_leader": s["trust_leader"][..., 0, :],
        "trust_country": s["trust_country"][..., 0, :],
        "honesty": s["honesty"][..., 0, :],
        "damage": s["damage"][..., 0, :],
        "grievance": s["grievance"][..., 0, :],
        "capacity": s["capacity"][..., 0, :],
        "missions": np.sum(member_f, axis=-2),
        "contribution": per_ally_contribution,
        # the ally's attributes, on every row (who loses faith first)
        **{k: np.asarray(s[k][..., 0, :], dtype=np.float64)
           for k in ("trust_prior", "sensitivity", "memory", "exposure", "horizon",
                     "exit_threshold")},
    }
    return step, mission, ally


SUMMARY_COLUMNS = (
    "final_ally_burden_share", "mean_ally_burden_share", "peak_members", "final_members",
    "months_to_half_peak", "half_peak_reached", "mean_effectiveness", "final_effectiveness",
    "final_threat", "final_partner_capacity", "final_partner_dependence", "final_trust",
    "final_trust_leader", "final_trust_country", "final_honesty", "final_grievance",
    "total_exits", "total_reversals", "total_attacks", "final_capacity", "mean_lead_effort",
    "mean_lead_cost", "total_lead_cost",
    "mean_ally_troop_share", "exits_per_ally_year", "voluntary_exits", "exits_reversed_12m",
)


def _over_time(x):
    """(T, R, ...) -> (R, ..., T), contiguous: reductions over time then run per run, in the same
    order whatever the number of runs (so a run's summaries do not depend on its ensemble)."""
    return np.ascontiguousarray(np.moveaxis(np.asarray(x, dtype=np.float64), 0, -1))


def summarise(steps: dict[str, np.ndarray], missions: dict[str, np.ndarray],
              is_core: np.ndarray, n_allies: int = 1) -> dict[str, np.ndarray]:
    """Per-run summaries from the recorded trajectories.

    Args:
        steps: arrays shaped (T + 1, R) (row 0 is the initial state).
        missions: arrays shaped (T + 1, R, M).
        is_core: (M,) bool.

    Churn: ``exits_per_ally_year`` counts the allies' voluntary exits (scripted ones left out) per
    ally and year; ``voluntary_exits`` counts them; ``exits_reversed_12m`` counts those followed by a
    return to the same mission within 12 months (the share reversed is the ratio of the two sums
    over runs: :func:`churn`). Exits in the last 12 months of the horizon have had less time to be
    reversed, so the share is a lower bound.

    ``months_to_half_peak``: months from the first peak of stabilisation-mission membership until
    membership first falls below half that peak; censored at the horizon (``half_peak_reached`` says
    whether it happened). Means over stabilisation missions are taken per run over time first.
    """
    members = steps["members"]                                # (T+1, R)
    r = members.shape[1]
    horizon = members.shape[0] - 1
    peak = members.max(axis=0)
    t_peak = members.argmax(axis=0)
    t = np.arange(members.shape[0]).reshape(-1, 1)
    below = (members < 0.5 * peak) & (t > t_peak) & (peak > 0)
    reached = below.any(axis=0)
    first = np.where(reached, below.argmax(axis=0), horizon)
    stab = ~is_core
    zeros = np.zeros(r)

    def stab_mean(x):                                        # (R, M) -> (R,), over stab missions
        return np.ascontiguousarray(x[..., stab]).mean(axis=-1) if stab.any() else zeros

    eff_time = _over_time(missions["effectiveness"][1:])     # (R, M, T)
    voluntary = _over_time(steps["voluntary_exits"][1:]).sum(axis=-1)
    rejoins = _over_time(steps["rejoins"][1:]).sum(axis=-1)
    return {
        "final_ally_burden_share": steps["ally_burden_share"][-1],
        "mean_ally_burden_share": _over_time(steps["ally_burden_share"][1:]).mean(axis=-1),
        "peak_members": peak,
        "final_members": members[-1],
        "months_to_half_peak": (first - t_peak).astype(np.float64),
        "half_peak_reached": reached,
        "mean_effectiveness": stab_mean(eff_time.mean(axis=-1)),
        "final_effectiveness": stab_mean(missions["effectiveness"][-1]),
        "final_threat": np.ascontiguousarray(missions["threat"][-1]).mean(axis=-1),
        "final_partner_capacity": stab_mean(missions["partner_capacity"][-1]),
        "final_partner_dependence": stab_mean(missions["partner_dependence"][-1]),
        "final_trust": steps["trust"][-1],
        "final_trust_leader": steps["trust_leader"][-1],
        "final_trust_country": steps["trust_country"][-1],
        "final_honesty": steps["honesty"][-1],
        "final_grievance": steps["grievance"][-1],
        "total_exits": _over_time(steps["exits"][1:]).sum(axis=-1),
        "total_reversals": steps["reversals"][-1],
        "total_attacks": _over_time(steps["attacks"][1:]).sum(axis=-1),
        "final_capacity": steps["capacity"][-1],
        "mean_lead_effort": _over_time(steps["lead_effort"][1:]).mean(axis=-1),
        "mean_lead_cost": _over_time(steps["lead_cost"][1:]).mean(axis=-1),
        "total_lead_cost": _over_time(steps["lead_cost"][1:]).sum(axis=-1),
        "mean_ally_troop_share": _over_time(steps["ally_troop_share"][1:]).mean(axis=-1),
        "exits_per_ally_year": voluntary / (max(n_allies, 1) * max(horizon, 1) / 12.0),
        "voluntary_exits": voluntary,
        "exits_reversed_12m": rejoins,
    }


def churn(summary: pd.DataFrame) -> dict[str, float]:
    """Churn over a set of runs: exits per ally-year (mean over runs) and the share of voluntary
    exits reversed within 12 months (pooled: total reversed over total exits; NaN without exits)."""
    exits = float(summary["voluntary_exits"].sum())
    return {"exits_per_ally_year": float(summary["exits_per_ally_year"].mean()),
            "share_reversed_12m": (float(summary["exits_reversed_12m"].sum()) / exits
                                   if exits > 0 else float("nan")),
            "voluntary_exits": exits}


class Recorder:
    """Trajectories of R runs, one row per step (row 0: the initial state).

    Args:
        horizon: the last step that will be recorded.
        shape: ``(R, M, N)``.
        allies: keep per-ally trajectories (memory: T x R x N per variable).
        light: record only what the per-run summaries need (see :func:`record_step`).
    """

    def __init__(self, horizon: int, shape: tuple[int, int, int], *, allies: bool = False,
                 light: bool = False):
        r, m, n = shape
        self.light = light
        self.steps = {k: np.empty((horizon + 1, r)) for k in STEP_COLUMNS}
        self.missions = {k: np.empty((horizon + 1, r, m)) for k in MISSION_COLUMNS}
        self.allies = ({k: np.empty((horizon + 1, r, n)) for k in ALLY_COLUMNS}
                       if allies and not light else None)
        self.t = -1
        self.last: dict[str, np.ndarray] = {}

    def record(self, state: State, *, enabler_value, exits=None, joins=None, attacks=None,
               voluntary=None, rejoined=None):
        """Record the state after ``state.step`` months (exits, joins, attacks: the month's)."""
        r, m, n = state.shape
        if exits is None:
            exits = joins = np.zeros((r, m, n), dtype=bool)
            attacks = np.zeros(r)
        step_v, mission_v, ally_v = record_step(state, exits=exits, joins=joins, attacks=attacks,
                                                enabler_value=enabler_value, light=self.light,
                                                voluntary=voluntary, rejoined=rejoined)
        t = self.t = state.step
        for k, v in step_v.items():
            self.steps[k][t] = v
        for k, v in mission_v.items():
            self.missions[k][t] = v
        if self.allies is not None:
            for k, v in ally_v.items():
                self.allies[k][t] = v
        self.last = step_v

    def trajectories(self) -> dict[str, dict[str, np.ndarray] | None]:
        """What has been recorded so far: ``steps``, ``missions``, ``allies`` (views)."""
        t = self.t
        return {"steps": {k: v[:t + 1] for k, v in self.steps.items()},
                "missions": {k: v[:t + 1] for k, v in self.missions.items()},
                "allies": ({k: v[:t + 1] for k, v in self.allies.items()}
                           if self.allies is not None else None)}

    def results(self, world: World, seeds, runs, policy_names) -> "Results":
        """What has been recorded so far, with the per-run summaries."""
        tr = self.trajectories()
        steps, missions, allies = tr["steps"], tr["missions"], tr["allies"]
        return Results(world, np.asarray(seeds), np.asarray(runs), tuple(policy_names), steps,
                       missions, allies, summarise(steps, missions, world.is_core,
                                                   world.n_allies))


@dataclass
class Results:
    """Recorded trajectories and summaries of R runs (arrays indexed [step, run, ...])."""

    world: World
    seeds: np.ndarray
    runs: np.ndarray
    policy_names: tuple[str, ...]
    steps: dict[str, np.ndarray]      # (T+1, R)
    missions: dict[str, np.ndarray]   # (T+1, R, M)
    allies: dict[str, np.ndarray] | None  # (T+1, R, N)
    summary_arrays: dict[str, np.ndarray]

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per run."""
        df = pd.DataFrame({"seed": self.seeds, "run": self.runs, **self.summary_arrays})
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
        df["policy"] = np.asarray(self.policy_names, dtype=object)[
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
