"""Real engines: a sweep through SLURM (a real slurmctld/slurmd) and through Dask gives, bit for
bit, the results of the same sweep run locally; a SLURM sweep can be submitted and left, then
watched and collected by the documented commands (docs/cluster.md).

The SLURM tests need the single-node cluster of ``scripts/slurm-localhost.sh`` (root, Debian);
without it they are skipped, unless ``COALITION_REQUIRE_ENGINES`` names ``slurm`` (``.ci/run``
starts the cluster and sets it), when a missing cluster fails them. The Dask test needs only the
installed ``distributed`` and always runs.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.collect import collect
from sim.experiments.sweep import run_sweep

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["experiment=smoke", "scenario.horizon=12"]
REQUIRED = {e.strip() for e in os.environ.get("COALITION_REQUIRE_ENGINES", "").split(",")}
MARK = "written by coalition-credibility scripts/slurm-localhost.sh"


def run(module, args, timeout=600):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def assert_bitwise_equal(got: pd.DataFrame, ref: pd.DataFrame):
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    for col in ref.columns:
        a, b = ref[col].to_numpy(), got[col].to_numpy()
        if a.dtype.kind == "f":
            assert np.array_equal(a.view(np.uint64), b.view(np.uint64)), col  # the same bits


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The sweep run locally, in this process, as a single chunk (the basic launcher)."""
    d = tmp_path_factory.mktemp("local") / "sweep"
    s = run_sweep(SMALL + [f"sweep.dir={d}", "sweep.chunk_size=32"], progress="none")
    assert s["status"] == "complete" and s["runs_done"] == 32
    return collect(d)


@pytest.fixture(scope="module")
def slurm():
    conf = Path("/etc/slurm/slurm.conf")
    up = conf.exists() and MARK in conf.read_text() and subprocess.run(
        ["bash", str(ROOT / "scripts/slurm-localhost.sh"), "status"],
        capture_output=True).returncode == 0
    if not up:
        why = "the single-node SLURM cluster is not up (start it: bash scripts/slurm-localhost.sh)"
        if "slurm" in REQUIRED:
            pytest.fail(f"COALITION_REQUIRE_ENGINES=slurm but {why}")
        pytest.skip(why)
    return ["hydra/launcher=slurm", "hydra.launcher.mem_gb=1", "hydra.launcher.timeout_min=10"]


def test_a_sweep_on_slurm_equals_the_local_run_bit_for_bit(local, slurm, tmp_path):
    d = tmp_path / "s"
    p = run("sim.sweep", SMALL + [f"sweep.dir={d}", "sweep.chunk_size=8", *slurm])
    assert p.returncode == 0, p.stderr[-3000:]
    jobs = json.loads((d / "submitted.json").read_text())["submissions"][0]["jobs"]
    assert len(jobs) == 4 and all("_" in j["job_id"] for j in jobs)   # one SLURM array task each
    for k in range(4):   # each chunk ran as a SLURM job (its environment says so)
        assert json.loads((d / f"chunks/chunk-{k:06d}/done.json").read_text())["runs"] == 8
    logs = list((d / "hydra/.submitit").glob("*/*_log.out"))
    assert len(logs) == 4, logs
    assert_bitwise_equal(collect(d), local)


def test_a_slurm_sweep_is_submitted_left_then_watched_and_collected(local, slurm, tmp_path):
    d = tmp_path / "s"
    args = SMALL + [f"sweep.dir={d}", "sweep.chunk_size=4", "sweep.wait=false", *slurm]
    t0 = time.monotonic()
    p = run("sim.sweep", args)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "submitted 8 chunk(s) now" in p.stdout and "python -m sim.watch" in p.stdout
    # the command has exited; its jobs run on. Submitting again adds nothing still queued
    p = run("sim.sweep", args)
    assert p.returncode == 0, p.stderr[-3000:]
    subs = json.loads((d / "submitted.json").read_text())["submissions"]
    chunks = [int(o.split("=")[1]) for s in subs for j in s["jobs"] for o in j["overrides"]
              if o.startswith("chunk=")]
    assert len(chunks) == len(set(chunks)) and set(chunks) == set(range(8))
    w = run("sim.watch", [str(d), "--follow", "--every", "1"], timeout=600)
    assert w.returncode == 0, w.stdout + w.stderr
    lines = [x for x in w.stdout.splitlines() if "runs done" in x]
    assert lines[-1].split(" ", 1)[1].startswith("[smoke] 32/32 runs done (8/8 chunks)")
    c = run("sim.collect", [str(d)])
    assert c.returncode == 0, c.stderr
    assert_bitwise_equal(pd.read_parquet(d / "summary.parquet"), local)
    assert time.monotonic() - t0 < 600


def test_a_sweep_on_dask_equals_the_local_run_bit_for_bit(local, tmp_path):
    d = tmp_path / "s"
    p = run("sim.sweep", SMALL + [f"sweep.dir={d}", "sweep.chunk_size=8",
                                  "hydra/launcher=dask_local"])
    assert p.returncode == 0, p.stderr[-3000:]
    assert_bitwise_equal(collect(d), local)


def test_submit_and_leave_needs_a_launcher_whose_jobs_outlive_the_command(tmp_path):
    p = run("sim.sweep", SMALL + [f"sweep.dir={tmp_path}/s", "sweep.wait=false",
                                  "hydra/launcher=dask_local"])
    assert p.returncode == 2
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and "sweep.wait=false needs" in err[0] and "hydra/launcher=slurm" in err[0]
    assert not (tmp_path / "s").exists()


def test_watch_of_a_folder_that_is_no_sweep_is_one_line(tmp_path):
    p = run("sim.watch", [str(tmp_path)])
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert "not a sweep folder" in p.stderr


def test_a_sweep_on_a_running_dask_scheduler_equals_the_local_run(local, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        d = tmp_path / "s"
        p = run("sim.sweep", SMALL + [f"sweep.dir={d}", "sweep.chunk_size=8",
                                      "hydra/launcher=dask_local",
                                      f"hydra.launcher.address={cluster.scheduler_address}"])
        assert p.returncode == 0, p.stderr[-3000:]
        done = [json.loads((d / f"chunks/chunk-{k:06d}/done.json").read_text()) for k in range(4)]
        assert len(done) == 4
        assert "execute_job" in cluster.scheduler.task_prefixes   # its workers ran the chunks
    assert_bitwise_equal(collect(d), local)
