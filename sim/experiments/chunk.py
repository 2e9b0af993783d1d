"""One Hydra job of a sweep: run one chunk of the design in one ensemble and write its tables.

Launched by :mod:`sim.sweep` as a Hydra multirun over chunk numbers, so any launcher runs it (the
basic launcher, joblib, submitit, Ray). A chunk writes ``chunks/chunk-NNNNNN/`` with
``summary.parquet`` (one row per run), optionally ``steps.parquet`` and ``missions.parquet`` (per run
and step), each under a temporary name renamed when complete, and ``done.json`` last: a chunk is
complete exactly when ``done.json`` exists. A chunk that fails writes ``error.json`` instead (which
runs, and the traceback) and the job still returns, so the other chunks go on.

Fault injection for tests: ``COALITION_FAULT_CHUNKS=3,5`` makes chunks 3 and 5 fail.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.config import CONFIG_DIR, register_configs, to_config
from sim.experiments.io import write_json, write_parquet

ID_COLUMNS = ("run_id", "scenario", "policy", "point", "replicate", "seed", "run")
ENSEMBLE_BATCH = 1000   # runs advanced together; memory grows with it, speed hardly beyond


def chunk_dir(sweep_dir: Path, k: int) -> Path:
    return Path(sweep_dir) / "chunks" / f"chunk-{k:06d}"


def is_done(sweep_dir: Path, k: int) -> bool:
    return (chunk_dir(sweep_dir, k) / "done.json").exists()


def load_sweep(sweep_dir: Path) -> dict:
    return json.loads((Path(sweep_dir) / "sweep.json").read_text())


def run_chunk(sweep_dir: Path, k: int) -> dict:
    """Run chunk ``k`` of the sweep in ``sweep_dir`` unless it is already complete."""
    from sim.drivers.ensemble import Ensemble

    sweep_dir = Path(sweep_dir)
    out = chunk_dir(sweep_dir, k)
    if (out / "done.json").exists():
        return json.loads((out / "done.json").read_text())
    meta = load_sweep(sweep_dir)
    first, stop = meta["chunks"][k]
    # row groups hold chunk_size runs: read only the ones this chunk needs
    part = pd.read_parquet(sweep_dir / "design" / "runs.parquet",
                           filters=[("run_id", ">=", first), ("run_id", "<", stop)])
    t0 = time.perf_counter()
    try:
        faults = os.environ.get("COALITION_FAULT_CHUNKS", "")
        if str(k) in [x.strip() for x in faults.split(",") if x.strip()]:
            raise RuntimeError(f"fault injected in chunk {k} (COALITION_FAULT_CHUNKS)")
        scenario = part["scenario"].iloc[0]
        cfg = to_config(meta["configs"][scenario])
        params = meta["parameters"]
        trajectories = meta["sweep"]["trajectories"]
        summaries, steps, missions = [], [], []
        for lo in range(0, len(part), ENSEMBLE_BATCH):   # bounded memory whatever the chunk size
            sub = part.iloc[lo:lo + ENSEMBLE_BATCH]
            res = Ensemble(cfg, seeds=sub["seed"].to_numpy(), runs=sub["run"].to_numpy(),
                           varied={p: sub[p].to_numpy() for p in params},
                           policies=sub["policy"].tolist(), light=not trajectories).run()
            ids = sub[list(ID_COLUMNS) + list(params)].reset_index(drop=True)
            summaries.append(pd.concat([ids, pd.DataFrame(res.summary_arrays)], axis=1))
            if trajectories:
                t1, m = res.world.horizon + 1, res.world.n_missions
                run_ids = sub["run_id"].to_numpy()
                st = res.step_frame().drop(columns=["seed", "run"])
                st.insert(0, "run_id", np.tile(run_ids, t1))
                ms = res.mission_frame().drop(columns=["seed", "run"])
                ms.insert(0, "run_id", np.tile(np.repeat(run_ids, m), t1))
                steps.append(st)
                missions.append(ms)
        summary = pd.concat(summaries, ignore_index=True)
        bad = ~np.isfinite(summary.select_dtypes("number").to_numpy()).all(axis=1)
        if bad.any():
            raise FloatingPointError(f"non-finite outcomes in runs "
                                     f"{summary.loc[bad, 'run_id'].tolist()[:10]}")
        out.mkdir(parents=True, exist_ok=True)
        files = {"summary.parquet": len(summary)}
        write_parquet(summary, out / "summary.parquet")
        if trajectories:
            steps = pd.concat(steps, ignore_index=True)
            missions = pd.concat(missions, ignore_index=True)
            write_parquet(steps, out / "steps.parquet")
            write_parquet(missions, out / "missions.parquet")
            files["steps.parquet"] = len(steps)
            files["missions.parquet"] = len(missions)
        done = {"chunk": k, "runs": int(stop - first), "first_run_id": int(part["run_id"].iloc[0]),
                "last_run_id": int(part["run_id"].iloc[-1]),
                "seconds": time.perf_counter() - t0, "files": files}
        (out / "error.json").unlink(missing_ok=True)
        write_json(done, out / "done.json")
        return done
    except Exception as exc:  # keep the other chunks going; the sweep reports this one
        out.mkdir(parents=True, exist_ok=True)
        err = {"chunk": k, "run_ids": [int(part["run_id"].iloc[0]), int(part["run_id"].iloc[-1])],
               "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        write_json(err, out / "error.json")
        return err


register_configs()


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="chunk")
def main(cfg: DictConfig) -> None:
    run_chunk(Path(cfg.sweep_dir), int(cfg.chunk))

