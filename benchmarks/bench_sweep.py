"""Sweep performance, measured side by side in one run (issue: scenario sweeps at scale).

Standard workload: the baseline scenario, 30 allies x 120 steps, one policy, summaries only.
Prints each figure and its ratio against the goal, then one JSON line:

1. the sweep's runs/s (10,000 runs, 2 processes, joblib) against ``mesa.batch_run(CoalitionModel,
   ..., number_processes=2)`` on a subset of the same runs (goal: at least 25x);
2. the same sweep with 1 process (goal: 2 processes take at most 0.6x the time);
3. runs/s at 10^5 runs against 10^4 (goal: at least 0.9x), and the fixed cost of a one-run sweep;
4. peak memory of the 10^5-run summary sweep, all its processes together (goal: under 2 GiB);
5. the ensemble's cost per ally-step at 30 and 1,000 allies against Mesa's own BoltzmannWealth
   example per agent-step at the same agent count (goal: at most 1/30).

    .venv/bin/python benchmarks/bench_sweep.py [--quick]

``--quick`` scales every workload down 10x (for trying the script, not for the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            pages = int((d / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        p = int(d.name)
        children.setdefault(ppid, []).append(p)
        rss[p] = pages * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def sweep(runs: int, procs: int, folder: Path, chunk: int) -> dict:
    """Run a sweep in a subprocess; return seconds, runs/s and the peak memory of its process tree."""
    args = [PY, "-m", "sim.sweep", "sweep.name=bench", f"sweep.dir={folder}",
            "sweep.policies=[load_shifting_first]", "sweep.sampler=grid", "sweep.samples=1",
            f"sweep.replicates={runs}", f"sweep.chunk_size={chunk}", "sweep.progress=none"]
    if procs > 1:
        args += ["hydra/launcher=cores", f"hydra.launcher.n_jobs={procs}"]
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    done = threading.Event()

    def poll():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.2)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    th.join()
    if proc.returncode != 0:
        raise RuntimeError(f"sweep failed: {err[-2000:]}")
    return {"runs": runs, "procs": procs, "seconds": seconds, "runs_per_s": runs / seconds,
            "peak_rss_gib": peak / 2**30}


def batch_run_rate(n: int, procs: int) -> float:
    code = f"""
import time
from mesa.batchrunner import batch_run
from sim.drivers.mesa import CoalitionModel
if __name__ == "__main__":
    t = time.perf_counter()
    batch_run(CoalitionModel, {{"scenario": "baseline", "policy": "load_shifting_first",
              "collect_allies": False}}, number_processes={procs}, rng=list(range({n})),
              max_steps=1000, display_progress=False)
    print(time.perf_counter() - t)
"""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, dir=ROOT) as f:
        f.write(code)
    try:
        out = subprocess.run([PY, f.name], cwd=ROOT, capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    return n / float(out.stdout.strip().splitlines()[-1])


def per_agent_step(n_allies: int, runs: int) -> tuple[float, float]:
    """(ensemble us per ally-step, BoltzmannWealth us per agent-step) at the same agent count."""
    code = f"""
import math, time
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth, BoltzmannScenario
from sim.config import compose
from sim.drivers.ensemble import Ensemble
n, R = {n_allies}, {runs}
cfg = compose(["scenario=baseline", f"scenario.allies.n={{n}}", "policy=load_shifting_first"])
Ensemble(cfg, seeds=1, runs=range(2)).run()
ens = []
bolt = []
side = max(10, int(math.sqrt(n)) + 1)
for _ in range(3):
    t = time.perf_counter(); Ensemble(cfg, seeds=1, runs=range(R), light=True).run()
    ens.append((time.perf_counter() - t) / (R * n * cfg.scenario.horizon))
    m = BoltzmannWealth(BoltzmannScenario(n=n, width=side, height=side, rng=1))
    steps = max(20, 20000 // n)
    t = time.perf_counter()
    for _ in range(steps):
        m.step()
    bolt.append((time.perf_counter() - t) / (n * steps))
print(min(ens) * 1e6, min(bolt) * 1e6)
"""
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    e, b = map(float, out.stdout.strip().splitlines()[-1].split())
    return e, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    k = 10 if args.quick else 1
    res: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        one = sweep(1, 1, tmp / "one", 1)
        # one chunk per process for 10^4 runs; 10^5 runs in chunks of 5,000 (a chunk advances
        # at most 1,000 runs at a time, so memory does not grow with the chunk)
        s2 = sweep(10_000 // k, 2, tmp / "s2", 5000 // k)
        s1 = sweep(10_000 // k, 1, tmp / "s1", 5000 // k)
        big = sweep(100_000 // k, 2, tmp / "big", 5000 // k)
    n_batch = 200 // k
    br = batch_run_rate(n_batch, 2)
    e30, b30 = per_agent_step(30, 1000 // k)
    e1k, b1k = per_agent_step(1000, 40 // min(k, 4))
    res = {
        "one_run_sweep_seconds": one["seconds"],
        "sweep_10k_2proc": s2, "sweep_10k_1proc": s1, "sweep_100k_2proc": big,
        "batch_run_runs_per_s": br, "batch_run_runs": n_batch,
        "speedup_vs_batch_run": s2["runs_per_s"] / br,
        "two_vs_one_process_time": s2["seconds"] / s1["seconds"],
        "runs_per_s_100k_vs_10k": big["runs_per_s"] / s2["runs_per_s"],
        "peak_memory_100k_gib": big["peak_rss_gib"],
        "ensemble_us_per_ally_step_30": e30, "boltzmann_us_per_agent_step_30": b30,
        "ratio_30": e30 / b30,
        "ensemble_us_per_ally_step_1000": e1k, "boltzmann_us_per_agent_step_1000": b1k,
        "ratio_1000": e1k / b1k,
        "quick": args.quick,
    }

    def line(label, value, goal, ok):
        print(f"{label:58s} {value:>12s}   goal {goal:14s} {'met' if ok else 'NOT MET'}")

    line("sweep runs/s vs batch_run (2 processes)",
         f"{res['speedup_vs_batch_run']:.0f}x", ">= 25x", res["speedup_vs_batch_run"] >= 25)
    print(f"    sweep {s2['runs_per_s']:.0f} runs/s; batch_run {br:.2f} runs/s on {n_batch} runs")
    line("time with 2 processes / time with 1", f"{res['two_vs_one_process_time']:.2f}", "<= 0.6",
         res["two_vs_one_process_time"] <= 0.6)
    line("runs/s at 10^5 / runs/s at 10^4", f"{res['runs_per_s_100k_vs_10k']:.2f}", ">= 0.9",
         res["runs_per_s_100k_vs_10k"] >= 0.9)
    print(f"    10^4: {s2['runs_per_s']:.0f} runs/s; 10^5: {big['runs_per_s']:.0f} runs/s; "
          f"one-run sweep: {one['seconds']:.2f} s fixed cost")
    line("peak memory of the 10^5-run summary sweep (all processes)",
         f"{res['peak_memory_100k_gib']:.2f} GiB", "< 2 GiB", res["peak_memory_100k_gib"] < 2)
    line("ensemble per ally-step / BoltzmannWealth per agent-step, 30",
         f"1/{1 / res['ratio_30']:.1f}", "<= 1/30", res["ratio_30"] <= 1 / 30)
    print(f"    ensemble {e30:.3f} us; BoltzmannWealth {b30:.2f} us")
    line("ensemble per ally-step / BoltzmannWealth per agent-step, 1000",
         f"1/{1 / res['ratio_1000']:.1f}", "<= 1/30", res["ratio_1000"] <= 1 / 30)
    print(f"    ensemble {e1k:.3f} us; BoltzmannWealth {b1k:.2f} us")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
