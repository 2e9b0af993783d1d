"""Invariants under any sequence of events (Hypothesis)."""

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import EventSpec, compose, policy_names, check_config
from sim.drivers.ensemble import Ensemble
from sim.drivers.mesa import CoalitionModel

HORIZON = 24
MISSIONS = ["stabilisation", "intelligence"]


@st.composite
def events(draw):
    kinds = draw(st.lists(st.sampled_from([
        "announcement", "withdrawal", "reversal", "abandon_partner", "election", "administration",
        "domestic_shock", "attack", "mandate_expiry", "deployment", "mission_start",
        "announce_withdrawal", "cancel_withdrawal"]),
        max_size=10))
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
        elif kind == "announce_withdrawal":
            out.append(EventSpec(kind=kind, step=step, mission=mission,
                                 after=draw(st.integers(1, 30)), fraction=draw(st.floats(0, 1)),
                                 consulted=draw(st.booleans()), troops=draw(st.booleans())))
        elif kind in ("reversal", "abandon_partner", "mandate_expiry", "mission_start",
                      "cancel_withdrawal"):
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
    # a mission opens once, and nothing happens to it before it opens
    first = {}
    for ev in out:
        if ev.kind == "mission_start" and ev.mission not in first:
            first[ev.mission] = ev
    return [e for e in out
            if e is first.get(e.mission)
            or (e.kind != "mission_start"
                and (e.mission not in first or e.step >= first[e.mission].step))]


def config(evts, policy, asymmetry):
    base = compose(["scenario=baseline", f"policy={policy}", f"trust.asymmetry={asymmetry}"])
    scen = dataclasses.replace(base.scenario, horizon=HORIZON, events=evts,
                               allies=dataclasses.replace(base.scenario.allies, n=8))
    cfg = dataclasses.replace(base, scenario=scen)
    check_config(cfg)
    return cfg


def check_state(state):
    s = {k.split(".", 1)[1]: v for k, v in state.arrays().items() if not k.startswith("month.")}
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


def test_agents_are_views_that_read_and_write_the_state():
    model = CoalitionModel(config=config([], "steady", 3.0), rng=5)
    model.run_for(6)
    a = model.allies[3]
    assert a.trust == model.state.allies.trust[0, 0, 3]
    a.trust = 0.125                                     # writes through to the state
    assert model.state.allies.trust[0, 0, 3] == 0.125
    low = model.agents_by_type[type(a)].select(lambda x: x.trust < 0.2)
    assert [x.unique_id for x in low] == [a.unique_id]
    assert model.lead.troops is not None and model.lead.troops.shape == (len(model.missions),)
    model.missions[0].threat = 0.99
    assert model.state.missions.threat[0, 0, 0] == 0.99
    df = model.datacollector.get_agent_vars_dataframe().dropna()
    assert len(df) == 7 * len(model.allies) and "ally_trust" in df.columns
