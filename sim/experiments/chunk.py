"""One Hydra job of a sweep: run one chunk of the design in one ensemble and write its tables.

Launched by :mod:`sim.sweep` as a Hydra multirun over chunk numbers, so any launcher runs it (the
basic launcher, joblib, submitit, Ray). A chunk writes ``chunks/chunk-NNNNNN/`` with
``summary.parquet`` (one row per run), optionally ``steps.parquet`` and ``missions.parquet`` (per run
and step), each written atomically, and ``done.json`` last (with each file's sha256, the fingerprint
it ran with and the sweep's digest): a chunk is complete exactly when ``done.json`` exists. A chunk
that fails writes ``error.json`` instead (which runs, and the traceback) and the job still returns,
so the other chunks go on. A job holds the chunk's lock (``.lock``, ``fcntl.flock``) while it
computes, so two processes never compute the same chunk (the second leaves it); it refuses to run
on code or a machine whose fingerprint differs from the sweep's.

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

from sim.config import CONFIG_DIR, config_hash, register_configs, to_config
from sim.experiments import io as sio
from sim.experiments.io import (FileLock, LockBusy, remove_temporaries, sha256_file, write_json,
                                write_parquet)
from sim.experiments.verify import CHUNK_LOCK, chunk_dir, is_done, read_manifest

__all__ = ["run_chunk", "chunk_dir", "is_done", "load_sweep", "main"]

ID_COLUMNS = ("run_id", "scenario", "policy", "point", "replicate", "seed", "run")
ENSEMBLE_BATCH = 1000   # runs advanced together; memory grows with it, speed hardly beyond


def load_sweep(sweep_dir: Path) -> dict:
    """The sweep's verified manifest (:func:`sim.experiments.verify.read_manifest`)."""
    return read_manifest(sweep_dir)


def run_chunk(sweep_dir: Path, k: int) -> dict:
    """Run chunk ``k`` of the sweep in ``sweep_dir`` unless it is complete or being computed by
    another process (then ``{"chunk": k, "busy": ...}``)."""
    sweep_dir = Path(sweep_dir)
    out = chunk_dir(sweep_dir, k)
    if (out / "done.json").exists():
        return json.loads((out / "done.json").read_text())
    lock = FileLock(out / CHUNK_LOCK)
    try:
        lock.acquire()
    except LockBusy as exc:
        return {"chunk": k, "busy": str(exc)}
    try:
        if (out / "done.json").exists():  # finished by another process meanwhile
            return json.loads((out / "done.json").read_text())
        remove_temporaries(out)  # left by an interrupted write: we own the chunk now
        return _run_locked(sweep_dir, k, out)
    finally:
        lock.release()


def _run_locked(sweep_dir: Path, k: int, out: Path) -> dict:
    from sim.drivers.ensemble import Ensemble

    first = stop = None
    t0 = time.perf_counter()
    try:
        meta = read_manifest(sweep_dir, check_configs=False)  # its config: checked below
        first, stop = meta["chunks"][k]
        mine = sio.fingerprint()
        diff = sio.fingerprint_differences(meta["fingerprint"], mine)
        if diff:
            raise RuntimeError(f"this job differs from the sweep in {'; '.join(diff)}: its runs "
                               "would not match the others bit for bit; run it with the sweep's "
                               "code and libraries on the same kind of machine")
        # row groups hold chunk_size runs: read only the ones this chunk needs
        part = pd.read_parquet(sweep_dir / "design" / "runs.parquet",
                               filters=[("run_id", ">=", first), ("run_id", "<", stop)])
        faults = os.environ.get("COALITION_FAULT_CHUNKS", "")
        if str(k) in [x.strip() for x in faults.split(",") if x.strip()]:
            raise RuntimeError(f"fault injected in chunk {k} (COALITION_FAULT_CHUNKS)")
        scenario = part["scenario"].iloc[0]
        cfg = to_config(meta["configs"][scenario])
        if config_hash(cfg) != meta["config_hashes"][scenario]:
            raise RuntimeError(f"sweep.json: the config of scenario {scenario!r} does not match "
                               "the hash it records")
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
                "seconds": time.perf_counter() - t0, "files": files,
                "sha256": {name: sha256_file(out / name) for name in files},
                "fingerprint": mine, "sweep_digest": meta["digest"]}
        (out / "error.json").unlink(missing_ok=True)
        write_json(done, out / "done.json")
        return done
    except Exception as exc:  # keep the other chunks going; the sweep reports this one
        out.mkdir(parents=True, exist_ok=True)
        ids = [int(first), int(stop) - 1] if first is not None else None
        err = {"chunk": k, "run_ids": ids, "error": f"{type(exc).__name__}: {exc}",
               "traceback": traceback.format_exc()}
        write_json(err, out / "error.json")
        return err


register_configs()


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="chunk")
def main(cfg: DictConfig) -> None:
    run_chunk(Path(cfg.sweep_dir), int(cfg.chunk))

