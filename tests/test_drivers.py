"""The two drivers agree bit for bit; results are deterministic; run k alone equals run k in any
ensemble."""

import dataclasses

import numpy as np
import pytest

from sim.config import compose, policy_names, scenario_names, check_config
from sim.drivers.ensemble import Ensemble
from sim.drivers.mesa import CoalitionModel
from sim.config.params import with_values
from sim.core.events import EVENT_KINDS
from tests.conftest import assert_same_history, eventful

CASES = [(s, p) for s in scenario_names() for p in policy_names()]


def assert_same_state(model, ens, k, step):
    mesa_state, ens_state = model.state.arrays(), ens.state.arrays()
    for key, v in mesa_state.items():
        if not np.array_equal(v[0], ens_state[key][k]):
            raise AssertionError(f"state {key} differs after step {step} (run {k})")


@pytest.mark.parametrize("scenario,policy", CASES)
def test_mesa_model_equals_ensemble_run_bit_for_bit_in_every_state_array(scenario, policy):
    cfg = compose([f"scenario={scenario}", f"policy={policy}"])
    pairs = [(7, 0), (7, 2), (123, 1)]
    ens = Ensemble(cfg, seeds=[s for s, _ in pairs], runs=[r for _, r in pairs],
                   record_allies=True)
    models = {k: CoalitionModel(config=cfg, rng=pairs[k][0], run=pairs[k][1]) for k in (0, 2)}
    for k, model in models.items():
        assert_same_state(model, ens, k, 0)
    while ens.t < cfg.scenario.horizon:
        ens.step()
        for k, model in models.items():
            model.step()
            assert_same_state(model, ens, k, ens.t)
    res = ens.result()
    for k, model in models.items():
        assert_same_history(model.history(), res, k)


@pytest.mark.parametrize("mode", ["fixed", "alternate"])
def test_drivers_agree_on_every_event_kind_and_administrations(baseline, mode):
    cfg = eventful(compose(["scenario=baseline", "policy=load_shifting_first"]), mode=mode)
    check_config(cfg)
    res = Ensemble(cfg, seeds=[3, 3, 9], runs=[0, 1, 0], record_allies=True).run()
    for k, (seed, run) in enumerate([(3, 0), (3, 1), (9, 0)]):
        model = CoalitionModel(config=cfg, rng=seed, run=run).run_to_end()
        assert_same_history(model.history(), res, k)
    fired = CoalitionModel(config=cfg, rng=3).run_to_end().fired
    assert {e.kind for e in fired} == set(EVENT_KINDS)        # every kind, through Mesa's events
    late = list(res.world.mission_names).index("late")          # opens with a mission_start
    assert (res.missions["members"][:8, :, late] == 0).all()
    assert (res.missions["lead_troops"][:8, :, late] == 0).all()
    assert (res.missions["active"][:8, :, late] == 0).all() and (res.missions["active"][8, :, late] == 1).all()
    assert (res.missions["members"][8:, :, late] > 0).any()


def test_same_seed_same_frames_different_seed_different_frames(baseline):
    a = Ensemble(baseline, seeds=4, runs=[0]).run()
    b = Ensemble(baseline, seeds=4, runs=[0]).run()
    c = Ensemble(baseline, seeds=5, runs=[0]).run()
    assert a.step_frame().equals(b.step_frame())
    assert a.summary.equals(b.summary)
    assert not a.step_frame().drop(columns="seed").equals(c.step_frame().drop(columns="seed"))


@pytest.mark.parametrize("size", [1, 2, 17, 64])
def test_run_k_alone_equals_run_k_in_an_ensemble_of_any_size(baseline, size):
    cfg = compose(["scenario=baseline", "policy=impulsive"])
    alone = Ensemble(cfg, seeds=[11], runs=[5], record_allies=True).run()
    runs = list(range(size)) + [5] if size < 6 else list(range(size))
    big = Ensemble(cfg, seeds=11, runs=runs[::-1], record_allies=True).run()
    k = list(runs[::-1]).index(5)
    for group in ("steps", "missions", "allies"):
        for key, v in getattr(alone, group).items():
            assert np.array_equal(v[:, 0], getattr(big, group)[key][:, k]), (group, key)
    for key, v in alone.summary_arrays.items():
        assert v[0] == big.summary_arrays[key][k], key


def test_runs_under_different_policies_share_their_random_numbers(baseline):
    """Common random numbers: the allies drawn for two policies under one seed are identical."""
    cfg = compose(["scenario=baseline"])
    a = Ensemble(cfg, seeds=2, runs=range(8), policies=["steady"] * 8)
    b = Ensemble(cfg, seeds=2, runs=range(8), policies=["impulsive"] * 8)
    for key in ("force", "capacity", "perception", "slope", "exit_threshold"):
        assert np.array_equal(getattr(a.state.allies, key), getattr(b.state.allies, key))


def test_mixed_policies_in_one_ensemble_equal_separate_ensembles(baseline):
    cfg = compose(["scenario=baseline"])
    names = ["steady", "impulsive", "load_shifting_first", "immediate_burden_sharing"]
    mixed = Ensemble(cfg, seeds=1, runs=[0, 0, 0, 0], policies=names).run()
    for k, name in enumerate(names):
        single = Ensemble(compose(["scenario=baseline", f"policy={name}"]), seeds=1,
                          runs=[0]).run()
        for key, v in single.steps.items():
            if key == "policy_index":
                continue
            assert np.array_equal(v[:, 0], mixed.steps[key][:, k]), (name, key)


def test_varied_parameters_equal_a_config_with_that_value(baseline):
    values = [1.0, 3.0, 5.0]
    deps = [0.2, 0.5, 0.8]
    ens = Ensemble(baseline, seeds=1, runs=[0, 0, 0],
                   varied={"trust.asymmetry": values, "policy.building": [0.2, 0.5, 0.9],
                           "missions.stabilisation.partner_dependence": deps}).run()
    for k, (asym, build) in enumerate(zip(values, [0.2, 0.5, 0.9])):
        cfg = compose(["scenario=baseline", f"trust.asymmetry={asym}", f"policy.building={build}"])
        cfg = with_values(cfg, {"missions.stabilisation.partner_dependence": deps[k]})
        model = CoalitionModel(config=cfg, rng=1).run_to_end()
        h = model.history()
        for key, v in h["steps"].items():
            assert np.array_equal(v[:, 0], ens.steps[key][:, k]), key


def test_mesa_datacollector_records_every_step(baseline):
    model = CoalitionModel(config=dataclasses.replace(
        baseline, scenario=dataclasses.replace(baseline.scenario, horizon=12)), rng=1)
    model.run_for(12)
    assert model.state.step == model.steps == 12 and not model.running
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 13
    assert np.array_equal(df["trust"].to_numpy(), model.history()["steps"]["trust"][:, 0])
    agents = model.datacollector.get_agent_vars_dataframe().dropna()
    assert len(agents) == 13 * len(model.allies)
    last = agents.xs(12.0, level="Step")["ally_trust"].to_numpy()
    assert np.array_equal(last, model.state.allies.trust[0, 0])
