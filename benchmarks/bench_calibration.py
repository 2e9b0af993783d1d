"""Simulations per second of the shipped calibrations, measured side by side in one run.

    .venv/bin/python benchmarks/bench_calibration.py [--runs 1000] [--names sahel syria pew]

For each shipped calibration: its simulator (the ensemble plus the targets' statistics) on
``--runs`` prior draws, one run at a time (what pyABC's own samplers do: one model call per
particle), in batches of 500 on one process, and in batches over two worker processes. Prints
simulations per second and the ratios. A 10^6-simulation ABC-SMC run takes 10^6 / (this rate)
seconds of simulation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def measure(name: str, runs: int, single: int) -> dict:
    from sim.analysis.calibration.smc import Simulator
    from sim.analysis.calibration.spec import load_spec
    from sim.analysis.calibration.targets import load_history
    from sim.config import compose

    spec = load_spec(f"experiments/calibration_{name}/config.yaml")
    cfg = compose(spec.overrides)
    hist = load_history(spec.history, spec.targets, start=cfg.scenario.start,
                        horizon=cfg.scenario.horizon)
    g = np.random.default_rng(1)
    values = {p: pr.natural().rvs(runs, random_state=g) for p, pr in spec.priors.items()}
    out = {}
    for label, batch, workers, n in (("one at a time", 1, 1, single), ("batch 500", 500, 1, runs),
                                     ("batch 500, 2 workers", 500, 2, runs)):
        sim = Simulator(spec.overrides, 1, spec.targets, hist, batch=batch, workers=workers)
        v = {p: x[:n] for p, x in values.items()}
        if workers > 1:                      # start the pool outside the timing
            sim.run({p: x[:4] for p, x in values.items()}, np.arange(4))
        t0 = time.perf_counter()
        sim.run(v, np.arange(n))
        out[label] = n / (time.perf_counter() - t0)
        sim.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--single", type=int, default=50, help="runs timed one at a time")
    ap.add_argument("--names", nargs="+", default=["sahel", "syria", "pew"])
    args = ap.parse_args()
    print(f"{'calibration':<12} {'one at a time':>14} {'batch 500':>10} {'2 workers':>10} "
          f"{'batch/one':>10} {'2w/1w':>7} {'10^6 sims (2w)':>15}")
    for name in args.names:
        r = measure(name, args.runs, args.single)
        one, b, w = r["one at a time"], r["batch 500"], r["batch 500, 2 workers"]
        print(f"{name:<12} {one:>12.1f}/s {b:>8.0f}/s {w:>8.0f}/s {b / one:>9.1f}x "
              f"{w / b:>6.2f}x {1e6 / w / 60:>12.0f} min")


if __name__ == "__main__":
    main()
