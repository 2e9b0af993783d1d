"""Memory and time per step at 10^3, 10^4 and 10^5 allies, side by side in one run.

The baseline scenario with ``scenario.allies.n`` set to each size (its small-world network, k=4),
one run. Each size runs in a fresh process (so its peak memory is its own), one after another in
this one command, for both drivers: the ensemble (``Ensemble``, one run) and the Mesa model
(``CoalitionModel``, one agent per ally, ``collect_allies=False``), plus the explorer's network
figure on the Mesa model. Prints, per size and driver: set-up seconds, seconds per step (the
median of ``--steps`` steps), peak resident memory (``ru_maxrss``), the network's sparse storage
and the dense N x N array it replaces; then the ratios against the smallest size.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1000 10000 100000] [--steps 12]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import statistics
import time


def _measure(driver: str, n: int, steps: int, queue) -> None:
    import numpy as np

    from sim.config import compose

    cfg = compose(["scenario=baseline", f"scenario.allies.n={n}",
                   f"scenario.horizon={steps}"])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if driver == "ensemble":
        from sim.drivers.ensemble import Ensemble
        model = Ensemble(cfg, seeds=1, runs=[0])
        step, world = model.step, model.world
    else:
        from sim.drivers.mesa import CoalitionModel
        model = CoalitionModel(config=cfg, rng=1, run=0, collect_allies=False)
        step, world = model.step, model.world
    setup = time.perf_counter() - t0
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    out = {"driver": driver, "allies": world.n_allies, "steps": steps, "setup_s": setup,
           "step_s": statistics.median(times),
           "network_bytes": int(world.neighbours.data.nbytes + world.neighbours.indices.nbytes
                                + world.neighbours.indptr.nbytes),
           "dense_network_bytes": 8 * world.n_allies ** 2,
           "edges": int(world.neighbours.nnz // 2),
           "mean_trust": float(np.mean(model.state.allies.trust))}
    if driver == "mesa":
        from sim.app.explorer import network_figure
        t = time.perf_counter()
        network_figure(model)
        out["network_figure_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["import_rss_mb"] = base / 1024
    queue.put(out)


def measure(driver: str, n: int, steps: int) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_measure, args=(driver, n, steps, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--steps", type=int, default=12)
    args = ap.parse_args()
    rows = [measure(d, n, args.steps) for n in args.sizes for d in ("ensemble", "mesa")]
    print(f"{'driver':9} {'allies':>7} {'setup s':>8} {'s/step':>9} {'us/ally-step':>13} "
          f"{'peak MB':>8} {'net MB':>7} {'dense MB':>10} {'fig s':>6}")
    for r in rows:
        print(f"{r['driver']:9} {r['allies']:>7} {r['setup_s']:>8.2f} {r['step_s']:>9.4f} "
              f"{1e6 * r['step_s'] / r['allies']:>13.2f} {r['peak_rss_mb']:>8.0f} "
              f"{r['network_bytes'] / 2**20:>7.2f} {r['dense_network_bytes'] / 2**20:>10.0f} "
              + (f"{r['network_figure_s']:>6.2f}" if "network_figure_s" in r else f"{'':>6}"))
    for d in ("ensemble", "mesa"):
        mine = [r for r in rows if r["driver"] == d]
        small = mine[0]
        for r in mine[1:]:
            print(f"{d}: {r['allies']}/{small['allies']} allies = "
                  f"{r['allies'] / small['allies']:.0f}x -> time per step "
                  f"{r['step_s'] / small['step_s']:.1f}x, peak memory "
                  f"{r['peak_rss_mb'] / small['peak_rss_mb']:.2f}x")
    print(json.dumps({"machine": platform.machine(), "python": platform.python_version(),
                      "rows": rows}))


if __name__ == "__main__":
    main()
