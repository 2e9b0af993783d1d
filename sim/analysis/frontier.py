"""What each policy costs the lead, and what the money could buy: the cost frontier.

A Latin hypercube of lever points (:data:`FRONTIER_RANGES`) and every named policy are run on the
same uncertainty draws and random numbers (:func:`sim.analysis.levers.run_points`). For each point:
the lead's mean monthly cost (troops, enablers, capacity building, consultation, pledges, in
troop-equivalents: ``mean_lead_cost``) against what it buys: the allies' mean share of the burden,
mission effectiveness, and the coalition's survival (the share of runs in which membership never
falls below half its peak before the horizon). The **frontier** of an outcome is the set of points
that no other point beats on both cost (lower) and outcome (higher); a named policy off the
frontier could get as much for less, or more for as much.

Cost-effectiveness outcomes: burden share and effectiveness per 1,000 troop-equivalents of monthly
lead cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.levers import LEVER_FIELDS, policy_point, run_points

__all__ = ["FRONTIER_RANGES", "FRONTIER_OUTCOMES", "sample_levers", "point_means", "pareto",
           "frontier_experiment", "at_equal_cost"]

# Ranges sampled for the frontier (levers not listed keep the start policy's value). The sequencing
# rule is half capacity-triggered (threshold in range, no calendar), half calendar (start in range,
# no threshold).
FRONTIER_RANGES = {
    "handover_threshold": (0.2, 1.0),
    "cut_start": (1, 48),
    "troop_cut_rate": (0.0, 0.1),
    "troop_floor": (0.0, 1.0),
    "enabler_cut_rate": (0.0, 0.1),
    "enabler_floor": (0.0, 1.0),
    "building": (0.0, 1.0),
    "p_consult": (0.0, 1.0),
    "demand": (0.0, 1.0),
    "stance": (0.0, 1.0),
    "pledge_horizon": (0, 24),
}

FRONTIER_OUTCOMES = {
    "mean_ally_burden_share": "allies' mean share of the burden",
    "mean_effectiveness": "mean mission effectiveness (0-1)",
    "survival": "coalition survival (share of runs never below half its peak)",
}


def sample_levers(n: int, *, seed: int = 7, start: str = "steady") -> dict[str, dict]:
    """``n`` lever points from a Latin hypercube over :data:`FRONTIER_RANGES`."""
    from scipy.stats import qmc

    keys = list(FRONTIER_RANGES)
    u = qmc.LatinHypercube(d=len(keys) + 1, seed=seed).random(n)
    base = policy_point(start)
    out = {}
    for i in range(n):
        pt = dict(base)
        for j, k in enumerate(keys):
            lo, hi = FRONTIER_RANGES[k]
            pt[k] = lo + (hi - lo) * u[i, j]
        calendar = u[i, -1] < 0.5
        pt["cut_start"] = float(round(pt["cut_start"])) if calendar else -1.0
        if calendar:
            pt["handover_threshold"] = 2.0
        pt["pledge_horizon"] = float(round(pt["pledge_horizon"] / 6) * 6)
        pt["p_impulse"] = 0.0
        out[f"lever point {i}"] = pt
    return out


def point_means(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per lever point: means over its runs, survival and cost-effectiveness."""
    g = runs.groupby("label", sort=False)
    out = pd.DataFrame({
        "mean_lead_cost": g["mean_lead_cost"].mean(),
        "mean_ally_burden_share": g["mean_ally_burden_share"].mean(),
        "mean_effectiveness": g["mean_effectiveness"].mean(),
        "survival": 1.0 - g["half_peak_reached"].mean(),
        "total_exits": g["total_exits"].mean(),
        "runs": g.size(),
    })
    out["burden_share_per_1000"] = out["mean_ally_burden_share"] / out["mean_lead_cost"] * 1000
    out["effectiveness_per_1000"] = out["mean_effectiveness"] / out["mean_lead_cost"] * 1000
    return out.reset_index()


def pareto(cost: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Mask of the points no other point beats on both (cost lower or equal and value higher or
    equal, one of them strictly)."""
    cost, value = np.asarray(cost, float), np.asarray(value, float)
    order = np.lexsort((-value, cost))
    keep = np.zeros(len(cost), dtype=bool)
    best = -np.inf
    for i in order:
        if value[i] > best:
            keep[i] = True
            best = value[i]
    return keep


def frontier_experiment(named, draws=None, *, n_points: int = 60, scenario: str = "baseline",
                        replicates: int = 1, seed: int = 1, overrides=(),
                        sample_seed: int = 7, cfg=None) -> tuple[pd.DataFrame, dict]:
    """Run ``n_points`` sampled lever points and the named policies on the same draws.

    Returns ``(per point table with a 'named' column, the points)``."""
    points = sample_levers(n_points, seed=sample_seed)
    for p in named:
        points[p] = policy_point(p)
    runs = run_points(points, draws, scenario=scenario, replicates=replicates, seed=seed,
                      overrides=overrides, cfg=cfg)
    table = point_means(runs)
    table["named"] = table["label"].isin(list(named))
    for k in LEVER_FIELDS:
        table[k] = [points[lab][k] for lab in table["label"]]
    for o in FRONTIER_OUTCOMES:
        table[f"on_frontier_{o}"] = pareto(table["mean_lead_cost"], table[o])
    return table, points


def at_equal_cost(table: pd.DataFrame, named, outcome: str) -> pd.DataFrame:
    """For each named policy: its cost and outcome, the best outcome any point reaches at no more
    cost, and the least cost at which any point reaches its outcome."""
    rows = []
    for p in named:
        r = table[table["label"] == p].iloc[0]
        cheaper = table[table["mean_lead_cost"] <= r["mean_lead_cost"]]
        best = cheaper.loc[cheaper[outcome].idxmax()]
        as_good = table[table[outcome] >= r[outcome]]
        least = as_good.loc[as_good["mean_lead_cost"].idxmin()]
        rows.append({"policy": p, "cost": r["mean_lead_cost"], "value": r[outcome],
                     "best_at_no_more_cost": best[outcome], "best_point": best["label"],
                     "least_cost_as_good": least["mean_lead_cost"], "least_point": least["label"],
                     "on_frontier": bool(r[f"on_frontier_{outcome}"])})
    return pd.DataFrame(rows)
