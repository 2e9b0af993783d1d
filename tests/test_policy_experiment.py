"""The policy experiment's machinery: levers, decomposition, frontier, survival, robustness, PRIM."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.analysis import levers as lv
from sim.analysis.decompose import decompose
from sim.analysis.discovery import prim
from sim.analysis.frontier import pareto, sample_levers
from sim.analysis.robustness import robustness_table
from sim.analysis.stats import bca_mean, rmst, rmst_difference, survival_curve
from sim.config import compose, policy_names
from sim.config.schema import PolicyConfig
from sim.drivers.ensemble import Ensemble


def test_every_policy_field_belongs_to_exactly_one_lever():
    fields = {f.name for f in dataclasses.fields(PolicyConfig)} - {"name", "description"}
    keys = [k for lever in lv.LEVERS for k in lever.keys]
    assert sorted(keys) == sorted(fields)
    assert len(keys) == len(set(keys))
    for lever in lv.LEVERS:
        assert lever.label and all(f.label and f.unit for f in lever.fields)


def test_named_policies_are_points_and_their_differences_are_levers():
    a = lv.policy_point("immediate_burden_sharing")
    b = lv.policy_point("load_shifting_first")
    diff = lv.differing_levers(a, b)
    assert "sequencing" in diff and "enabler_cuts" in diff and "impulsiveness" not in diff
    moved = a
    for name in diff:
        moved = lv.with_lever(moved, name, b)
    assert moved == b
    assert lv.differing_levers(a, a) == []
    for p in policy_names():
        assert lv.describe_point(lv.policy_point(p))
    with pytest.raises(KeyError, match="unknown lever"):
        lv.lever("colour")


def test_a_named_point_reproduces_the_named_policy_bit_for_bit():
    cfg = compose(["scenario=baseline", "scenario.horizon=18"])
    ref = Ensemble(cfg, seeds=3, runs=np.arange(4), policies=["load_shifting_first"] * 4,
                   light=True).run()
    mine = lv.run_points({"x": lv.policy_point("load_shifting_first")}, None, replicates=4,
                         seed=3, cfg=cfg, start_policy="steady")
    np.testing.assert_array_equal(mine["mean_ally_burden_share"].to_numpy(),
                                  np.asarray(ref.summary_arrays["mean_ally_burden_share"]))


@pytest.fixture(scope="module")
def small_decomposition():
    draws = pd.DataFrame({"point": range(6), "trust.asymmetry": np.linspace(1, 5, 6)})
    return decompose("immediate_burden_sharing", "load_shifting_first", draws, replicates=1,
                     overrides=["scenario.horizon=24"])


def test_walk_contributions_add_up_to_the_total(small_decomposition):
    d = small_decomposition
    for o, tot in d.totals.set_index("outcome")["total"].items():
        t = d.table[d.table.outcome == o]
        assert t["forward"].sum() == pytest.approx(tot, rel=1e-9, abs=1e-9)
        assert t["reverse"].sum() == pytest.approx(tot, rel=1e-9, abs=1e-9)
        assert (t["alone_low"] <= t["alone"] + 1e-12).all()
        assert (t["alone"] <= t["alone_high"] + 1e-12).all()
    # the walks start and end at the named policies, on the same random numbers
    assert d.walks["forward"][0] == d.walks["reverse"][0] == "immediate_burden_sharing"
    last_f = d.points[d.walks["forward"][-1]]
    assert last_f == lv.policy_point("load_shifting_first")


def test_pareto_matches_brute_force():
    gen = np.random.default_rng(0)
    c, v = gen.random(40), gen.random(40)
    mask = pareto(c, v)
    for i in range(40):
        dominated = any((c[j] <= c[i]) and (v[j] >= v[i]) and (c[j] < c[i] or v[j] > v[i])
                        for j in range(40))
        assert mask[i] == (not dominated)


def test_sampled_lever_points_are_valid_policies():
    from sim.config.params import check_value, parse_parameter
    for pt in sample_levers(20).values():
        for k, v in pt.items():
            check_value(parse_parameter(f"policy.{k}"), v, k)
        assert (pt["cut_start"] == -1) != (pt["handover_threshold"] > 1.0)


def test_survival_statistics():
    gen = np.random.default_rng(1)
    t = gen.exponential(30, 400)
    assert rmst(np.minimum(t, 50), t < 50, 50) == pytest.approx(np.minimum(t, 50).mean())
    times, s = survival_curve(np.minimum(t, 50), t < 50)
    assert s[0] == 1 and np.all(np.diff(s) <= 0)
    assert s[-1] == pytest.approx((t >= 50).mean(), abs=0.02)
    # nobody fell: the curve stays at 1 and the RMST is tau
    assert rmst(np.full(10, 80.0), np.zeros(10, bool), 60) == pytest.approx(60)
    rb, rt, d, lo, hi = rmst_difference(np.minimum(t, 50), t < 50, np.minimum(2 * t, 50),
                                        2 * t < 50, 50, n_resamples=300)
    assert lo < d < hi and d > 0


def test_bca_interval_covers_the_mean_and_degenerates_to_the_point():
    m, lo, hi = bca_mean(np.random.default_rng(2).normal(1.0, 1.0, 200))
    assert lo < m < hi and lo < 1.0 < hi
    assert bca_mean(np.full(10, 0.5)) == (0.5, 0.5, 0.5)


def test_prim_finds_a_planted_box():
    gen = np.random.default_rng(3)
    x = pd.DataFrame({"trust.asymmetry": gen.uniform(1, 5, 600),
                      "capacity.collapse_rate": gen.uniform(0, 1, 600)})
    y = (x["trust.asymmetry"] > 3.5).to_numpy()
    box = prim(x, y, label="planted")
    lim = box.limits.set_index("parameter")
    assert lim.loc["trust.asymmetry", "restricted"]
    assert lim.loc["trust.asymmetry", "low"] == pytest.approx(3.5, abs=0.15)
    assert box.density > 0.9 and box.coverage > 0.8
    assert "bad news" in box.describe()        # plain words, not config keys


def test_regret_is_zero_for_the_best_policy_at_each_point():
    pts = pd.DataFrame({"policy": ["a", "b"] * 3, "point": [0, 0, 1, 1, 2, 2],
                        "mean_ally_burden_share": [0.5, 0.2, 0.1, 0.4, 0.6, 0.6]})
    t = robustness_table(pts, {"mean_ally_burden_share": 0.3}).set_index("policy")
    assert t.loc["a", "max_regret"] == pytest.approx(0.3)
    assert t.loc["b", "max_regret"] == pytest.approx(0.3)
    assert t.loc["a", "satisficing"] == pytest.approx(2 / 3)
    assert t.loc["a", "best_share"] == pytest.approx(2 / 3)


def test_sweep_dashboard_uses_the_report_sign_and_shows_frontier_and_decomposition(tmp_path):
    from sim.app.sweep import decomposition, default_pair, frontier_figure
    from sim.experiments.collect import collect
    from sim.experiments.sweep import run_sweep

    assert default_pair(["load_shifting_first", "immediate_burden_sharing", "steady"]) == \
        ("immediate_burden_sharing", "load_shifting_first")
    assert default_pair(["steady", "impulsive"]) == ("steady", "impulsive")
    run_sweep(["experiment=compare", "sweep.samples=3", "sweep.replicates=1",
               "scenario.horizon=12", f"sweep.dir={tmp_path / 's'}", "sweep.trajectories=false"],
              progress="none")
    df = collect(tmp_path / "s")
    fig = frontier_figure(df, "mean_ally_burden_share", "immediate_burden_sharing",
                          "load_shifting_first")
    assert len(fig.axes[0].collections) == 4                   # one marker per policy
    fig, note = decomposition(df, tmp_path / "s", "immediate_burden_sharing",
                              "load_shifting_first", "baseline", "mean_ally_burden_share")
    assert fig is not None, note
    assert "first 3 draws" in note
