"""Which lever carries the difference between two policies: a one-lever-at-a-time walk, both ways.

Two named policies differ on several levers at once (:mod:`sim.analysis.levers`). This experiment
runs, on common random numbers (every point on the same draws of the uncertainties and the same
seeds), the points that separate them:

* the two endpoints (baseline and treatment);
* a **forward walk**: from the baseline, switch the differing levers to the treatment's setting one
  at a time, in the declared lever order; and a **reverse walk** in the opposite order. A lever's
  contribution in a walk is the paired change of the outcome at its step; the contributions of a
  walk add up to the total difference exactly, so two orders bracket the lever's share;
* each lever **alone** (the baseline with only that lever switched) and each lever **removed**
  (the treatment with only that lever switched back).

Where a lever's effect alone, its contributions in the two walks and its removal agree, it acts
on its own; where they differ, it works through the others (an interaction). The total
interaction is the total difference minus the sum of the levers' effects alone. Every number is a
mean of paired per-run differences with a 95% BCa bootstrap interval (:func:`sim.analysis.stats.bca_mean`).

    from sim.analysis.decompose import decompose
    d = decompose("immediate_burden_sharing", "load_shifting_first", draws, replicates=2)
    d.table        # lever x outcome: alone, forward, reverse, removed (mean, ci)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.levers import (differing_levers, lever, policy_point, run_points, with_lever)
from sim.analysis.outcomes import outcome as get_outcome
from sim.analysis.stats import bca_mean

__all__ = ["Decomposition", "decompose", "DECOMPOSITION_OUTCOMES", "walk_points"]

DECOMPOSITION_OUTCOMES = ("mean_ally_burden_share", "mean_effectiveness", "mean_lead_cost",
                          "total_exits")


@dataclass
class Decomposition:
    baseline: str
    treatment: str
    levers: list[str]
    points: dict[str, dict]            # label -> lever point
    runs: pd.DataFrame                 # one row per (label, point, replicate)
    table: pd.DataFrame                # lever x outcome
    totals: pd.DataFrame               # outcome: total difference, sum alone, interaction
    walks: dict[str, list[str]] = field(default_factory=dict)   # walk -> labels in order
    scenario: str = "baseline"

    def values(self, label: str, outcome: str) -> np.ndarray:
        r = self.runs[self.runs["label"] == label].sort_values(["point", "replicate"])
        return r[outcome].to_numpy(dtype=np.float64)


def walk_points(baseline: dict, treatment: dict, order: list[str]) -> list[dict]:
    """The points of a walk: the baseline, then one more lever switched at each step."""
    pts = [dict(baseline)]
    for name in order:
        pts.append(with_lever(pts[-1], name, treatment))
    return pts


def _key(point: dict) -> tuple:
    return tuple(sorted(point.items()))


def decompose(baseline: str, treatment: str, draws: pd.DataFrame | None = None, *,
              scenario: str = "baseline", replicates: int = 1, seed: int = 1,
              outcomes=DECOMPOSITION_OUTCOMES, overrides=(), order=None,
              conf_level: float = 0.95, cfg=None) -> Decomposition:
    """Run the walk from ``baseline`` to ``treatment`` (named policies, or ``(name, point)``
    pairs) and tabulate each lever's share of each outcome's difference.

    Args:
        draws: uncertainty draws (see :func:`sim.analysis.levers.run_points`).
        order: the forward order of the levers (default: declared order); the reverse walk takes
            the opposite order.
    """
    bname, bpt = (baseline, policy_point(baseline)) if isinstance(baseline, str) else baseline
    tname, tpt = (treatment, policy_point(treatment)) if isinstance(treatment, str) else treatment
    diff = differing_levers(bpt, tpt)
    if not diff:
        raise ValueError(f"{bname} and {tname} set every lever alike: nothing to decompose")
    forward = list(order) if order else diff
    if sorted(forward) != sorted(diff):
        raise ValueError(f"order {forward} must list exactly the differing levers {diff}")
    for o in outcomes:
        get_outcome(o)
    labels: dict[tuple, str] = {}
    points: dict[str, dict] = {}

    def add(label, pt):
        k = _key(pt)
        if k not in labels:
            labels[k] = label
            points[label] = pt
        return labels[k]

    add(bname, bpt)
    add(tname, tpt)
    walks = {}
    for wname, ordr in (("forward", forward), ("reverse", forward[::-1])):
        seq = walk_points(bpt, tpt, ordr)
        walks[wname] = [add(f"{wname}:{'+'.join(ordr[:i])}" if i else bname, p)
                        for i, p in enumerate(seq)]
    alone = {n: add(f"alone:{n}", with_lever(bpt, n, tpt)) for n in diff}
    removed = {n: add(f"removed:{n}", with_lever(tpt, n, bpt)) for n in diff}
    runs = run_points(points, draws, scenario=scenario, start_policy=bname,
                      replicates=replicates, seed=seed, overrides=overrides, cfg=cfg)
    dec = Decomposition(bname, tname, diff, points, runs, pd.DataFrame(), pd.DataFrame(), walks,
                        runs.attrs["scenario"])

    def v(label, o):
        return dec.values(label, o)

    rows, totals = [], []
    seed_i = 0
    for o in outcomes:
        total = v(tname, o) - v(bname, o)
        tm, tlo, thi = bca_mean(total, seed=seed_i, conf_level=conf_level)
        contrib = {}
        for wname, ordr in (("forward", forward), ("reverse", forward[::-1])):
            labs = walks[wname]
            for i, n in enumerate(ordr):
                contrib[(wname, n)] = v(labs[i + 1], o) - v(labs[i], o)
        sum_alone = np.zeros_like(total)
        for n in diff:
            a = v(alone[n], o) - v(bname, o)
            r = v(tname, o) - v(removed[n], o)
            sum_alone += a
            row = {"outcome": o, "lever": n, "lever_label": lever(n).label,
                   "total": tm}
            for kind, d in (("alone", a), ("forward", contrib[("forward", n)]),
                            ("reverse", contrib[("reverse", n)]), ("removed", r),
                            ("order_gap", contrib[("forward", n)] - contrib[("reverse", n)])):
                seed_i += 1
                m, lo, hi = bca_mean(d, seed=seed_i, conf_level=conf_level)
                row[kind], row[f"{kind}_low"], row[f"{kind}_high"] = m, lo, hi
            row["share_of_total"] = ((row["forward"] + row["reverse"]) / 2 / tm
                                     if tm != 0 else np.nan)
            rows.append(row)
        seed_i += 1
        im, ilo, ihi = bca_mean(total - sum_alone, seed=seed_i, conf_level=conf_level)
        totals.append({"outcome": o, "baseline_mean": v(bname, o).mean(),
                       "treatment_mean": v(tname, o).mean(), "total": tm, "total_low": tlo,
                       "total_high": thi, "sum_alone": sum_alone.mean(), "interaction": im,
                       "interaction_low": ilo, "interaction_high": ihi, "n_pairs": len(total)})
    dec.table = pd.DataFrame(rows)
    dec.totals = pd.DataFrame(totals)
    return dec
