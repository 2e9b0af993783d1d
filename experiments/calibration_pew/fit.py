"""Fit the trust defaults to Pew's Global Attitudes series on the `durability_pew` scenario.

    .venv/bin/python experiments/calibration_pew/fit.py [--points 3000] [--replicates 16]

Targets (docs/references.md, "Opinion of the lead across administrations"): median confidence in
the US president (read as the allies' mean leader trust) and median favourable view of the US (read
as mean country trust) in the spring of 2016, 2017, 2018, 2020 (summer) and 2021. The steady
administrations' stance is fitted too (``policy.stance`` of the run's policy, `steady`); the
impulsive administration's stance stays as declared in configs/policy/impulsive.yaml. Stage 1 evaluates
a Latin hypercube of parameter points, one run each, in a single ensemble; stage 2 re-runs the best
points with replicates; stage 3 refines the best with Nelder-Mead on the same replicates. Writes `fit.json` and
`fit.csv` (the ranked points) beside this file; the chosen values become the schema's defaults by
hand (sim/config/schema.py), with the reason in CHANGELOG.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.config import compose
from sim.drivers.ensemble import Ensemble

HERE = Path(__file__).resolve().parent
# step = months since 2008-12 (step 1 = 2009-01)
SURVEYS = {"2016-04": 88, "2017-04": 100, "2018-04": 112, "2020-07": 139, "2021-04": 148}
CONFIDENCE = np.array([0.64, 0.22, 0.27, 0.17, 0.75])     # Pew: median confidence in the president
FAVOURABLE = np.array([0.64, 0.49, 0.50, 0.34, 0.62])     # Pew: median favourable view of the US
PARAMETERS = {
    "trust.stance_weight": (0.0, 20.0),
    "trust.stance_rate": (0.0, 1.0),
    "trust.leader_carry": (0.0, 1.0),
    "trust.country_weight": (0.0, 1.0),
    "trust.keep_weight": (0.0, 0.3),
    "trust.forgetting_leader": (0.8, 0.99),
    "trust.forgetting_country_bad": (0.9, 0.999),
    "policy.stance": (0.3, 1.0),        # the steady administrations' (2009-16, 2021-22) stance
}


def simulate(values: dict[str, np.ndarray], runs: np.ndarray, seed: int = 3):
    cfg = compose(["scenario=durability_pew", "policy=steady"])
    res = Ensemble(cfg, seeds=seed, runs=runs, varied=values, light=True).run()
    steps = list(SURVEYS.values())
    return res.steps["trust_leader"][steps].T, res.steps["trust_country"][steps].T  # (R, 5)


def loss(leader, country):
    return ((leader - CONFIDENCE) ** 2).sum(axis=-1) + ((country - FAVOURABLE) ** 2).sum(axis=-1)


def refine(x0, names, lo, hi, reps):
    """Nelder-Mead from the best point, on fixed replicates (common random numbers make the
    objective deterministic); returns a row like stage 2's."""
    from scipy.optimize import minimize

    runs = np.arange(reps) + 100000

    def evaluate(x):
        x = np.clip(x, lo, hi)
        lm, cm = (v.mean(axis=0) for v in simulate({n: np.full(reps, x[k])
                                                    for k, n in enumerate(names)}, runs))
        return lm, cm

    def objective(x):
        return float(loss(*evaluate(x)))

    opt = minimize(objective, x0, method="Nelder-Mead",
                   options={"maxfev": 400, "xatol": 1e-3, "fatol": 1e-5})
    x = np.clip(opt.x, lo, hi)
    lm, cm = evaluate(x)
    return pd.Series({**{n: x[k] for k, n in enumerate(names)}, "loss": float(loss(lm, cm)),
                      **{f"leader_{d}": v for d, v in zip(SURVEYS, lm)},
                      **{f"country_{d}": v for d, v in zip(SURVEYS, cm)}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=3000)
    ap.add_argument("--best", type=int, default=30)
    ap.add_argument("--replicates", type=int, default=16)
    args = ap.parse_args()
    names = list(PARAMETERS)
    u = qmc.LatinHypercube(d=len(names), seed=7).random(args.points)
    lo = np.array([PARAMETERS[n][0] for n in names])
    hi = np.array([PARAMETERS[n][1] for n in names])
    x = lo + (hi - lo) * u
    lead, country = simulate({n: x[:, k] for k, n in enumerate(names)}, np.arange(args.points))
    first = loss(lead, country)
    order = np.argsort(first)[:args.best]
    rows = []
    for i in order:
        reps = args.replicates
        vals = {n: np.full(reps, x[i, k]) for k, n in enumerate(names)}
        l2, c2 = simulate(vals, np.arange(reps) + 100000)
        lm, cm = l2.mean(axis=0), c2.mean(axis=0)
        rows.append({**{n: x[i, k] for k, n in enumerate(names)}, "loss": float(loss(lm, cm)),
                     **{f"leader_{d}": v for d, v in zip(SURVEYS, lm)},
                     **{f"country_{d}": v for d, v in zip(SURVEYS, cm)}})
    df = pd.DataFrame(rows).sort_values("loss").reset_index(drop=True)
    df.to_csv(HERE / "fit.csv", index=False)
    best = refine(df.iloc[0][names].to_numpy(dtype=float), names, lo, hi, args.replicates)
    out = {"parameters": {n: round(float(best[n]), 4) for n in names},
           "loss": float(best["loss"]),
           "leader": {d: round(float(best[f"leader_{d}"]), 3) for d in SURVEYS},
           "country": {d: round(float(best[f"country_{d}"]), 3) for d in SURVEYS},
           "pew_confidence": dict(zip(SURVEYS, CONFIDENCE.tolist())),
           "pew_favourable": dict(zip(SURVEYS, FAVOURABLE.tolist())),
           "stage1_points": args.points, "stage2_replicates": args.replicates}
    (HERE / "fit.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
