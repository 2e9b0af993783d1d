"""Time per run of the two drivers, side by side in one process.

Baseline scenario, 30 allies x 120 steps (the defaults). The Mesa model runs agent by agent
(``--mesa-runs`` runs, DataCollector on, as a user would run it); the ensemble advances
``--runs`` runs together. Prints seconds per run for each and their ratio.

    .venv/bin/python benchmarks/bench_drivers.py [--runs 1000] [--mesa-runs 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from sim.config import compose
from sim.drivers.ensemble import Ensemble
from sim.drivers.mesa import CoalitionModel


def time_mesa(cfg, n):
    t0 = time.perf_counter()
    for k in range(n):
        CoalitionModel(config=cfg, rng=1, run=k).run_to_end()
    return (time.perf_counter() - t0) / n


def time_ensemble(cfg, n):
    t0 = time.perf_counter()
    Ensemble(cfg, seeds=1, runs=range(n)).run()
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000, help="ensemble size R")
    ap.add_argument("--mesa-runs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3, help="alternate the two this many times")
    ap.add_argument("--policy", default="load_shifting_first")
    args = ap.parse_args()
    cfg = compose(["scenario=baseline", f"policy={args.policy}"])
    w = cfg.scenario
    time_ensemble(cfg, 10)                       # warm-up (imports, caches)
    mesa, ens = [], []
    for _ in range(args.repeat):                 # interleaved, so both see the same machine load
        mesa.append(time_mesa(cfg, args.mesa_runs))
        ens.append(time_ensemble(cfg, args.runs))
    m, e = min(mesa), min(ens)
    ally_steps = w.allies.n * w.horizon
    out = {
        "scenario": w.name, "allies": w.allies.n + len(w.allies.roster), "steps": w.horizon,
        "policy": args.policy, "machine": platform.machine(), "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa_seconds_per_run": m, "ensemble_seconds_per_run": e, "ensemble_runs": args.runs,
        "speedup": m / e,
        "mesa_us_per_ally_step": 1e6 * m / ally_steps,
        "ensemble_us_per_ally_step": 1e6 * e / ally_steps,
        "all_mesa": mesa, "all_ensemble": ens,
    }
    print(f"Mesa model (agent by agent): {m * 1e3:9.2f} ms per run  "
          f"({out['mesa_us_per_ally_step']:.2f} us per ally-step)")
    print(f"Ensemble (R={args.runs}):       {e * 1e3:9.3f} ms per run  "
          f"({out['ensemble_us_per_ally_step']:.3f} us per ally-step)")
    print(f"ratio Mesa / ensemble:       {m / e:9.1f}x")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
