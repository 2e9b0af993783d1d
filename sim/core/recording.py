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
from sim.rules.aggregate import sum_allies, sum_missions
from sim.rules.decisions import EXIT_CAUSES

__all__ = ["STEP_COLUMNS", "MISSION_COLUMNS", "ALLY_COLUMNS", "MEMBERSHIP_COLUMNS",
           "SUMMARY_COLUMNS", "record_step", "gini_positive", "spells", "summarise", "churn",
           "Recorder", "Results"]

STEP_COLUMNS = (
    "trust", "trust_leader", "trust_country", "trust_p10", "trust_p50", "trust_p90", "honesty",
    "damage", "grievance", "capacity", "members", "contributors", "exits", "joins",
    "ally_troops", "lead_troops", "ally_burden_share", "ally_troop_share", "lead_effort",
    "lead_cost", "cost_building", "cost_consulting", "cost_pledges",
    "troop_gini", "countries_with_troops", "reversals",
    "attacks", "policy_index", "voluntary_exits", "rejoins",
    "exits_election", "exits_cascade", "exits_renewal", "exits_utility",
    "spells_ended", "spell_months_ended", "spells_ongoing", "spell_months_ongoing",
)
MISSION_COLUMNS = (
    "members", "contributors", "ally_troops", "lead_troops", "lead_enablers", "lead_level",
    "effectiveness", "eff_without_lead", "threat", "partner_capacity", "partner_dependence",
    "ally_enablers", "ally_burden_share", "active", "expected_presence",
    "expected_presence_all", "countries_with_troops",
)
ALLY_COLUMNS = ("trust", "trust_leader", "trust_country", "honesty", "damage", "grievance",
                "capacity", "missions", "contribution", "trust_prior", "sensitivity", "memory",
                "exposure", "horizon", "exit_threshold")
# per (run, step, mission, ally), recorded on request (``output.memberships``); ``entry`` and
# ``exit`` are derived from ``member`` (a member now and not at the last step, or the reverse)
MEMBERSHIP_COLUMNS = ("member", "contribution", "expected", "trust", "exit_cause")
# the voluntary exits' causes counted per step and run (sim.rules.decisions.exit_cause)
CAUSE_COLUMNS = {f"exits_{name}": code for code, name in enumerate(EXIT_CAUSES)
                 if name not in ("", "scripted")}


def gini_positive(x):
    """Gini coefficient over the last axis counting only the positive entries (0 if none).

    The zeros are the nations with no troops: they are left out, not counted as equal shares of
    nothing. With ``z`` zeros sorted first and ``k = n - z`` positive values, the positive values
    have ranks ``j = i - z`` and ``G = sum_j (2 j - k - 1) x_(j) / (k * sum x)``; one contributor
    gives 0, and so does none (by convention, as the shares: ``countries_with_troops`` tells).
    """
    x = np.sort(np.asarray(x, dtype=np.float64), axis=-1)
    n = x.shape[-1]
    positive = x > 0.0
    k = np.sum(positive, axis=-1, keepdims=True).astype(np.float64)
    j = np.arange(1, n + 1, dtype=np.float64) - (n - k)           # rank among the positive ones
    total = np.sum(np.where(positive, x, 0.0), axis=-1)
    num = np.sum(np.where(positive, (2.0 * j - k - 1.0) * x, 0.0), axis=-1)
    k = k[..., 0]
    return np.where(k > 0.0, num / (np.maximum(k, 1.0) * np.where(total > 0.0, total, 1.0)),
                    0.0)


def _mean_allies(x):
    return sum_allies(x)[..., 0, 0] / x.shape[-1]


def record_step(state: State, *, exits, joins, attacks, enabler_value, light=False,
                voluntary=None, rejoined=None, cause=None):
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
        cause: (R, M, N) int8, each exit's code into ``sim.rules.decisions.EXIT_CAUSES``
            (default: none); the voluntary exits are counted by cause (``exits_election``, ...).
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
    # countries with troops: allies with troops, plus the lead when it has troops (any mission)
    ally_has_troops = contribution > 0.0                                 # (R, M, N)
    lead_has_troops_m = lead_troops_m > 0.0                              # (R, M)
    countries_m = (np.sum(ally_has_troops, axis=-1) + lead_has_troops_m).astype(np.float64)
    countries = (np.sum(np.any(ally_has_troops, axis=-2), axis=-1)
                 + np.any(lead_has_troops_m, axis=-1)).astype(np.float64)
    if light:
        troop_gini = np.full(trust.shape[:-1], np.nan)
    else:  # the nations' troops summed over missions, the lead as one more nation
        nations = np.concatenate([sum_missions(contribution)[..., 0, :],
                                  sum_missions(np.swapaxes(s["troops"], -1, -2))[..., 0, :]],
                                 axis=-1)
        troop_gini = gini_positive(nations)
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
        "troop_gini": troop_gini,
        "countries_with_troops": countries,
        "reversals": np.asarray(reversals, dtype=np.float64),
        "attacks": np.asarray(attacks, dtype=np.float64),
        "policy_index": np.asarray(policy_index, dtype=np.float64),
        "voluntary_exits": (np.zeros(trust.shape[:-1]) if voluntary is None
                            else np.sum(voluntary, axis=(-2, -1)).astype(np.float64)),
        "rejoins": (np.zeros(trust.shape[:-1]) if rejoined is None
                    else np.sum(rejoined, axis=(-2, -1)).astype(np.float64)),
        **{k: (np.zeros(trust.shape[:-1]) if cause is None
               else np.sum(cause == code, axis=(-2, -1)).astype(np.float64))
           for k, code in CAUSE_COLUMNS.items()},
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
        "countries_with_troops": countries_m,
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
    *CAUSE_COLUMNS,
    "peak_countries_with_troops", "final_countries_with_troops", "mean_countries_with_troops",
    "completed_spells", "mean_completed_spell", "ongoing_spells", "mean_ongoing_spell",
)


def _over_time(x):
    """(T, R, ...) -> (R, ..., T), contiguous: reductions over time then run per run, in the same
    order whatever the number of runs (so a run's summaries do not depend on its ensemble)."""
    return np.ascontiguousarray(np.moveaxis(np.asarray(x, dtype=np.float64), 0, -1))


def _ratio(num, den):
    """``num / den``, 0 where ``den`` is 0 (a mean over no spell: its count, 0, says so)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), 0.0)


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
    over runs: :func:`churn`); ``exits_election``, ``exits_cascade``, ``exits_renewal`` and
    ``exits_utility`` split them by cause (:func:`sim.rules.decisions.exit_cause`; they add up to
    ``voluntary_exits``). Exits in the last 12 months of the horizon have had less time to be
    reversed, so the share is a lower bound.

    ``months_to_half_peak``: months from the first peak of stabilisation-mission membership until
    membership first falls below half that peak; censored at the horizon (``half_peak_reached`` says
    whether it happened). Means over stabilisation missions are taken per run over time first.

    Membership spells (an ally's unbroken membership of one stabilisation mission): completed
    spells ended before the last recorded step, for any reason; ``completed_spells`` counts them
    and ``mean_completed_spell`` averages their lengths only (0 when none ended). Spells still
    running at the last step are censored: ``ongoing_spells`` counts them and
    ``mean_ongoing_spell`` is the mean of their lengths so far, a lower bound of their eventual
    length (0 when none runs). The two are never pooled.
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
    completed = _over_time(steps["spells_ended"][1:]).sum(axis=-1)
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
        **{k: _over_time(steps[k][1:]).sum(axis=-1) for k in CAUSE_COLUMNS},
        "peak_countries_with_troops": steps["countries_with_troops"].max(axis=0),
        "final_countries_with_troops": steps["countries_with_troops"][-1],
        "mean_countries_with_troops": _over_time(steps["countries_with_troops"][1:]).mean(axis=-1),
        "completed_spells": completed,
        "mean_completed_spell": _ratio(_over_time(steps["spell_months_ended"][1:]).sum(axis=-1),
                                       completed),
        "ongoing_spells": steps["spells_ongoing"][-1],
        "mean_ongoing_spell": _ratio(steps["spell_months_ongoing"][-1], steps["spells_ongoing"][-1]),
    }


def churn(summary: pd.DataFrame) -> dict[str, float]:
    """Churn over a set of runs: exits per ally-year (mean over runs), the share of voluntary
    exits reversed within 12 months and the shares of them by cause (``share_exits_election``,
    ``share_exits_cascade``, ``share_exits_renewal``, ``share_exits_utility``); shares are pooled
    (totals over runs over total exits; NaN without exits)."""
    exits = float(summary["voluntary_exits"].sum())
    out = {"exits_per_ally_year": float(summary["exits_per_ally_year"].mean()),
           "share_reversed_12m": (float(summary["exits_reversed_12m"].sum()) / exits
                                  if exits > 0 else float("nan")),
           "voluntary_exits": exits}
    for k in CAUSE_COLUMNS:                 # pooled share of the exits by cause (summaries that
        if k in summary:                    # predate the causes lack them)
            out["share_" + k] = float(summary[k].sum()) / exits if exits > 0 else float("nan")
    return out


class Recorder:
    """Trajectories of R runs, one row per step (row 0: the initial state).

    Args:
        horizon: the last step that will be recorded.
        shape: ``(R, M, N)``.
        allies: keep per-ally trajectories (memory: T x R x N per variable).
        light: record only what the per-run summaries need (see :func:`record_step`).
        memberships: keep per (mission, ally) trajectories of :data:`MEMBERSHIP_COLUMNS` (memory:
            T x R x M x N per variable) for :meth:`Results.membership_frame` and
            :meth:`Results.spell_frame`.

    Membership spells are followed as the steps are recorded (from the change of ``member``
    between the last recorded step and this one, whatever caused it), so the spell series of
    ``STEP_COLUMNS`` need no per (mission, ally) trajectories.
    """

    def __init__(self, horizon: int, shape: tuple[int, int, int], *, allies: bool = False,
                 light: bool = False, memberships: bool = False):
        r, m, n = shape
        self.light = light
        self.steps = {k: np.empty((horizon + 1, r)) for k in STEP_COLUMNS}
        self.missions = {k: np.empty((horizon + 1, r, m)) for k in MISSION_COLUMNS}
        self.allies = ({k: np.empty((horizon + 1, r, n)) for k in ALLY_COLUMNS}
                       if allies and not light else None)
        self.memberships = ({"member": np.zeros((horizon + 1, r, m, n), dtype=bool),
                             "contribution": np.empty((horizon + 1, r, m, n)),
                             "expected": np.empty((horizon + 1, r, m, n)),
                             "trust": np.empty((horizon + 1, r, n)),
                             "exit_cause": np.zeros((horizon + 1, r, m, n), dtype=np.int8)}
                            if memberships else None)
        self.t = -1
        self.last: dict[str, np.ndarray] = {}
        self._member: np.ndarray | None = None      # (R, M, N) at the last recorded step
        self._start: np.ndarray | None = None       # (R, M, N) step the current spell began

    def _spells(self, state: State, t: int) -> dict[str, np.ndarray]:
        """This step's spell series (stabilisation missions): spells ended now, their months,
        spells running now and their months so far (each counts the step it began in)."""
        member = np.array(state.allies.member, dtype=bool)
        stab = ~np.asarray(state.missions.is_core[0, :, 0], dtype=bool).reshape(1, -1, 1)
        if self._member is None:                    # the first record: every member enters
            self._member = np.zeros_like(member)
            self._start = np.full(member.shape, -1, dtype=np.int64)
        ended = self._member & ~member
        entered = member & ~self._member
        months = np.where(ended & stab, t - self._start, 0)
        self._start = np.where(entered, t, np.where(ended, -1, self._start))
        self._member = member
        ongoing = member & stab
        return {
            "spells_ended": np.sum(ended & stab, axis=(-2, -1)).astype(np.float64),
            "spell_months_ended": np.sum(months, axis=(-2, -1)).astype(np.float64),
            "spells_ongoing": np.sum(ongoing, axis=(-2, -1)).astype(np.float64),
            "spell_months_ongoing": np.sum(np.where(ongoing, t + 1 - self._start, 0),
                                           axis=(-2, -1)).astype(np.float64),
        }

    def record(self, state: State, *, enabler_value, exits=None, joins=None, attacks=None,
               voluntary=None, rejoined=None, cause=None):
        """Record the state after ``state.step`` months (exits, joins, attacks: the month's)."""
        r, m, n = state.shape
        if exits is None:
            exits = joins = np.zeros((r, m, n), dtype=bool)
            attacks = np.zeros(r)
        step_v, mission_v, ally_v = record_step(state, exits=exits, joins=joins, attacks=attacks,
                                                enabler_value=enabler_value, light=self.light,
                                                voluntary=voluntary, rejoined=rejoined,
                                                cause=cause)
        t = self.t = state.step
        step_v.update(self._spells(state, t))
        for k, v in step_v.items():
            self.steps[k][t] = v
        for k, v in mission_v.items():
            self.missions[k][t] = v
        if self.allies is not None:
            for k, v in ally_v.items():
                self.allies[k][t] = v
        if self.memberships is not None:
            a = state.allies
            self.memberships["member"][t] = a.member
            self.memberships["contribution"][t] = a.contribution
            self.memberships["expected"][t] = a.expected
            self.memberships["trust"][t] = a.trust[..., 0, :]
            self.memberships["exit_cause"][t] = 0 if cause is None else cause
        self.last = step_v

    def trajectories(self) -> dict[str, dict[str, np.ndarray] | None]:
        """What has been recorded so far: ``steps``, ``missions``, ``allies`` (views), and
        ``memberships`` when recorded."""
        t = self.t
        out = {"steps": {k: v[:t + 1] for k, v in self.steps.items()},
               "missions": {k: v[:t + 1] for k, v in self.missions.items()},
               "allies": ({k: v[:t + 1] for k, v in self.allies.items()}
                          if self.allies is not None else None)}
        if self.memberships is not None:   # only when recorded (callers iterate the tables)
            out["memberships"] = {k: v[:t + 1] for k, v in self.memberships.items()}
        return out

    def results(self, world: World, seeds, runs, policy_names) -> "Results":
        """What has been recorded so far, with the per-run summaries."""
        tr = self.trajectories()
        steps, missions, allies = tr["steps"], tr["missions"], tr["allies"]
        return Results(world, np.asarray(seeds), np.asarray(runs), tuple(policy_names), steps,
                       missions, allies, summarise(steps, missions, world.is_core,
                                                   world.n_allies),
                       tr.get("memberships"))


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
    memberships: dict[str, np.ndarray] | None = None  # (T+1, R, M, N); trust (T+1, R, N)

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

    def membership_frame(self) -> pd.DataFrame:
        """Tidy per (run, step, mission, ally) table: ``member``, ``contribution`` (troops),
        ``entry`` (a member now and not at the last step), ``exit`` (the reverse; both False at
        step 0), ``expected`` (the ally's expected presence of the lead in the mission) and
        ``trust`` (its combined trust in the lead, the same in every mission) and ``exit_cause``
        on exits: ``scripted``, ``election``, ``cascade``, ``renewal``, ``utility``
        (:func:`sim.rules.decisions.exit_cause`) or ``mission_end`` (the mission ended); ``""``
        elsewhere."""
        if self.memberships is None:
            raise ValueError("membership trajectories were not recorded "
                             "(record_memberships=False; output.memberships=false)")
        rec = self.memberships
        member = rec["member"]
        t1, r, m, n = member.shape
        before = np.concatenate([member[:1], member[:-1]], axis=0)
        data = {
            "seed": np.tile(np.repeat(self.seeds, m * n), t1),
            "run": np.tile(np.repeat(self.runs, m * n), t1),
            "step": np.repeat(np.arange(t1), r * m * n),
            "mission": np.tile(np.repeat(np.asarray(self.world.mission_names, dtype=object), n),
                               t1 * r),
            "ally": np.tile(np.asarray(self.world.ally_names, dtype=object), t1 * r * m),
            "member": member.reshape(-1),
            "contribution": rec["contribution"].reshape(-1),
            "entry": (member & ~before).reshape(-1),
            "exit": (before & ~member).reshape(-1),
            "expected": rec["expected"].reshape(-1),
            "trust": np.broadcast_to(rec["trust"][:, :, None, :], member.shape).reshape(-1),
        }
        exited = (before & ~member).reshape(-1)
        code = rec["exit_cause"].reshape(-1).astype(np.int64)
        labels = np.asarray((*EXIT_CAUSES, "mission_end"), dtype=object)
        data["exit_cause"] = labels[np.where(exited, np.where(code == 0, len(EXIT_CAUSES), code),
                                             0)]
        return pd.DataFrame(data)

    def spell_frame(self) -> pd.DataFrame:
        """One row per membership spell (an ally's unbroken membership of one mission), from
        :func:`spells` on the recorded memberships, keyed by ``seed``, ``run``, ``mission``,
        ``ally``."""
        if self.memberships is None:
            raise ValueError("membership trajectories were not recorded "
                             "(record_memberships=False; output.memberships=false)")
        sp = spells(self.memberships["member"])
        out = pd.DataFrame({
            "seed": self.seeds[sp["run_index"]], "run": self.runs[sp["run_index"]],
            "mission": np.asarray(self.world.mission_names, dtype=object)[sp["mission_index"]],
            "ally": np.asarray(self.world.ally_names, dtype=object)[sp["ally_index"]],
            "core": np.asarray(self.world.is_core, dtype=bool)[sp["mission_index"]],
            "entry_step": sp["entry_step"],
            "exit_step": pd.array(np.where(sp["completed"], sp["exit_step"], 0), dtype="Int64"),
            "length": sp["length"], "completed": sp["completed"], "initial": sp["initial"],
        })
        out.loc[~out["completed"], "exit_step"] = pd.NA
        return out


def spells(member) -> dict[str, np.ndarray]:
    """Membership spells of a ``(T+1, R, M, N)`` bool trajectory (step 0 the initial state).

    A spell is an unbroken run of steps in which an ally is a member of one mission. Its
    ``entry_step`` is the first of them (0 for an initial member: ``initial``); a completed spell
    ends at ``exit_step``, the first step it is no longer a member, and lasts
    ``length = exit_step - entry_step`` months. A spell still running at the last step ``T`` is
    censored (``completed`` False): its ``length = T + 1 - entry_step`` is a lower bound (it
    could end at step ``T + 1`` at the earliest).

    Returns arrays of equal length, one entry per spell, ordered by run, mission, ally, entry:
    ``run_index``, ``mission_index``, ``ally_index``, ``entry_step``, ``exit_step`` (T + 1 for a
    censored spell), ``length``, ``completed``, ``initial``.
    """
    member = np.asarray(member, dtype=bool)
    t1 = member.shape[0]
    series = np.moveaxis(member, 0, -1)                      # (R, M, N, T+1)
    padded = np.zeros(series.shape[:-1] + (t1 + 2,), dtype=bool)
    padded[..., 1:-1] = series
    change = padded[..., 1:] != padded[..., :-1]             # at positions 0..T+1
    starts = change & padded[..., 1:]                        # became a member at that step
    ends = change & ~padded[..., 1:]                         # stopped being one at that step
    r_s, m_s, n_s, entry = np.nonzero(starts)                # C order: run, mission, ally, step
    exit_step = np.nonzero(ends)[-1]                         # paired in the same order
    completed = exit_step <= t1 - 1
    return {"run_index": r_s, "mission_index": m_s, "ally_index": n_s,
            "entry_step": entry, "exit_step": exit_step, "length": exit_step - entry,
            "completed": completed, "initial": entry == 0}
