"""Ablation: what each mechanism does to the headline outcomes, measured, with paired intervals.

For every shipped policy and every switch of ``mechanisms.*`` (``sim/config/schema.py``:
``MechanismsConfig``), the same runs (same seeds and replicate numbers: common random numbers) are
made with the mechanism on and off, in one ensemble; the table gives each outcome's mean with the
mechanism on, off, and the paired difference (off - on) with a BCa bootstrap interval
(``scipy.stats.bootstrap``). A mechanism whose switch moves nothing is not in the model.

Outcomes are uncensored per-run numbers: the allies' mean burden share, final members, total exits
and final trust (months to half the peak is censored at the horizon, so it is not here).

    from sim.analysis.ablation import ablation_table
    ablation_table(runs=100)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import compose, policy_names
from sim.config.schema import MechanismsConfig
from sim.drivers.ensemble import Ensemble

__all__ = ["MECHANISMS", "ABLATION_OUTCOMES", "ablation_table"]

MECHANISMS = tuple(f.name for f in dataclasses.fields(MechanismsConfig))
ABLATION_OUTCOMES = ("mean_ally_burden_share", "final_members", "total_exits", "final_trust")


def _interval(d: np.ndarray, seed: int) -> tuple[float, float]:
    if np.all(d == d[0]):                       # no spread: the interval is the point
        return float(d[0]), float(d[0])
    res = stats.bootstrap((d,), np.mean, method="BCa", n_resamples=2000,
                          random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def ablation_table(runs: int = 100, *, scenario: str = "baseline", policies=None,
                   mechanisms=MECHANISMS, outcomes=ABLATION_OUTCOMES, seed: int = 11,
                   overrides=()) -> pd.DataFrame:
    """One row per (policy, mechanism, outcome): mean with the mechanism on, off, the paired
    difference off - on and its 95% BCa interval over ``runs`` paired runs."""
    rows = []
    for policy in policies or policy_names():
        cfg = compose([f"scenario={scenario}", f"policy={policy}", *overrides])
        blocks = 1 + len(mechanisms)
        varied = {f"mechanisms.{m}": np.ones(runs * blocks) for m in mechanisms}
        for k, m in enumerate(mechanisms, start=1):
            varied[f"mechanisms.{m}"][k * runs:(k + 1) * runs] = 0.0
        res = Ensemble(cfg, seeds=seed, runs=np.tile(np.arange(runs), blocks), varied=varied,
                       light=True).run()
        for k, m in enumerate(mechanisms, start=1):
            for out in outcomes:
                v = np.asarray(res.summary_arrays[out], dtype=np.float64)
                on, off = v[:runs], v[k * runs:(k + 1) * runs]
                d = off - on
                lo, hi = _interval(d, seed)
                rows.append({"scenario": scenario, "policy": policy, "mechanism": m,
                             "outcome": out, "on": float(on.mean()), "off": float(off.mean()),
                             "difference": float(d.mean()), "ci_low": lo, "ci_high": hi,
                             "runs": runs})
    return pd.DataFrame(rows)
