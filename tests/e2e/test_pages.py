"""The pages' pieces without a browser: the explorer's model inputs, figures and feed, the sweep
page's figures, and the serve command's options (fast; the browser test is test_app.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.app import explorer, sweep
from sim.app.__main__ import command
from sim.drivers.mesa import CoalitionModel

ROOT = Path(__file__).resolve().parents[2]


def test_explorer_model_is_the_public_constructor_with_overrides():
    m = explorer.ExplorerModel(policy="impulsive", asymmetry=4.5, forgetting=0.9, seed=3)
    ref = CoalitionModel(scenario="baseline", policy="impulsive", rng=3,
                         overrides=["trust.asymmetry=4.5", "trust.forgetting_leader=0.9"])
    assert m.config == ref.config and m.seed == 3
    for _ in range(5):
        m.step()
        ref.step()
    np.testing.assert_array_equal(m.history()["steps"]["trust"], ref.history()["steps"]["trust"])


def test_policy_levers_apply_only_when_set_by_hand():
    own = explorer.ExplorerModel(policy="impulsive", p_consult=0.9, building=0.05)
    assert own.config.policy.p_consult == explorer.ExplorerModel(policy="impulsive").config.policy.p_consult
    manual = explorer.ExplorerModel(policy="impulsive", own_levers=False, p_consult=0.9,
                                    building=0.05)
    assert manual.config.policy.p_consult == 0.9 and manual.config.policy.building == 0.05


def test_model_params_match_the_constructor():
    params = explorer.model_params()
    assert set(params) <= set(explorer.ExplorerModel.__init__.__code__.co_varnames)
    assert params["asymmetry"]["min"] == 1.0 and params["asymmetry"]["max"] == 10.0
    assert params["forgetting"]["min"] == 0.8 and params["forgetting"]["max"] == 1.0
    assert "scenario" not in params       # Mesa 3.5's SolaraViz reserves "scenario"
    assert explorer.model_params("/x", 3) == {"sweep_dir": "/x", "run_id": 3}


@pytest.mark.parametrize("steps", [0, 1, 14])
def test_figures_draw_at_any_step(steps):
    m = explorer.ExplorerModel(policy="impulsive")
    for _ in range(steps):
        m.step()
    for make in (explorer.trust_figure, explorer.missions_figure, explorer.burden_figure,
                 explorer.effectiveness_figure, explorer.network_figure):
        fig = make(m)
        assert isinstance(fig, Figure)
        fig.canvas.draw()
    trust = m.history()["steps"]["trust"][:, 0]
    lines = [ln.get_ydata() for ln in explorer.trust_figure(m).axes[0].lines]
    assert any(len(y) == len(trust) and np.allclose(y, trust) for y in lines), \
        "the trust figure does not show the model's mean trust"


def test_feed_is_newest_month_first_and_keeps_injections():
    m = explorer.ExplorerModel(policy="impulsive")
    for _ in range(3):
        m.step()
    m.inject("withdrawal", mission="stabilisation", fraction=1.0, consulted=False)
    m.step()
    rows = explorer.feed_rows(m)
    assert len(rows) == explorer.FEED_LENGTH
    steps = [r["step"] for r in rows]
    assert steps == sorted(steps, reverse=True) and steps[0] == 4
    assert rows[0]["source"] == "injected" and rows[0]["kind"] == "withdrawal"


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """A small run of the `compare` sweep (it varies mission fields: missions.<mission>.<field>)."""
    folder = tmp_path_factory.mktemp("pages") / "compare"
    subprocess.run([sys.executable, "-m", "sim.sweep", "experiment=compare", "scenario.horizon=12",
                    "sweep.samples=4", "sweep.replicates=1", "sweep.chunk_size=16",
                    f"sweep.dir={folder}", f"hydra.run.dir={folder.parent / 'hydra'}"],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=300)
    return folder


def test_sweep_figures_and_a_run_opened_from_the_sweep(small_sweep):
    df, message = sweep.load_sweep(str(small_sweep))
    assert df is not None and message == ""
    base, treat = list(dict.fromkeys(df["policy"]))[:2]
    param = df.attrs["sweep"]["parameters"][0]
    row, diffs, why = sweep._comparison(df, base, treat, "final_trust", "baseline")
    assert row is not None, why
    assert row["n_pairs"] == len(df) // df["policy"].nunique()
    for fig in (sweep.distribution_figure(df, "final_trust", base, treat),
                sweep.differences_figure(diffs, row, "final_trust", base, treat),
                sweep.parameter_figure(df, "final_trust", param, base, treat),
                sweep.parameter_figure(df, "final_trust", None, base, treat)):
        fig.canvas.draw()
    run_id = int(df["run_id"].iloc[7])
    m = explorer.ExplorerModel(sweep_dir=str(small_sweep), run_id=run_id)
    assert any(p.startswith("missions.") for p in df.attrs["sweep"]["parameters"])
    assert m.origin["run_id"] == run_id and set(m.origin["parameters"]) == set(
        df.attrs["sweep"]["parameters"])
    for name, value in m.origin["parameters"].items():
        assert value == pytest.approx(df.loc[df["run_id"] == run_id, name].item()), name
    m.run_to_end()
    assert m.summary()["final_trust"] == df.loc[df["run_id"] == run_id, "final_trust"].item()
    assert explorer.explorer_url(small_sweep, run_id).endswith(f"&run_id={run_id}")


def test_sweep_page_says_what_is_wrong_with_a_folder(tmp_path):
    df, message = sweep.load_sweep(str(tmp_path))
    assert df is None and "not a sweep folder" in message
    df, message = sweep.load_sweep("")
    assert df is None and "COALITION_SWEEP_DIR" in message


def test_serve_command_and_help():
    cmd = command("127.0.0.1", 9999)
    assert cmd[1:4] == ["-m", "solara", "run"] and "sim.app.pages" in cmd
    assert cmd[cmd.index("--port") + 1] == "9999" and "--production" in cmd
    out = subprocess.run([sys.executable, "-m", "sim.app", "--help"], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    assert "--port" in out and "--host" in out
