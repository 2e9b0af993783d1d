"""Run one scenario under one lead policy: ``python -m sim.run scenario=baseline policy=steady seed=1``.

Any Hydra override works (``trust.asymmetry=4``, ``driver=mesa``, ``scenario.horizon=60``, ...).
Writes into Hydra's output folder:

* ``steps.parquet``: one row per step (coalition-wide values);
* ``missions.parquet``: one row per step and mission;
* ``allies.parquet``: one row per step and ally;
* ``summary.parquet``: one row (the run's summaries);
* ``manifest.json``: the resolved config, its hash, versions, git commit and CPU features.

Bad input stops before the run starts, with one message naming the key, the value and what is
allowed (exit code 2).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config import CONFIG_DIR, ConfigError, RunConfig, register_configs, to_config
from sim.config.compose import refuse_timeline_override
from sim.experiments.io import manifest, write_json, write_parquet

log = logging.getLogger("sim.run")
logging.getLogger("MESA").setLevel(logging.WARNING)


def simulate(cfg: RunConfig):
    """Run one configuration with the chosen driver; return the tidy tables
    ``(steps, missions, allies, summary)`` as DataFrames (``allies`` None unless recorded)."""
    if cfg.driver == "ensemble":
        from sim.drivers.ensemble import Ensemble

        res = Ensemble(cfg, seeds=cfg.seed, runs=[cfg.run], record_allies=cfg.output.allies).run()
    else:
        from sim.drivers.mesa import CoalitionModel

        res = CoalitionModel(config=cfg, collect_allies=False).run_to_end().results()
    steps = res.step_frame()
    missions = res.mission_frame()
    allies = res.ally_frame() if cfg.output.allies else None
    summary = res.summary
    for df in (steps, missions, allies, summary):
        if df is not None:
            df.insert(1, "policy_start", cfg.policy.name)
            if "scenario" not in df.columns:
                df.insert(0, "scenario", cfg.scenario.name)
    return steps, missions, allies, summary


def _print_summary(cfg: RunConfig, summary, seconds: float, out: Path) -> None:
    row = summary.iloc[0]
    lines = [
        f"scenario {cfg.scenario.name} | policy {cfg.policy.name} | seed {cfg.seed} run {cfg.run} "
        f"| {cfg.scenario.horizon} months | driver {cfg.driver} | {seconds:.2f} s",
        f"  allies' share of the burden at the end   {row.final_ally_burden_share:6.3f}",
        f"  coalition members: peak {row.peak_members:.0f}, end {row.final_members:.0f}; "
        + (f"below half the peak after {row.months_to_half_peak:.0f} months"
           if row.half_peak_reached else "never below half the peak"),
        f"  mean mission effectiveness               {row.mean_effectiveness:6.3f}",
        f"  final threat                             {row.final_threat:6.3f}",
        f"  final trust (combined / leader / country) {row.final_trust:.3f} / "
        f"{row.final_trust_leader:.3f} / {row.final_trust_country:.3f}",
        f"  local partner capacity at the end        {row.final_partner_capacity:6.3f}",
        f"  exits {row.total_exits:.0f}, reversals {row.total_reversals:.0f}, "
        f"attacks {row.total_attacks:.0f}",
        f"  results: {out}",
    ]
    print("\n".join(lines), flush=True)


register_configs()


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def main(dcfg: DictConfig) -> None:
    try:
        refuse_timeline_override(HydraConfig.get().overrides.task)
        cfg = to_config(dcfg)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    out = Path(HydraConfig.get().runtime.output_dir)
    t0 = time.perf_counter()
    steps, missions, allies, summary = simulate(cfg)
    seconds = time.perf_counter() - t0
    if cfg.output.trajectories:
        write_parquet(steps, out / "steps.parquet")
        write_parquet(missions, out / "missions.parquet")
    if allies is not None:
        write_parquet(allies, out / "allies.parquet")
    write_parquet(summary, out / "summary.parquet")
    write_json(manifest(cfg, driver=cfg.driver, seconds=seconds,
                        files=sorted(p.name for p in out.glob("*.parquet"))),
               out / "manifest.json")
    if not cfg.output.quiet:
        _print_summary(cfg, summary, seconds, out)

