"""Gather a sweep's chunks into one table: ``python -m sim.collect <sweep dir>``.

Reads the chunks' Parquet files lazily (``pyarrow.dataset``, only the columns asked for), so the
summaries of a 10^6-run sweep fit in memory. Refuses, with a message naming them, to pass off an
incomplete sweep as complete unless ``allow_missing=True``. Verifies first
(:mod:`sim.experiments.verify`): the manifest unedited, the design's and every complete chunk's
files as written, every chunk computed with the sweep's fingerprint; anything else is refused with
one line (:class:`~sim.errors.ConfigError`, exit 2) saying what differs and what to do.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from sim.config import ConfigError
from sim.experiments.io import write_parquet
from sim.experiments.verify import (chunk_dir, is_done, read_manifest, verify_chunk,
                                    verify_design)

__all__ = ["collect", "collect_trajectories", "run_config", "SweepIncomplete", "main"]


class SweepIncomplete(RuntimeError):
    """A sweep has chunks that are not complete."""


def _check(sweep_dir: Path, allow_missing: bool, verify: bool = True) -> tuple[dict, list[int]]:
    sweep_dir = Path(sweep_dir)
    meta = read_manifest(sweep_dir)
    if verify:
        verify_design(sweep_dir, meta)
    complete = [k for k in range(len(meta["chunks"])) if is_done(sweep_dir, k)]
    if verify:
        for k in complete:
            verify_chunk(sweep_dir, k, meta)
    missing = sorted(set(range(len(meta["chunks"]))) - set(complete))
    if missing and not allow_missing:
        runs = sum(meta["chunks"][k][1] - meta["chunks"][k][0] for k in missing)
        raise SweepIncomplete(
            f"{sweep_dir}: {len(missing)} of {len(meta['chunks'])} chunks ({runs} runs) are not "
            f"complete (chunks {missing[:20]}{' ...' if len(missing) > 20 else ''}); re-run the "
            "sweep command to finish them, or pass allow_missing=True to take what is there")
    return meta, complete


def _read(sweep_dir: Path, complete: list[int], name: str, columns=None) -> pd.DataFrame:
    files = [str(chunk_dir(sweep_dir, k) / name) for k in complete]
    if not files:
        return pd.DataFrame()
    try:
        table = ds.dataset(files, format="parquet").to_table(columns=columns)
    except Exception:
        import pyarrow.parquet as pq
        bad = []
        for f in files:
            try:
                pq.read_metadata(f)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is reported
                bad.append(f"{Path(f).parent.name} ({type(exc).__name__}: {exc})")
        raise ConfigError(
            f"{sweep_dir}: cannot read {name} of chunk(s) {'; '.join(bad) or '?'}. Delete those "
            f"chunk folders under {Path(sweep_dir) / 'chunks'} and re-run the sweep command: only "
            "they will run again; every other run is kept.") from None
    return table.to_pandas()


def collect(sweep_dir, columns=None, *, allow_missing=False, write=False,
            verify=True) -> pd.DataFrame:
    """All runs' summaries of a sweep, one row per run, ordered by ``run_id``.

    Args:
        sweep_dir: the sweep folder.
        columns: only these columns (default all).
        allow_missing: return what is complete instead of raising :class:`SweepIncomplete`.
        write: also write ``<sweep_dir>/summary.parquet``.
        verify: check the files' hashes and fingerprints first (:mod:`sim.experiments.verify`).
    """
    sweep_dir = Path(sweep_dir)
    meta, complete = _check(sweep_dir, allow_missing, verify)
    df = _read(sweep_dir, complete, "summary.parquet", columns)
    if "run_id" in df.columns:
        df = df.sort_values("run_id", kind="stable").reset_index(drop=True)
        dup = df["run_id"].duplicated()
        if dup.any():
            raise ConfigError(f"{sweep_dir}: run ids {df.loc[dup, 'run_id'].tolist()[:10]} appear "
                              "twice: the folder mixes results")
    expected = sum(meta["chunks"][k][1] - meta["chunks"][k][0] for k in complete)
    if len(df) != expected:
        raise ConfigError(f"{sweep_dir}: {len(df)} rows for {expected} runs in complete chunks")
    df.attrs["sweep"] = {k: meta[k] for k in ("name", "parameters", "problem", "crn", "n_runs")}
    if write:
        write_parquet(df, sweep_dir / "summary.parquet")
    return df


def collect_trajectories(sweep_dir, table="steps", columns=None, *, allow_missing=False,
                         filter=None) -> pd.DataFrame:
    """Per-step (``steps``) or per-mission (``missions``) trajectories of a sweep run with
    ``sweep.trajectories=true``, each row annotated with its run's scenario, point, replicate and
    ``policy`` (the policy the run started with; ``policy_in_force`` is the one in office that
    month). ``filter`` is a ``pyarrow.dataset`` expression, e.g. ``ds.field("run_id") < 100``."""
    sweep_dir = Path(sweep_dir)
    meta, complete = _check(sweep_dir, allow_missing)
    if not meta["sweep"]["trajectories"]:
        raise ConfigError(f"{sweep_dir}: trajectories were not recorded (sweep.trajectories=false); "
                          "run the sweep with sweep.trajectories=true into a new folder")
    files = [str(chunk_dir(sweep_dir, k) / f"{table}.parquet") for k in complete]
    df = ds.dataset(files, format="parquet").to_table(columns=columns, filter=filter).to_pandas()
    if "run_id" in df.columns:  # annotate each row with its run's identity (policy it started with)
        runs = pd.read_parquet(sweep_dir / "design" / "runs.parquet",
                               columns=["run_id", "scenario", "point", "replicate"]
                               + (["policy"] if "policy" not in df.columns else []))
        if "policy" in df.columns:
            df = df.rename(columns={"policy": "policy_in_force"})
            runs = pd.read_parquet(sweep_dir / "design" / "runs.parquet",
                                   columns=["run_id", "scenario", "point", "replicate", "policy"])
        df = df.merge(runs, on="run_id", how="left", validate="many_to_one")
    return df


def run_config(sweep_dir, run_id: int):
    """The exact configuration of one run of a sweep, to re-run it alone (e.g. in the explorer).

    Returns ``(config, seed, run)``: ``CoalitionModel(config=config, rng=seed, run=run)`` reproduces
    the sweep's run ``run_id`` bit for bit (its policy, varied parameters, seed and replicate).
    """
    import dataclasses

    from sim.config import load_policy, to_config
    from sim.config.params import with_values

    sweep_dir = Path(sweep_dir)
    meta = read_manifest(sweep_dir)
    verify_design(sweep_dir, meta)
    rows = pd.read_parquet(sweep_dir / "design" / "runs.parquet",
                           filters=[("run_id", "==", int(run_id))])
    if len(rows) != 1:
        raise KeyError(f"{sweep_dir}: no run with run_id={run_id} (0..{meta['n_runs'] - 1})")
    row = rows.iloc[0]
    cfg = to_config(meta["configs"][row["scenario"]])
    if row["policy"] != cfg.policy.name:
        cfg = dataclasses.replace(cfg, policy=load_policy(row["policy"]))
    cfg = with_values(cfg, {name: float(row[name]) for name in meta["parameters"]})
    cfg = dataclasses.replace(cfg, seed=int(row["seed"]), run=int(row["run"]))
    return to_config(cfg), int(row["seed"]), int(row["run"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.collect", description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir")
    ap.add_argument("--allow-missing", action="store_true")
    args = ap.parse_args(argv)
    try:
        df = collect(args.sweep_dir, allow_missing=args.allow_missing, write=True)
    except SweepIncomplete as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {exc.filename or args.sweep_dir}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    print(f"{len(df)} runs of {df.attrs['sweep']['n_runs']} -> "
          f"{Path(args.sweep_dir) / 'summary.parquet'}")
    return 0
