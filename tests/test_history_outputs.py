"""Outputs for histories: membership rows per (run, step, mission, ally), spells of membership,
countries with troops, and the troop Gini over contributing nations with the lead.

Each output is checked against an independent computation (a loop, another formula, or the
recorded membership rows), and both drivers must give the same bits."""

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import compose
from sim.core.recording import MEMBERSHIP_COLUMNS, gini_positive, spells
from sim.drivers.ensemble import Ensemble
from sim.drivers.mesa import CoalitionModel
from tests.conftest import eventful

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sahel():
    cfg = compose(["scenario=sahel", "policy=impulsive"])
    return cfg, Ensemble(cfg, seeds=[5, 5, 8], runs=[0, 1, 2], record_memberships=True).run()


# ------------------------------------------------------------------------------------ the Gini

def _gini_oracle(values):
    """Mean absolute difference over twice the mean, over the positive values only."""
    x = [v for v in values if v > 0]
    if not x:
        return 0.0
    k, mean = len(x), sum(x) / len(x)
    return sum(abs(a - b) for a in x for b in x) / (2.0 * k * k * mean)


def test_the_gini_counts_only_nations_with_troops():
    rng = np.random.default_rng(3)
    rows = rng.lognormal(5.0, 1.5, size=(200, 9)) * (rng.random((200, 9)) < 0.6)
    rows[0] = 0.0                                   # nobody has troops: 0 by convention
    rows[1] = [0, 0, 0, 500, 0, 0, 0, 0, 0]         # one nation: 0
    rows[2] = [0, 0, 100, 100, 100, 0, 0, 0, 0]     # equal contributors: 0, whatever the zeros
    got = gini_positive(rows)
    want = np.array([_gini_oracle(r) for r in rows])
    assert got[0] == 0.0 and got[1] == 0.0 and abs(got[2]) < 1e-15
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    # adding non-contributors does not move it (the old Gini counted them as zeros)
    padded = np.concatenate([rows, np.zeros((200, 20))], axis=1)
    np.testing.assert_allclose(gini_positive(padded), got, rtol=1e-12, atol=1e-15)


def test_the_recorded_troop_gini_includes_the_lead_as_one_more_nation(sahel):
    _, res = sahel
    contrib = res.memberships["contribution"]                       # (T+1, R, M, N)
    lead = res.missions["lead_troops"]                              # (T+1, R, M)
    nations = np.concatenate([contrib.sum(axis=2), lead.sum(axis=2, keepdims=True)], axis=-1)
    t1, r = res.steps["troop_gini"].shape
    want = np.array([[_gini_oracle(nations[t, k]) for k in range(r)] for t in range(t1)])
    got = res.steps["troop_gini"]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
    assert (got[1] > 0).all() and (lead[1].sum(axis=-1) > 0).all()
    assert (got[res.steps["countries_with_troops"] == 0] == 0).all()
    # leaving the lead out changes it: the lead is in
    without = np.array([_gini_oracle(nations[1, k, :-1]) for k in range(r)])
    assert not np.allclose(without, got[1])


# ------------------------------------------------------------------------- countries with troops

def test_countries_with_troops_per_mission_and_coalition_wide(sahel):
    _, res = sahel
    contrib = res.memberships["contribution"]
    lead = res.missions["lead_troops"]
    per_mission = (contrib > 0).sum(axis=-1) + (lead > 0)
    assert np.array_equal(res.missions["countries_with_troops"], per_mission)
    any_mission = (contrib > 0).any(axis=2).sum(axis=-1) + (lead > 0).any(axis=-1)
    assert np.array_equal(res.steps["countries_with_troops"], any_mission)
    # an ally in two missions is one country coalition-wide
    assert (res.steps["countries_with_troops"] <= per_mission.sum(axis=-1)).all()
    assert (res.steps["countries_with_troops"] < per_mission.sum(axis=-1)).any()
    s = res.summary
    np.testing.assert_array_equal(s["peak_countries_with_troops"], any_mission.max(axis=0))
    np.testing.assert_array_equal(s["final_countries_with_troops"], any_mission[-1])
    np.testing.assert_allclose(s["mean_countries_with_troops"], any_mission[1:].mean(axis=0))


# ----------------------------------------------------------------------------------- spells

def _spells_oracle(member):
    """Spells by walking every (run, mission, ally) series step by step."""
    t1, r, m, n = member.shape
    out = []
    for k, j, i in itertools.product(range(r), range(m), range(n)):
        start = None
        for t in range(t1):
            if member[t, k, j, i] and start is None:
                start = t
            elif not member[t, k, j, i] and start is not None:
                out.append((k, j, i, start, t, t - start, True))
                start = None
        if start is not None:
            out.append((k, j, i, start, t1, t1 - start, False))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_spells_equal_a_step_by_step_walk(seed):
    rng = np.random.default_rng(seed)
    member = rng.random((13, 3, 2, 4)) < rng.uniform(0.2, 0.9)
    member[:, 0, 0, 0] = True                                   # a member throughout
    member[:, 0, 0, 1] = False                                  # never a member
    sp = spells(member)
    got = list(zip(sp["run_index"], sp["mission_index"], sp["ally_index"], sp["entry_step"],
                   sp["exit_step"], sp["length"], sp["completed"]))
    assert [tuple(int(v) for v in g) for g in got] == [tuple(int(v) for v in w)
                                                       for w in _spells_oracle(member)]
    assert (sp["initial"] == (sp["entry_step"] == 0)).all()


def test_online_spell_summaries_equal_the_spells_of_the_recorded_memberships(sahel):
    """The recorder follows spells as it records (no per-ally trajectories needed); they must
    equal the spells found afterwards in the membership rows (stabilisation missions)."""
    _, res = sahel
    sp = res.spell_frame()
    sp = sp[~sp["core"]]
    s = res.summary.set_index("run")
    assert (s["completed_spells"] > 0).all()          # something to compare
    for run, g in sp.groupby("run"):
        done, open_ = g[g["completed"]], g[~g["completed"]]
        assert s.loc[run, "completed_spells"] == len(done)
        assert s.loc[run, "ongoing_spells"] == len(open_)
        np.testing.assert_allclose(s.loc[run, "mean_completed_spell"], done["length"].mean())
        if len(open_):
            np.testing.assert_allclose(s.loc[run, "mean_ongoing_spell"], open_["length"].mean())
        else:
            assert s.loc[run, "mean_ongoing_spell"] == 0.0         # none: its count says so
    # the spells partition every run's months of membership
    member = res.memberships["member"]
    stab = ~np.asarray(res.world.is_core)
    months = member[:, :, stab, :].sum(axis=(0, 2, 3))
    assert np.array_equal(sp.groupby("run")["length"].sum().to_numpy(), months)


def test_censored_spells_are_never_averaged_with_completed_ones():
    cfg = compose(["scenario=baseline", "policy=steady", "scenario.horizon=24"])
    res = Ensemble(cfg, seeds=2, runs=range(6), record_memberships=True).run()
    sp = res.spell_frame()
    sp = sp[~sp["core"]]
    s = res.summary.set_index("run")
    for run, g in sp.groupby("run"):
        pooled = g["length"].mean()
        mean_done = g.loc[g["completed"], "length"].mean()
        got = s.loc[run, "mean_completed_spell"]
        assert got == pytest.approx(mean_done if g["completed"].any() else 0.0)
        if g["completed"].any() and not g["completed"].all():
            assert got != pytest.approx(pooled)
    assert s["ongoing_spells"].gt(0).all()       # most allies stay: censored spells exist


# ------------------------------------------------------------------------------- the rows

def test_membership_rows_with_entry_and_exit_from_transitions(sahel):
    cfg, res = sahel
    df = res.membership_frame()
    t1, r, m, n = res.memberships["member"].shape
    assert len(df) == t1 * r * m * n
    assert list(df.columns) == ["seed", "run", "step", "mission", "ally", "member",
                                "contribution", "entry", "exit", "expected", "trust",
                                "exit_cause"]
    assert not df.loc[df["step"] == 0, ["entry", "exit"]].any().any()
    key = ["run", "mission", "ally"]
    df = df.sort_values([*key, "step"])
    before = df.groupby(key)["member"].shift(1, fill_value=False)
    first = df["step"] == 0
    assert (df["entry"] == (df["member"] & ~before & ~first)).all()
    assert (df["exit"] == (~df["member"] & before)).all()
    assert df["entry"].any() and df["exit"].any()
    # values are the state's: per-ally trust and per-mission troops and expectations
    allies = Ensemble(cfg, seeds=[5, 5, 8], runs=[0, 1, 2], record_allies=True).run().ally_frame()
    trust = df[df["mission"] == res.world.mission_names[0]].set_index(["run", "step", "ally"])
    trust = trust["trust"].sort_index()
    want = allies.set_index(["run", "step", "ally"])["trust"].sort_index()
    assert np.array_equal(trust.to_numpy(), want.to_numpy())
    troops = df.groupby(["run", "step", "mission"])["contribution"].sum()
    mf = res.mission_frame().set_index(["run", "step", "mission"])["ally_troops"]
    np.testing.assert_allclose(troops.sort_index().to_numpy(), mf.sort_index().to_numpy(),
                               rtol=1e-12)
    assert df["expected"].between(0, 1).all() and df["expected"].nunique() > 10
    # every voluntary exit is an exit row (exits also come from mandates and scripted events)
    exits = df.groupby(["run", "step"])["exit"].sum().unstack(0).to_numpy()
    assert (exits >= res.steps["exits"]).all()
    # every exit row has a cause and no other row has one; the voluntary causes add up to the
    # step's voluntary exits, each cause to its own step column
    assert (df["exit"] == (df["exit_cause"] != "")).all()
    assert set(df["exit_cause"]) <= {"", "scripted", "election", "cascade", "renewal", "utility",
                                     "mission_end"}
    assert {"mission_end", "scripted"} <= set(df["exit_cause"])     # sahel's mandates, expulsions
    for cause in ("election", "cascade", "renewal", "utility"):
        got = (df["exit_cause"] == cause).groupby([df["run"], df["step"]]).sum().unstack(0)
        assert np.array_equal(got.to_numpy(), res.steps[f"exits_{cause}"]), cause
    voluntary = sum(res.steps[f"exits_{c}"] for c in ("election", "cascade", "renewal", "utility"))
    assert np.array_equal(voluntary, res.steps["voluntary_exits"])
    assert res.summary["voluntary_exits"].sum() > 0


def test_entry_and_exit_follow_membership_whatever_changed_it():
    """The recorder derives entries and exits from the change of membership between recorded
    steps, so an exit that is no decision (a mandate's end, a scripted exit) is one too."""
    from sim.core.recording import Recorder
    from sim.core.setup import init_state, make_setup

    cfg = compose(["scenario=sahel"])
    setup = make_setup(cfg, [1], [0])
    state = init_state(cfg, setup)
    r, m, n = state.shape
    rec = Recorder(3, state.shape, memberships=True)
    rec.record(state, enabler_value=1.0)
    was = state.allies.member.copy()
    j, i = map(int, np.argwhere(was[0])[0])          # a member at the start
    k = int(np.argwhere(~was[0, j])[0][0])           # a non-member of the same mission
    state.step = 1
    state.allies.member[0, j, i] = False             # leaves, with no decision
    state.allies.member[0, j, k] = True              # arrives
    rec.record(state, enabler_value=1.0)              # no exits or joins reported
    state.step = 2
    state.allies.member[0, j, i] = True              # back
    rec.record(state, enabler_value=1.0)
    world = setup.world
    res = rec.results(world, [1], [0], setup.policy_names)
    df = res.membership_frame().set_index(["step", "mission", "ally"])
    mission, left, came = world.mission_names[j], world.ally_names[i], world.ally_names[k]
    assert df.loc[(1, mission, left), "exit"] and not df.loc[(1, mission, left), "entry"]
    assert df.loc[(1, mission, came), "entry"] and not df.loc[(1, mission, came), "exit"]
    assert df.loc[(2, mission, left), "entry"]
    assert df["exit"].sum() == 1 and df["entry"].sum() == 2
    assert res.steps["exits"][1, 0] == 0                       # no voluntary exit was reported
    stab = not world.is_core[j]
    assert res.steps["spells_ended"][1, 0] == (1.0 if stab else 0.0)
    assert res.steps["spell_months_ended"][1, 0] == (1.0 if stab else 0.0)   # steps 0..0
    sp = res.spell_frame().set_index(["mission", "ally", "entry_step"])
    assert sp.loc[(mission, left, 0), "length"] == 1 and sp.loc[(mission, left, 0), "completed"]
    assert sp.loc[(mission, left, 2), "length"] == 1       # censored at the last step, 2
    assert not sp.loc[(mission, left, 2), "completed"]


def test_rows_need_the_option():
    res = Ensemble(compose(["scenario=baseline", "scenario.horizon=6"]), seeds=1).run()
    with pytest.raises(ValueError, match="output.memberships"):
        res.membership_frame()
    with pytest.raises(ValueError, match="output.memberships"):
        res.spell_frame()


# ------------------------------------------------------------------ drivers and light records

def test_both_drivers_record_the_same_memberships_and_series_bit_for_bit():
    cfg = eventful(compose(["scenario=baseline", "policy=impulsive"]), mode="alternate")
    pairs = [(3, 0), (3, 1), (9, 4)]
    ens = Ensemble(cfg, seeds=[s for s, _ in pairs], runs=[r for _, r in pairs],
                   record_memberships=True).run()
    for k, (seed, run) in enumerate(pairs):
        mres = CoalitionModel(config=cfg, rng=seed, run=run,
                              record_memberships=True).run_to_end().results()
        for key in MEMBERSHIP_COLUMNS:
            assert np.array_equal(mres.memberships[key][:, 0], ens.memberships[key][:, k]), key
        for key, v in mres.steps.items():
            assert np.array_equal(v[:, 0], ens.steps[key][:, k], equal_nan=True), key
        for key, v in mres.summary_arrays.items():
            assert np.array_equal(v[:1], ens.summary_arrays[key][k:k + 1], equal_nan=True), key
        a = mres.spell_frame().reset_index(drop=True)
        b = ens.spell_frame()
        b = b[(b["seed"] == seed) & (b["run"] == run)].reset_index(drop=True)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_summaries_do_not_depend_on_light_recording_or_the_ensemble():
    cfg = compose(["scenario=broad_coalition", "policy=immediate_burden_sharing"])
    full = Ensemble(cfg, seeds=4, runs=range(5), record_memberships=True).run()
    light = Ensemble(cfg, seeds=4, runs=range(5), light=True).run()
    alone = Ensemble(cfg, seeds=4, runs=[3]).run()
    for key in ("countries_with_troops", "spells_ended", "spell_months_ended",
                "spells_ongoing", "spell_months_ongoing"):
        assert np.array_equal(full.steps[key], light.steps[key]), key
    for key, v in full.summary_arrays.items():
        assert np.array_equal(v, light.summary_arrays[key], equal_nan=True), key
        assert np.array_equal(v[3:4], alone.summary_arrays[key], equal_nan=True), key
    assert np.isnan(light.steps["troop_gini"]).all()   # the Gini is skipped in light records
    assert not np.isnan(full.steps["troop_gini"]).any()


# ------------------------------------------------------------------------------ the command

def test_sim_run_writes_membership_rows_and_spells_on_request(tmp_path):
    def run(*args, out):
        return subprocess.run([sys.executable, "-m", "sim.run", "scenario=baseline",
                               "scenario.horizon=30", "output.quiet=true", *args,
                               f"hydra.run.dir={out}"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)

    p = run("output.memberships=true", "driver=mesa", out=tmp_path / "a")
    assert p.returncode == 0, p.stderr
    rows = pd.read_parquet(tmp_path / "a" / "memberships.parquet")
    sp = pd.read_parquet(tmp_path / "a" / "spells.parquet")
    assert len(rows) == 31 * 2 * 30
    assert {"scenario", "policy_start", "seed", "run", "step", "mission", "ally", "member",
            "contribution", "entry", "exit", "expected", "trust"} <= set(rows.columns)
    assert {"entry_step", "exit_step", "length", "completed", "initial"} <= set(sp.columns)
    assert sp.loc[~sp["completed"], "exit_step"].isna().all()
    files = json.loads((tmp_path / "a" / "manifest.json").read_text())["files"]
    assert "memberships.parquet" in files and "spells.parquet" in files
    q = run("output.memberships=true", "driver=ensemble", out=tmp_path / "b")
    assert q.returncode == 0, q.stderr
    for name in ("memberships", "spells", "steps", "summary"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "b" / f"{name}.parquet"),
                                      check_exact=True)
    r = run(out=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "c" / "memberships.parquet").exists()
    assert not (tmp_path / "c" / "spells.parquet").exists()
