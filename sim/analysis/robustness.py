"""How each policy fares across the uncertainties: regret and satisficing (robustness metrics).

For each design point of a sweep (one draw of the uncertain parameters; replicates averaged) and
each policy, an outcome is oriented so that higher is better. Following the robustness metrics of
the EMA Workbench literature (Kwakkel, Eker & Pruyt 2016; McPhail et al. 2018):

* **regret** of a policy at a point is how far it falls short of the best policy at that point;
  we report its mean, 90th percentile and maximum (minimax regret: Savage 1951);
* **satisficing** is the share of points where the policy meets a stated threshold (Starr 1963;
  the domain criterion);
* the 10th percentile of the outcome (a pessimistic, percentile-based metric).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.outcomes import outcome as get_outcome

__all__ = ["per_point", "robustness_table", "ROBUSTNESS_OUTCOMES"]

# outcome -> satisficing threshold (stated in the report)
ROBUSTNESS_OUTCOMES = {
    "mean_ally_burden_share": 0.3,
    "mean_effectiveness": 0.6,
    "effectiveness_per_1000": 0.05,
}


def per_point(df: pd.DataFrame) -> pd.DataFrame:
    """Per (policy, point) means of a collected sweep, with effectiveness per 1,000 troop-equivalents
    of monthly lead cost."""
    g = df.groupby(["policy", "point"])
    out = g[["mean_ally_burden_share", "mean_effectiveness", "mean_lead_cost",
             "half_peak_reached", "total_exits"]].mean()
    out["effectiveness_per_1000"] = out["mean_effectiveness"] / out["mean_lead_cost"] * 1000
    return out.reset_index()


def _sign(name: str) -> int:
    if name == "effectiveness_per_1000":
        return 1
    return get_outcome(name).sign


def robustness_table(points: pd.DataFrame, outcomes: dict = ROBUSTNESS_OUTCOMES) -> pd.DataFrame:
    """One row per (outcome, policy): mean, 10th percentile, regret (mean, 90th percentile, max)
    and the satisficing share at the stated threshold."""
    rows = []
    for name, threshold in outcomes.items():
        wide = points.pivot(index="point", columns="policy", values=name)
        s = _sign(name)
        oriented = s * wide
        regret = oriented.max(axis=1).to_numpy()[:, None] - oriented.to_numpy()
        for j, pol in enumerate(wide.columns):
            v = wide[pol].to_numpy()
            ok = v >= threshold if s > 0 else v <= threshold
            rows.append({"outcome": name, "policy": pol, "mean": v.mean(),
                         "p10": np.quantile(v, 0.1 if s > 0 else 0.9),
                         "mean_regret": regret[:, j].mean(),
                         "p90_regret": np.quantile(regret[:, j], 0.9),
                         "max_regret": regret[:, j].max(), "threshold": threshold,
                         "satisficing": ok.mean(), "best_share": (regret[:, j] == 0).mean(),
                         "points": len(v)})
    return pd.DataFrame(rows)
