"""Sensitivity analysis with a known answer, and the regression gate."""

import json

import pandas as pd
import pytest

from sim.analysis.compare import morris, sobol
from sim.experiments.collect import collect
from sim.analysis.gate import compare, main as gate_main, statistics
from sim.experiments.sweep import run_sweep

# asymmetry scales bad evidence only; the steady lead never cuts or reverses, so asymmetry has no
# effect at all on its runs (an analytic zero), while the Press weight changes decisions.
BASE = ["scenario.horizon=24", "sweep.policies=[steady]", "sweep.replicates=1",
        "+sweep.uncertainties.trust.asymmetry={low: 1.0, high: 5.0}",
        "+sweep.uncertainties.trust.press_weight={low: 0.0, high: 1.0}"]


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory):
    d = tmp_path_factory.mktemp("sobol") / "s"
    run_sweep(BASE + ["sweep.name=t_sobol", "sweep.sampler=sobol", "sweep.samples=16",
                      f"sweep.dir={d}"], progress="none")
    return d


def test_sobol_finds_the_analytic_zero_and_the_real_effect(sobol_sweep):
    r = sobol(sobol_sweep, "mean_ally_burden_share")
    t = r.table.set_index("parameter")
    assert abs(t.loc["trust.asymmetry", "ST"]) < 1e-9
    assert abs(t.loc["trust.asymmetry", "S1"]) < 1e-9
    assert t.loc["trust.press_weight", "ST"] > 0.5
    fig = r.figure(None)
    assert fig.axes[0].get_xlabel().startswith("Sobol index")


def test_morris_finds_the_analytic_zero(tmp_path):
    d = tmp_path / "m"
    run_sweep(BASE + ["sweep.name=t_morris", "sweep.sampler=morris", "sweep.samples=4",
                      "sweep.levels=4", f"sweep.dir={d}"], progress="none")
    t = morris(d, "mean_ally_burden_share").table.set_index("parameter")
    assert t.loc["trust.asymmetry", "mu_star"] == 0.0
    assert t.loc["trust.press_weight", "mu_star"] > 0.0


def test_analysis_errors_are_clear(sobol_sweep, tmp_path):
    with pytest.raises(KeyError, match="unknown outcome 'final_truts'"):
        sobol(sobol_sweep, "final_truts")
    with pytest.raises(ValueError, match="policy 'impulsive' is not in the sweep"):
        sobol(sobol_sweep, "final_trust", policy="impulsive")
    d = tmp_path / "lhs"
    run_sweep(["experiment=smoke", "scenario.horizon=6", f"sweep.dir={d}"], progress="none")
    with pytest.raises(ValueError, match="needs a sweep sampled with sweep.sampler=sobol"):
        sobol(d, "final_trust", policy="load_shifting_first")


def test_gate_passes_on_the_same_results_and_fails_beyond_tolerance(tmp_path):
    d = tmp_path / "s"
    run_sweep(["experiment=smoke", "scenario.horizon=12", f"sweep.dir={d}"], progress="none")
    ref = tmp_path / "ref.json"
    assert gate_main([str(d), "--reference", str(ref), "--update"]) == 0
    assert gate_main([str(d), "--reference", str(ref)]) == 0
    report = json.loads((d / "gate_report.json").read_text())
    assert report["passed"] and all(c["status"] == "pass" for c in report["checks"])
    df = collect(d)
    moved = df.copy()
    moved["final_trust_leader"] += 0.2
    res = compare(statistics(moved), statistics(df))
    failed = res[res["status"] == "FAIL"]
    assert set(failed["outcome"]) == {"final_trust_leader"}
    # a shift well inside the replicate noise passes
    nudged = df.copy()
    nudged["mean_ally_burden_share"] += 1e-4
    assert (compare(statistics(nudged), statistics(df))["status"] == "pass").all()
    # an outcome missing from the sweep is reported
    res = compare(statistics(df[df.policy == "load_shifting_first"]), statistics(df))
    assert (res["status"] == "missing").sum() == len(res) // 2


def test_compare_refuses_unpaired_or_incomplete_results(tmp_path):
    from sim.analysis.compare import compare
    d = tmp_path / "c"
    run_sweep(["experiment=smoke", "scenario.horizon=6", f"sweep.dir={d}"], progress="none")
    df = collect(d)
    base, treat = "immediate_burden_sharing", "load_shifting_first"
    ok = compare(df, base, treat, ["final_trust"])
    assert ok["n_pairs"].iloc[0] == 16
    shifted = df.copy()
    shifted.loc[shifted.policy == treat, "run"] += 1
    with pytest.raises(ValueError, match="not run on the same seeds"):
        compare(shifted, base, treat)
    with pytest.raises(ValueError, match="missing runs: 0 runs of .* and 3 runs"):
        compare(df.drop(df[df.policy == base].index[:3]), base, treat)
    with pytest.raises(KeyError, match="unknown outcome 'burden'"):
        compare(df, base, treat, ["burden"])
    with pytest.raises(ValueError, match="policy 'steady' is not in the results"):
        compare(df, base, "steady")
