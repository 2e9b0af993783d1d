"""Invariants under any sequence of events (Hypothesis)."""

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import EventSpec, compose, policy_names, validate
from sim.drivers.ensemble import Ensemble
from sim.drivers.mesa import CoalitionModel

HORIZON = 24
MISSIONS = ["stabilisation", "intelligence"]


@st.composite
def events(draw):
    kinds = draw(st.lists(st.sampled_from([
        "announcement", "withdrawal", "reversal", "abandon_partner", "election", "administration",
        "domestic_shock", "attack", "mandate_expiry", "deployment"]), max_size=10))
    out = []
    for kind in kinds:
        step = draw(st.integers(1, HORIZON))
        mission = draw(st.sampled_from(MISSIONS))
        if kind == "announcement":
            out.append(EventSpec(kind=kind, step=step, mission=mission,
                                 level=draw(st.floats(0, 1)), horizon=draw(st.integers(1, 30))))
        elif kind == "withdrawal":
            out.append(EventSpec(kind=kind, step=step, mission=mission,
                                 fraction=draw(st.floats(0, 1)), consulted=draw(st.booleans()),
                                 notice=draw(st.booleans()), enablers=draw(st.booleans()),
                                 troops=draw(st.booleans())))
        elif kind == "deployment":
            out.append(EventSpec(kind=kind, step=step, mission=mission,
                                 fraction=draw(st.floats(0, 1)), enablers=draw(st.booleans())))
        elif kind in ("reversal", "abandon_partner", "mandate_expiry"):
            out.append(EventSpec(kind=kind, step=step, mission=mission))
        elif kind == "election":
            ally = draw(st.one_of(st.none(), st.sampled_from([f"ally_{i}" for i in range(8)])))
            out.append(EventSpec(kind=kind, step=step, ally=ally))
        elif kind == "administration":
            out.append(EventSpec(kind=kind, step=step, policy=draw(st.sampled_from(policy_names()))))
        elif kind == "domestic_shock":
            out.append(EventSpec(kind=kind, step=step, size=draw(st.floats(0.01, 5))))
        else:
            out.append(EventSpec(kind=kind, step=step, mission=mission,
                                 ally=draw(st.sampled_from([f"ally_{i}" for i in range(8)]))))
    return out


def config(evts, policy, asymmetry):
    base = compose(["scenario=baseline", f"policy={policy}", f"trust.asymmetry={asymmetry}"])
    scen = dataclasses.replace(base.scenario, horizon=HORIZON, events=evts,
                               allies=dataclasses.replace(base.scenario.allies, n=8))
    cfg = dataclasses.replace(base, scenario=scen)
    validate(cfg)
    return cfg


def check_state(s):
    for key in ("trust", "trust_leader", "trust_country", "honesty", "damage", "capacity",
                "partner_capacity", "partner_dependence", "threat", "perception", "effort",
                "effectiveness", "eff_without_lead", "enablers", "level"):
        v = s[key]
        assert np.isfinite(v).all(), key
        assert (v >= 0.0).all() and (v <= 1.0 + 1e-12).all(), (key, v.min(), v.max())
    for key in ("contribution", "troops", "grievance", "stress", "r_leader", "s_leader",
                "r_country", "s_country"):
        assert np.isfinite(s[key]).all() and (s[key] >= 0.0).all(), key
    member = s["member"]
    assert (s["contribution"][~member] == 0.0).all()           # no contribution without membership
    assert (s["effort"][~member] == 0.0).all()
    assert (s["was_member"] | ~member).all()                  # members have been members
    assert not member[np.broadcast_to(~s["active"], member.shape)].any()  # no members of ended


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evts=events(), policy=st.sampled_from(policy_names()),
       asymmetry=st.sampled_from([1.0, 3.0, 10.0]), seed=st.integers(0, 2**40))
def test_no_nan_and_bounds_hold_after_any_event_sequence(evts, policy, asymmetry, seed):
    ens = Ensemble(config(evts, policy, asymmetry), seeds=seed, runs=[0, 1])
    check_state(ens.state)
    while ens.t < HORIZON:
        ens.step()
        check_state(ens.state)
    res = ens.result()
    for table in (res.steps, res.missions):
        for key, v in table.items():
            assert np.isfinite(v).all(), key
    s = res.summary
    assert (s["final_ally_burden_share"].between(0, 1)).all()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evts=events(), policy=st.sampled_from(policy_names()), seed=st.integers(0, 2**40))
def test_membership_views_are_consistent_in_the_mesa_model(evts, policy, seed):
    model = CoalitionModel(config=config(evts, policy, 3.0), rng=seed)
    for _ in range(HORIZON):
        model.step()
        for mission in model.missions:
            ids = {a.unique_id for a in mission.members}
            assert ids == {a.unique_id for a in model.allies if a.member[mission.index, 0]}
            assert {a.unique_id for a in mission.contributors} <= ids
            assert all(mission.name in a.missions for a in mission.members)
        hist = model.history()["missions"]["members"][-1, 0]
        assert hist.tolist() == [len(m.members) for m in model.missions]
