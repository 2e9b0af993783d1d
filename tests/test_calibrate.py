"""Calibration: history files checked line by line, the target registry, ABC-SMC recovers known
parameters, resumes, and is reproducible."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.calibration.run import calibrate, verdicts
from sim.analysis.calibration.smc import Simulator
from sim.analysis.calibration.spec import spec_from_dict
from sim.analysis.calibration.targets import SERIES, History, Observation, load_history
from sim.config import ConfigError, compose

OVERRIDES = ["policy=impulsive", "scenario.start=2010-01", "scenario.horizon=60"]


def raw_spec(**changes):
    raw = {"name": "toy", "scenario": "baseline", "overrides": OVERRIDES,
           "history": "history.csv",
           "targets": {"members": {"series": "members"},
                       "contributors": {"series": "contributors"},
                       "troops": {"series": "ally_troops"}},
           "priors": {"decision.join_threshold": {"uniform": [0.05, 0.5]}},
           "smc": {"population": 100, "generations": 3, "batch": 400},
           "predictive": 100, "seed": 5}
    raw.update(changes)
    return raw


def write_history(folder, targets=("members", "contributors", "troops"), steps=range(3, 61, 3)):
    lines = ["date,target,value"]
    for t in steps:
        y, m = divmod(t - 1, 12)
        for name in targets:
            lines.append(f"{2010 + y}-{m + 1:02d},{name},1")
    (folder / "history.csv").write_text("\n".join(lines) + "\n")


def make_spec(tmp_path, **changes):
    write_history(tmp_path)
    return spec_from_dict(raw_spec(**changes), tmp_path, str(tmp_path / "cal.yaml"))


# ------------------------------------------------------------------------- history files

TARGETS = {"m": {"series": "members"}, "share": {"series": "troop_share"},
           "swe": {"series": "exit_month", "ally": None}}


@pytest.mark.parametrize("text,fragment", [
    ("date,target,value\n2010-03,m,5\n2010-13,m,4\n",
     "line 3, field 'date': '2010-13' is not a calendar month"),
    ("date,target,value\n2010-03,m,-4\n", "line 2, field 'value': -4 is out of range"),
    ("date,target,value\n2010-03,m,five\n", "line 2, field 'value': 'five' is not a number"),
    ("date,target,value\n2010-03,m,2.5\n", "line 2, field 'value': 2.5 is not a whole number"),
    ("date,target,value\n2010-03,share,1.5\n", "line 2, field 'value': 1.5 is out of range"),
    ("date,target,value\n2010-03,m,\n", "line 2, field 'value': empty"),
    ("date,target,value\n2010-03,mm,1\n", "line 2, field 'target': 'mm' is not a declared "
     "target (did you mean 'm'?)"),
    ("date,target\n2010-03,m\n", "the header lacks 'value'"),
    ("date,target,value,extra\n2010-03,m,1,x\n", "unknown column 'extra'"),
    ("date,target,value\n2010-03,m,1,x\n", "line 2: more fields than the header's 3"),
    ("date,target,value\n2009-12,m,5\n", "line 2, field 'date': 2009-12 is outside"),
    ("date,target,value\n2010-03,m,5\n2010-03,m,6\n", "m at 2010-03 is given twice (also line 2)"),
    ("date,target,value\n2010-03,swe,3\n", "swe is a dated event (exit_month); its date is the "
     "observation: leave the value empty"),
    ("date,target,value\n2010-03,swe,\n2010-05,swe,\n", "swe is a dated event and has a date "
     "already"),
    ("date,target,value\n2010-03,share,0.5\n", "no observation of the declared target(s) m"),
])
def test_bad_history_files_are_named_with_line_and_field(tmp_path, text, fragment):
    from sim.analysis.calibration.targets import make_target
    allies = [f"a{i}" for i in range(3)]
    targets = {}
    for name, t in TARGETS.items():
        t = dict(t)
        if "ally" in t:
            t["ally"] = "a1"
        targets[name] = make_target(name, t, missions=["x"], allies=allies, where=name)
    if "swe" not in text:
        targets.pop("swe")
    if "share" not in text:
        targets.pop("share")
    p = tmp_path / "history.csv"
    p.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_history(p, targets, start="2010-01", horizon=60)
    assert fragment in str(info.value) and "history.csv" in str(info.value)


def test_shipped_histories_load():
    from sim.analysis.calibration.spec import load_spec
    for name in ("sahel", "syria", "pew"):
        spec = load_spec(f"experiments/calibration_{name}/config.yaml")
        cfg = compose(spec.overrides)
        hist = load_history(spec.history, spec.targets, start=cfg.scenario.start,
                            horizon=cfg.scenario.horizon)
        assert len(hist.observations) >= 5
        assert {o.target for o in hist.observations} == set(spec.targets)


# ------------------------------------------------------------------------- target registry

def test_every_series_and_scope_simulates_and_mission_exits_add_up(tmp_path):
    cfg = compose(["scenario=sahel"])
    missions = list(cfg.scenario.missions)
    raw = {"name": "all", "scenario": "sahel", "history": "history.csv",
           "priors": {"decision.value": [0.5, 2.0]}, "targets": {}}
    for s in SERIES.values():
        for scope in s.scopes:
            if scope == "coalition":
                raw["targets"][f"{s.name}"] = {"series": s.name}
            elif scope == "mission":
                for m in missions:
                    raw["targets"][f"{s.name}_{m}"] = {"series": s.name, "mission": m}
            else:
                raw["targets"][f"{s.name}_France"] = {"series": s.name, "ally": "France"}
    raw["targets"]["exits_12"] = {"series": "exits", "window": 12}
    steps = range(1, 126)
    lines = ["date,target,value"]
    for name, t in raw["targets"].items():
        for st in ([60] if t["series"] == "exit_month" else steps):
            y, m = divmod(st + 6, 12)
            lines.append(f"{2014 + y}-{m + 1:02d},{name},{'' if t['series'] == 'exit_month' else 0}")
    (tmp_path / "history.csv").write_text("\n".join(lines) + "\n")
    spec = spec_from_dict(raw, tmp_path, "all.yaml")
    hist = load_history(spec.history, spec.targets, start="2014-08", horizon=125)
    sim = Simulator(spec.overrides, 1, spec.targets, hist, batch=8)
    stats = sim.run({"decision.value": np.full(8, 1.0)}, np.arange(8))
    assert stats.shape == (len(hist.observations), 8) and np.isfinite(stats).all()
    keys = hist.keys()

    def series(name):
        return stats[[i for i, k in enumerate(keys) if k.startswith(name + "@")]]

    total = series("exits")
    assert total.sum() > 0                                   # some exits happen in the Sahel
    assert np.array_equal(total, sum(series(f"exits_{m}") for m in missions))
    # a 12-month window is the sum of the months in it
    monthly = np.vstack([np.zeros((11, 8)), total])
    windowed = np.array([monthly[k:k + 12].sum(axis=0) for k in range(125)])
    assert np.allclose(series("exits_12"), windowed)
    # shares are shares; a mission's contributors never exceed its members
    for m in missions:
        assert (series(f"contributors_{m}") <= series(f"members_{m}")).all()
        share = series(f"troop_share_{m}")
        assert ((share >= 0) & (share <= 1)).all()
    first = series("exit_month_France")
    assert ((first >= 1) & (first <= 126)).all()


# ------------------------------------------------------------------------- ABC-SMC

def test_abc_smc_recovers_a_known_parameter(tmp_path):
    """Recovery on synthetic data (small enough for CI). One synthetic history is one draw of
    the model's noise, and a 90% interval misses the truth one time in ten; so three synthetic
    histories (seeds 5, 6, 7): the truth inside the 90% interval in at least two (a calibrated
    method misses two or more with probability 0.03) and every interval narrower than the
    prior's."""
    inside = []
    for seed in (5, 6, 7):
        spec = make_spec(tmp_path, seed=seed, smc={"population": 80, "generations": 3,
                                                   "batch": 400}, predictive=40)
        res = calibrate(spec, tmp_path / f"out{seed}", truth={"decision.join_threshold": 0.25})
        rec = res.recovery.iloc[0]
        inside.append(bool(rec["inside"]))
        assert rec["width_ratio"] < 0.8, rec                     # learned, not just inside
        assert res.fit.summary["contraction"].iloc[0] > 0.3
        assert list(res.fit.generations["t"]) == [0, 1, 2]
        # (the thresholds are not compared across generations: the adaptive distance rescales
        # its weights every generation, so successive epsilons are on different scales)
    assert sum(inside) >= 2, inside
    for f in ("posterior.csv", "posterior_summary.csv", "correlations.csv", "predictive.csv",
              "recovery.csv", "diagnostics.json", "fit.png", "posterior.png", "fit.db"):
        assert (tmp_path / "out7" / f).exists(), f
    post = pd.read_csv(tmp_path / "out7" / "posterior.csv")
    assert len(post) == 80 and np.isclose(post["weight"].sum(), 1.0)


def test_abc_smc_is_reproducible_and_resumes(tmp_path):
    spec = make_spec(tmp_path, smc={"population": 20, "generations": 1, "batch": 50},
                     predictive=10)
    a = calibrate(spec, tmp_path / "a")
    import dataclasses
    # the same particles whatever the batch size and the number of worker processes
    other_batches = dataclasses.replace(spec, smc=dataclasses.replace(spec.smc, batch=7,
                                                                      workers=2))
    b = calibrate(other_batches, tmp_path / "b")
    pd.testing.assert_frame_equal(a.fit.posterior, b.fit.posterior)
    assert np.array_equal(a.predictive["median"], b.predictive["median"])
    # continue "a" with one more generation: its first generation is kept, a second is added
    more = dataclasses.replace(spec, smc=dataclasses.replace(spec.smc, generations=2))
    c = calibrate(more, tmp_path / "a")
    assert list(c.fit.generations["t"]) == [0, 1]
    assert c.fit.generations["samples"].iloc[0] == a.fit.generations["samples"].iloc[0]
    # a finished calibration run again does no new ABC-SMC simulations
    d = calibrate(more, tmp_path / "a")
    assert d.fit.simulations == 0
    # another config in the same folder is refused
    other = make_spec(tmp_path, priors={"decision.value": {"uniform": [0.5, 2.0]}},
                      smc={"population": 20, "generations": 1})
    with pytest.raises(ConfigError, match="holds a calibration of another config"):
        calibrate(other, tmp_path / "a")


def test_a_calibration_of_a_model_that_changed_since_is_not_continued(tmp_path, monkeypatch):
    """Same calibration file, but the model under it changed (an edited scenario file or a
    parameter default; the code): continuing would mix stale particles in. Refused, in one line;
    --fresh starts again."""
    import sim.analysis.calibration.run as run
    spec = make_spec(tmp_path, smc={"population": 20, "generations": 1, "batch": 50},
                     predictive=10)
    calibrate(spec, tmp_path / "m")
    real = run.compose
    # the scenario's contents change under the same name (as an edited configs/scenario file)
    monkeypatch.setattr(run, "compose", lambda ov: real(
        [*ov, "scenario.missions.stabilisation.risk=0.06"]))
    with pytest.raises(ConfigError, match="another composed model") as err:
        calibrate(spec, tmp_path / "m")
    assert "--fresh" in str(err.value) and "\n" not in str(err.value)
    monkeypatch.setattr(run, "compose", real)
    monkeypatch.setattr(run, "code_fingerprint", lambda parts=(): "0" * 64)
    with pytest.raises(ConfigError, match="other model code"):
        calibrate(spec, tmp_path / "m")
    res = calibrate(spec, tmp_path / "m", fresh=True)          # starts again, and is stamped
    assert res.fit.simulations > 0
    calibrate(spec, tmp_path / "m")                             # now continues


def test_out_of_sample_check_fits_the_first_part(tmp_path):
    spec = make_spec(tmp_path, holdout="2013-01", smc={"population": 30, "generations": 1,
                                                        "batch": 100}, predictive=20)
    res = calibrate(spec, tmp_path / "o")
    h = res.holdout
    assert h["n_fit"] == 3 * 12 and h["n_held_out"] == 3 * 8     # steps 3..36 vs 39..60
    held = h["table"][h["table"]["part"] == "held out"]
    assert (held["step"] >= 37).all() and len(held) == h["n_held_out"]
    assert 0 <= h["checks"]["coverage"] <= 1 and np.isfinite(h["checks"]["sharpness"])


def test_synthetic_observations_are_one_run_at_the_truth(tmp_path):
    from sim.analysis.calibration.run import synthetic_history
    from sim.drivers.ensemble import Ensemble
    spec = make_spec(tmp_path)
    hist = load_history(spec.history, spec.targets, start="2010-01", horizon=60)
    syn = synthetic_history(spec, hist, {"decision.join_threshold": 0.3})
    cfg = compose(["scenario=baseline", *OVERRIDES])
    from sim.analysis.calibration.smc import RUN_BLOCK
    res = Ensemble(cfg, seeds=5, runs=[5 * RUN_BLOCK + 7],
                   varied={"decision.join_threshold": [0.3]}, light=True).run()
    o = syn.observations[0]
    assert isinstance(syn, History) and isinstance(o, Observation)
    assert o.value == res.steps["members"][o.step, 0]


# ------------------------------------------------------------------------- named parameter sets

def test_shipped_calibrated_parameter_sets_compose_for_runs_and_sweeps():
    import yaml
    from pathlib import Path

    from sim.config import compose_raw
    files = sorted(Path("configs/params").glob("calibrated_*.yaml"))
    assert {f.stem for f in files} >= {"calibrated_sahel", "calibrated_syria", "calibrated_pew"}
    for f in files:
        values = yaml.safe_load(f.read_text())
        cfg = compose([f"params={f.stem}"])                   # validated against the ranges
        sweep = compose_raw("sweep", [f"params={f.stem}"])
        for group, kv in values.items():
            for key, v in kv.items():
                assert getattr(getattr(cfg, group), key) == pytest.approx(v)
                assert sweep[group][key] == pytest.approx(v)


def test_a_parameter_set_sets_only_rule_groups(tmp_path):
    from sim.config.files import check_option_file
    p = tmp_path / "bad.yaml"
    p.write_text("# @package _global_\nscenario:\n  horizon: 3\n")
    with pytest.raises(ConfigError, match="unknown key 'scenario'"):
        check_option_file(p, "params")
    p.write_text("decision:\n  value: 1.0\n")
    with pytest.raises(ConfigError, match="must start with '# @package _global_'"):
        check_option_file(p, "params")


def test_params_yaml_is_the_posterior_median():
    from sim.analysis.calibration.run import params_yaml
    import yaml
    summary = pd.DataFrame({"parameter": ["decision.value", "trust.asymmetry", "policy.stance"],
                            "median": [1.23456, 2.0, 0.5]})

    class S:
        name, overrides = "x", ["scenario=sahel"]
    text = params_yaml(S, summary, "cmd")
    assert yaml.safe_load(text) == {"decision": {"value": 1.235}, "trust": {"asymmetry": 2.0}}
    assert "Not set here" in text and "policy.stance=0.5" in text


# ------------------------------------------------------------------------- recovery, shipped

LEARNED = {"sahel": ("decision.max_share", "operations.threat_growth"),
           "syria": ("decision.lead_exit_weight", "decision.noise_scale"),
           "pew": ("trust.keep_weight", "trust.forgetting_country_bad")}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(LEARNED))
def test_recovery_on_every_shipped_calibration(name, tmp_path):
    """Each shipped calibration on a synthetic history simulated at the prior medians, fitting
    the parameters its real history identifies (the others at their configured values): the
    truth inside every 90% interval and every interval narrower than the prior's."""
    import dataclasses

    from sim.analysis.calibration.spec import load_spec
    spec = load_spec(f"experiments/calibration_{name}/config.yaml")
    spec = dataclasses.replace(
        spec, priors={p: spec.priors[p] for p in LEARNED[name]}, predictive=50,
        smc=dataclasses.replace(spec.smc, population=150, generations=3))
    truth = {p: float(pr.natural().median()) for p, pr in spec.priors.items()}
    res = calibrate(spec, tmp_path / name, truth=truth, holdout=False)
    rec = res.recovery
    assert rec["inside"].all(), rec
    assert rec["narrower"].all(), rec
