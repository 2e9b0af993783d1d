"""Sweeps: designs, chunks on real launchers, resume after SIGKILL, refusals, failures."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.collect import SweepIncomplete, collect
from sim.config import ConfigError
from sim.experiments.sweep import plan, run_sweep

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["experiment=smoke", "scenario.horizon=12"]


def sweep_cmd(args, **kw):
    env = {**os.environ, **kw.pop("env", {})}
    return subprocess.run([sys.executable, "-m", "sim.sweep", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, **kw)

# ------------------------------------------------------------------- designs


def test_lhs_design_pairs_every_point_with_every_policy_and_replicate():
    sw = plan(SMALL)
    runs = sw.design.runs
    assert len(runs) == 8 * 2 * 2
    assert runs["run_id"].tolist() == list(range(len(runs)))
    # common random numbers: the same (seed, run) for both policies at a point and replicate
    g = runs.groupby(["point", "replicate"])
    assert (g["run"].nunique() == 1).all() and (g["policy"].nunique() == 2).all()
    for name, (lo, hi) in {"trust.asymmetry": (1, 5), "decision.lead_exit_weight": (0.3, 0.9)}.items():
        v = sw.design.points[name]
        assert v.between(lo, hi).all()
        # Latin hypercube: one point per stratum
        assert sorted(np.floor((v - lo) / (hi - lo) * 8).astype(int)) == list(range(8))


def test_designs_are_deterministic_and_identified_by_content():
    a, b = plan(SMALL), plan(SMALL)
    assert a.design.digest() == b.design.digest()
    c = plan(SMALL + ["sweep.seed=2"])
    assert c.design.digest() != a.design.digest()


@pytest.mark.parametrize("extra,n_points", [
    (["sweep.sampler=grid", "sweep.levels=3"], 9),
    (["sweep.sampler=sobol", "sweep.samples=8"], 8 * (2 + 2)),
    (["sweep.sampler=sobol", "sweep.samples=8", "sweep.second_order=true"], 8 * (2 * 2 + 2)),
    (["sweep.sampler=morris", "sweep.samples=3", "sweep.levels=4"], 3 * (2 + 1)),
])
def test_samplers_give_the_expected_number_of_points(extra, n_points):
    sw = plan(SMALL + extra)
    assert len(sw.design.points) == n_points
    assert len(sw.design.runs) == n_points * 2 * 2


@pytest.mark.parametrize("extra,fragment", [
    (["sweep.sampler=sobol", "sweep.samples=6"], "needs a power of two (e.g. 4 or 8)"),
    (["sweep.sampler=latin"], "sweep.sampler='latin': allowed grid, lhs, sobol, morris"),
    (["+sweep.uncertainties.trust.asymetry={low: 1, high: 2}"], "unknown parameter 'trust.asymetry'"),
    (["+sweep.uncertainties.trust.friction={low: 0.5, high: 0.5}"], "empty range [0.5, 0.5]"),
    (["+sweep.uncertainties.trust.friction={low: 0.1, high: 2.0}"],
     "sweep.uncertainties.trust.friction.high=2.0 is out of range"),
    (["+sweep.uncertainties.scenario.horizon={low: 1, high: 2}"], "only parameters of"),
    (["+sweep.levers.trust.keep_weight={low: 0.1, high: 0.2}"], "levers are what the lead controls"),
    (["sweep.policies=[steady,isolationist]"], "unknown policy 'isolationist'"),
    (["sweep.scenarios=[atlantis]"], "unknown scenario 'atlantis'"),
    (["sweep.replicates=0"], "sweep.replicates=0"),
])
def test_bad_designs_fail_before_any_work(extra, fragment, tmp_path):
    with pytest.raises(ConfigError) as info:
        plan(SMALL + extra + [f"sweep.dir={tmp_path}/s"])
    assert fragment in str(info.value)
    assert not (tmp_path / "s").exists()

# ------------------------------------------------------------------- running and resuming


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref") / "sweep"
    s = run_sweep(SMALL + [f"sweep.dir={d}", "sweep.chunk_size=4"], progress="none")
    assert s["status"] == "complete"
    return d, collect(d)


def test_results_are_tidy_with_identities_and_parameters(reference):
    d, df = reference
    for col in ("run_id", "scenario", "policy", "point", "replicate", "seed", "run",
                "trust.asymmetry", "decision.lead_exit_weight", "final_ally_burden_share"):
        assert col in df.columns
    assert len(df) == 32 and df["run_id"].is_unique
    summary = json.loads((d / "sweep_summary.json").read_text())
    assert summary["status"] == "complete" and summary["runs_done"] == 32
    assert (d / "summary.parquet").exists()


@pytest.mark.parametrize("launcher", ["cores", "local"])
def test_joblib_and_submitit_launchers_give_the_same_results(reference, launcher, tmp_path):
    _, ref = reference
    p = sweep_cmd(SMALL + [f"sweep.dir={tmp_path}/s", "sweep.chunk_size=4",
                           f"hydra/launcher={launcher}"])
    assert p.returncode == 0, p.stderr
    pd.testing.assert_frame_equal(collect(tmp_path / "s"), ref)


def test_chunk_size_does_not_change_results(reference, tmp_path):
    _, ref = reference
    run_sweep(SMALL + [f"sweep.dir={tmp_path}/s", "sweep.chunk_size=7"], progress="none")
    pd.testing.assert_frame_equal(collect(tmp_path / "s"), ref)


def test_killed_sweep_resumes_to_exactly_the_uninterrupted_result(reference, tmp_path):
    _, ref = reference
    d = tmp_path / "s"
    args = SMALL + [f"sweep.dir={d}", "sweep.chunk_size=1"]   # 32 chunks
    proc = subprocess.Popen([sys.executable, "-m", "sim.sweep", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        done = list((d / "chunks").glob("*/done.json")) if (d / "chunks").exists() else []
        if len(done) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_done = len(list((d / "chunks").glob("*/done.json")))
    assert 3 <= n_done < 32, n_done
    with pytest.raises(SweepIncomplete, match="not complete"):
        collect(d)
    p = sweep_cmd(args)
    assert p.returncode == 0, p.stderr
    summary = json.loads((d / "sweep_summary.json").read_text())
    assert summary["chunks_run_now"] == 32 - n_done          # only the missing chunks ran
    pd.testing.assert_frame_equal(collect(d), ref)


def test_a_changed_config_in_the_same_folder_is_refused_and_nothing_is_touched(tmp_path):
    d = tmp_path / "s"
    run_sweep(SMALL + [f"sweep.dir={d}"], progress="none")
    before = {p: p.stat().st_mtime_ns for p in d.rglob("*") if p.is_file()}
    p = sweep_cmd(SMALL + [f"sweep.dir={d}", "trust.keep_weight=0.2"])
    assert p.returncode == 2
    assert "holds another sweep's results (the model configuration differs)" in p.stderr
    after = {p: p.stat().st_mtime_ns for p in d.rglob("*") if p.is_file()}
    assert before == after


def test_a_failing_chunk_is_named_the_rest_kept_and_a_rerun_completes(reference, tmp_path):
    _, ref = reference
    d = tmp_path / "s"
    args = SMALL + [f"sweep.dir={d}", "sweep.chunk_size=4"]
    p = sweep_cmd(args, env={"COALITION_FAULT_CHUNKS": "2,5"})
    assert p.returncode == 1
    assert "FAILED chunk 2 (runs 8-11)" in p.stderr and "FAILED chunk 5 (runs 20-23)" in p.stderr
    s = json.loads((d / "sweep_summary.json").read_text())
    assert s["runs_done"] == 24 and [f["chunk"] for f in s["chunks_failed"]] == [2, 5]
    assert len(collect(d, allow_missing=True)) == 24
    p = sweep_cmd(args)
    assert p.returncode == 0, p.stderr
    pd.testing.assert_frame_equal(collect(d), ref)


def test_trajectories_are_tidy_per_run_and_step(tmp_path):
    from sim.experiments.collect import collect_trajectories
    d = tmp_path / "s"
    run_sweep(SMALL + [f"sweep.dir={d}", "sweep.trajectories=true"], progress="none")
    steps = collect_trajectories(d)
    assert len(steps) == 32 * 13 and {"run_id", "step", "trust"} <= set(steps.columns)
    missions = collect_trajectories(d, "missions")
    assert len(missions) == 32 * 13 * 2


def test_any_run_of_a_sweep_reruns_alone_in_the_mesa_model_bit_for_bit(reference):
    from sim.experiments.collect import run_config
    from sim.drivers.mesa import CoalitionModel
    d, df = reference
    for rid in (0, 13, 31):
        cfg, seed, run = run_config(d, rid)
        got = CoalitionModel(config=cfg, rng=seed, run=run).run_to_end().summary()
        row = df[df.run_id == rid].iloc[0]
        assert {k: got[k] for k in got} == {k: row[k] for k in got}, rid


def test_a_corrupt_chunk_file_is_named_and_repaired_by_rerunning(reference, tmp_path):
    import shutil
    from sim.experiments.chunk import chunk_dir
    _, ref = reference
    d = tmp_path / "s"
    args = SMALL + [f"sweep.dir={d}", "sweep.chunk_size=4"]
    run_sweep(args, progress="none")
    (chunk_dir(d, 3) / "summary.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(ValueError, match="chunk-000003"):
        collect(d)
    shutil.rmtree(chunk_dir(d, 3))
    s = run_sweep(args, progress="none")
    assert s["chunks_run_now"] == 1
    pd.testing.assert_frame_equal(collect(d), ref)


def test_progress_off_a_terminal_says_every_chunk_and_at_least_every_10_s(monkeypatch, capsys):
    from sim.experiments import sweep as sw
    s = plan(SMALL + ["sweep.chunk_size=8"])
    clock = [100.0]
    monkeypatch.setattr(sw.time, "monotonic", lambda: clock[0])
    bar = sw._Progress(s, "log", 0)
    said = []

    def at(t, done):
        clock[0] = 100.0 + t
        bar.update(done)
        said.append(capsys.readouterr().err.count("runs/s"))

    at(0.5, 0)      # nothing new, 0.5 s in: quiet
    at(1.0, 8)      # a chunk completed: a line
    at(5.0, 8)      # nothing new for 4 s: quiet
    at(11.5, 8)     # 10.5 s since the last line: a line
    at(12.0, 16)    # another chunk: a line at once
    assert said == [0, 1, 0, 1, 1]
