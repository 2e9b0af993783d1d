"""Every config option composes and validates; bad input fails early with a clear message."""

import dataclasses
import itertools

import pytest

from sim.config import (CONFIG_DIR, AllySpec, ConfigError, EventSpec, compose, load_policy,
                        policy_names, scenario_names, check_config)
from sim.drivers.ensemble import Ensemble

GROUPS = ["scenario", "policy", "trust", "decision", "operations", "capacity", "grievance"]


def options(group):
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("group", GROUPS)
def test_every_option_of_every_group_composes_and_validates(group):
    assert options(group), f"configs/{group} has no options"
    for option in options(group):
        cfg = compose([f"{group}={option}"])
        check_config(cfg)


def test_every_scenario_under_every_policy_composes_and_runs_a_few_steps():
    for scenario, policy in itertools.product(scenario_names(), policy_names()):
        cfg = compose([f"scenario={scenario}", f"policy={policy}"])
        ens = Ensemble(cfg, seeds=1, runs=[0])
        for _ in range(3):
            ens.step()


def test_policies_are_registered_by_their_yaml_and_named_as_such():
    assert set(policy_names()) >= {"load_shifting_first", "immediate_burden_sharing", "steady",
                                   "impulsive"}
    for name in policy_names():
        assert load_policy(name).name == name


def _replace_scenario(cfg, **kw):
    return dataclasses.replace(cfg, scenario=dataclasses.replace(cfg.scenario, **kw))


BAD_OVERRIDES = [
    (["trust.asymetry=2"], "asymetry"),
    (["trust.asymmetry=0.05"], "trust.asymmetry=0.05 is out of range: allowed [0.1, 10]"),
    (["decision.election_hazard=1.5"], "decision.election_hazard=1.5 is out of range"),
    (["policy.p_consult=2"], "policy.p_consult=2.0 is out of range: allowed [0, 1]"),
    (["policy=impulsve"], "policy/impulsve"),
    (["scenario=atlantis"], "scenario/atlantis"),
    (["scenario.horizon=abc"], "abc"),
    (["seed=-3"], "seed=-3"),
    (["driver=netlogo"], "driver='netlogo'"),
    (["scenario.allies.n=0"], "the coalition is empty"),
    (["decision.leave_threshold=0.5"], "leave_threshold=0.5 must not exceed"),
    (["scenario.allies.capacity_min=0.9"], "capacity_min=0.9 exceeds"),
    (["+colour=blue"], "colour"),
]


@pytest.mark.parametrize("overrides,fragment", BAD_OVERRIDES)
def test_bad_overrides_fail_with_a_message_naming_the_key(overrides, fragment):
    with pytest.raises(ConfigError) as info:
        compose(overrides)
    assert fragment in str(info.value)


def scenario_errors(cfg):
    m0 = cfg.scenario.missions["stabilisation"]
    return [
        (dict(missions={}), "scenario.missions is empty"),
        (dict(missions={"stabilisation": dataclasses.replace(m0, required_force=0.0)}),
         "scenario.missions.stabilisation.required_force=0.0 is out of range"),
        (dict(missions={"stabilisation": dataclasses.replace(m0, risk=1.2)}),
         "risk=1.2 is out of range"),
        (dict(missions={"stabilisation": dataclasses.replace(m0, risk=float("nan"))}),
         "risk=nan is out of range"),
        (dict(missions={"stabilisation": dataclasses.replace(m0, partner_force=float("inf"))}),
         "partner_force=inf is out of range"),
        (dict(events=[EventSpec(kind="withdrawal", step=5, mission="sahle")]),
         "unknown mission 'sahle'"),
        (dict(events=[EventSpec(kind="attack", step=5, mission="stabilisation", ally="Atlantis")]),
         "unknown ally 'Atlantis'"),
        (dict(events=[EventSpec(kind="reversal", step=500, mission="stabilisation")]),
         "step 500 is outside the horizon [1, 120]"),
        (dict(events=[EventSpec(kind="reversal", date="2031-01", mission="stabilisation")]),
         "needs scenario.start"),
        (dict(start="2020-01", events=[EventSpec(kind="reversal", date="2031-02",
                                                 mission="stabilisation")]),
         "step 134 is outside the horizon"),
        (dict(start="2020-13"), "scenario.start='2020-13' is not a calendar month"),
        (dict(events=[EventSpec(kind="withdrawl", step=3)]), "'withdrawl' is not an event kind"),
        (dict(events=[EventSpec(kind="announcement", step=3, mission="stabilisation")]),
         "'level' is required for a announcement event"),
        (dict(events=[EventSpec(kind="domestic_shock", step=3, size=1.0, mission="stabilisation")]),
         "'mission' does not apply to a domestic_shock event"),
        (dict(events=[EventSpec(kind="withdrawal", step=3, mission="stabilisation",
                                fraction=1.5)]), "fraction=1.5 is out of range"),
        (dict(events=[EventSpec(kind="administration", step=3, policy="isolationist")]),
         "unknown policy 'isolationist'"),
        (dict(events=[EventSpec(kind="mission_start", step=10, mission="stabilisation"),
                      EventSpec(kind="withdrawal", step=5, mission="stabilisation")]),
         "concerns mission 'stabilisation' before it starts (step 10)"),
        (dict(events=[EventSpec(kind="mission_start", step=10, mission="stabilisation"),
                      EventSpec(kind="mission_start", step=12, mission="stabilisation")]),
         "already has a mission_start event"),
        (dict(missions={"stabilisation": dataclasses.replace(m0, mandate_end=10)},
              events=[EventSpec(kind="mission_start", step=10, mission="stabilisation")]),
         "mandate_end=10 is not after its mission_start"),
        (dict(allies=dataclasses.replace(cfg.scenario.allies,
                                         roster={"France": AllySpec(capacity=0.8)})),
         "roster.France: give its force"),
        (dict(allies=dataclasses.replace(cfg.scenario.allies,
                                         roster={"France": AllySpec(force=5000.0)})),
         "roster.France.capacity is missing"),
        (dict(allies=dataclasses.replace(cfg.scenario.allies, roster={
            "France": AllySpec(force=5000.0, capacity=0.8, interest={"sahel": 0.5})})),
         "unknown mission 'sahel'"),
        (dict(allies=dataclasses.replace(cfg.scenario.allies, roster={
            "France": AllySpec(force=float("nan"), capacity=0.8)})),
         "roster.France.force=nan is out of range"),
        (dict(events=[EventSpec(kind="withdrawal", step=3, mission="stabilisation",
                                troops=30000)]),
         "troops=30000 must be true or false"),
        (dict(events=[EventSpec(kind="domestic_shock", step=3, size=float("nan"))]),
         "size=nan is out of range"),
        (dict(events=[EventSpec(kind="announcement", step=3, mission="stabilisation",
                                level=1.0, horizon=2.5)]),
         "horizon=2.5 must be a whole number"),
    ]


def test_scenario_errors_name_the_problem(baseline):
    for change, fragment in scenario_errors(baseline):
        with pytest.raises(ConfigError) as info:
            check_config(_replace_scenario(baseline, **change))
        assert fragment in str(info.value), (change, str(info.value))


def test_dates_count_months_from_the_start(baseline):
    from sim.core.world import build_world
    cfg = _replace_scenario(baseline, start="2018-12", horizon=24, events=[
        EventSpec(kind="withdrawal", date="2019-10", mission="stabilisation")])
    check_config(cfg)
    assert build_world(cfg).events[0].step == 11


def test_varying_an_unknown_parameter_is_refused(baseline):
    with pytest.raises(ConfigError, match="unknown parameter 'trust.asymetry'"):
        Ensemble(baseline, seeds=1, runs=[0, 1], varied={"trust.asymetry": [1, 2]})
    with pytest.raises(ConfigError, match="unknown parameter 'policy.budget'"):
        Ensemble(baseline, seeds=1, runs=[0, 1], varied={"policy.budget": [1, 2]})


def test_mission_and_roster_fields_are_overridden_from_the_command_line_like_any_value():
    cfg = compose(["scenario=sahel", "scenario.missions.barkhane.lead_troops=500",
                   "scenario.allies.roster.France.exit_threshold=0.7"])
    assert cfg.scenario.missions["barkhane"].lead_troops == 500
    assert cfg.scenario.allies.roster["France"].exit_threshold == 0.7
    with pytest.raises(ConfigError, match="risk=2.0 is out of range"):
        compose(["scenario=sahel", "scenario.missions.barkhane.risk=2"])


def test_an_override_of_the_timeline_is_refused_and_add_events_appends(baseline):
    with pytest.raises(ConfigError, match="would replace the scenario's whole timeline"):
        compose(["scenario=syria", "+scenario.events=[{kind: election, step: 3}]"])
    n = len(compose(["scenario=syria"]).scenario.events)
    cfg = compose(["scenario=syria", "scenario.add_events=[{kind: election, step: 3}]"])
    assert len(cfg.scenario.events) == n + 1 and cfg.scenario.events[-1].kind == "election"


def test_a_troop_floor_of_zero_keeps_every_output_finite():
    import numpy as np

    cfg = compose(["policy=immediate_burden_sharing", "policy.troop_floor=0",
                   "policy.enabler_floor=0", "policy.pledge_horizon=12"])
    res = Ensemble(cfg, seeds=1, runs=range(4), record_allies=True).run()
    assert (res.missions["lead_troops"][-1] == 0).all()      # the plan did reach zero
    for group in (res.steps, res.missions, res.allies):
        for key, v in group.items():
            if key.startswith("trust_p") or key == "contribution_gini":
                continue
            assert np.isfinite(v).all(), key
