"""The first command, as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args, tmp_path):
    return subprocess.run([sys.executable, "-m", "sim.run", *args,
                           f"hydra.run.dir={tmp_path}/out"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_run_writes_tidy_tables_and_a_manifest(tmp_path):
    p = run(["scenario=baseline", "policy=load_shifting_first", "seed=1",
             "scenario.horizon=24"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "policy load_shifting_first" in p.stdout and "results:" in p.stdout
    assert "Step 1 at time" not in p.stdout + p.stderr          # Mesa's per-step log kept out
    out = tmp_path / "out"
    steps = pd.read_parquet(out / "steps.parquet")
    missions = pd.read_parquet(out / "missions.parquet")
    allies = pd.read_parquet(out / "allies.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(steps) == 25 and len(missions) == 25 * 2 and len(allies) == 25 * 30
    assert len(summary) == 1
    for df in (steps, missions, allies, summary):
        assert {"scenario", "seed", "run"} <= set(df.columns)
    m = json.loads((out / "manifest.json").read_text())
    assert m["config"]["seed"] == 1 and m["config"]["scenario"]["horizon"] == 24
    assert len(m["config_hash"]) == 16
    assert m["environment"]["libraries"]["mesa"].startswith("3.")
    assert "commit" in m["git"]
    assert not list(out.glob(".*.tmp-*"))


def test_both_drivers_write_the_same_numbers(tmp_path):
    a = run(["policy=impulsive", "scenario.horizon=18", "seed=3", "driver=mesa"], tmp_path / "a")
    b = run(["policy=impulsive", "scenario.horizon=18", "seed=3", "driver=ensemble"],
            tmp_path / "b")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    for name in ("steps", "missions", "allies", "summary"):
        da = pd.read_parquet(tmp_path / "a" / "out" / f"{name}.parquet")
        db = pd.read_parquet(tmp_path / "b" / "out" / f"{name}.parquet")
        pd.testing.assert_frame_equal(da, db, check_exact=True)


@pytest.mark.parametrize("args,fragment", [
    (["trust.asymmetry=0.05"], "trust.asymmetry=0.05 is out of range"),
    (["trust.asymetry=2"], "Key 'asymetry' not in 'TrustConfig'"),
    (["policy=isolationist"], "Could not find 'policy/isolationist'"),
])
def test_bad_input_stops_before_the_run_with_one_clear_message(tmp_path, args, fragment):
    p = run(args, tmp_path)
    assert p.returncode != 0
    assert fragment in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "out" / "summary.parquet").exists()
