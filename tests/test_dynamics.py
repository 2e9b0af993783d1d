"""Coalition dynamics (issue 12): commitments, free riding and substitution, ties, mandates,
abandonment in degrees and the scenario language, each shown by a paired run or a closed case
that would fail if the mechanism were missing or reversed."""

import dataclasses

import numpy as np
import pytest

from sim.config import AllySpec, EventSpec, compose
from sim.config.checks import check_config
from sim.core.recording import churn
from sim.drivers.ensemble import Ensemble
from sim.errors import ConfigError
from sim.rules import decisions as dec


def _with(cfg, **scenario):
    return dataclasses.replace(cfg, scenario=dataclasses.replace(cfg.scenario, **scenario))


def _events(cfg, *events):
    return _with(cfg, events=list(cfg.scenario.events) + list(events))


def _run(cfg, runs=8, seed=5, **kw):
    return Ensemble(cfg, seeds=seed, runs=range(runs), **kw).run()


# ----------------------------------------------------------------------------- reaction function

def test_reaction_function_spans_substitution_free_riding_and_cooperation():
    o = np.array([0.2, 0.8])
    common = dict(trust=0.5, fear=0.0, lead_level=0.5, demand=0.0, perception=0.8,
                  threat_gain=0.3, fear_gain=0.0, demand_response=0.1)
    coop = dec.contribution_share(o, slope=0.8, substitution=0.0, **common)
    free = dec.contribution_share(o, slope=0.0, substitution=0.0, **common)
    subst = dec.contribution_share(o, slope=0.0, substitution=0.8, **common)
    assert coop[1] > coop[0]                       # positive slope
    assert np.all(free == 0.0)                     # flat: only demands and fears move it
    assert subst[1] < subst[0]                     # negative slope: fills the gap


def test_conditionality_makes_a_demand_move_distrustful_allies():
    common = dict(others=0.5, fear=0.0, lead_level=0.5, demand=0.8, perception=0.5, slope=0.5,
                  threat_gain=0.3, fear_gain=0.0, demand_response=0.2)
    plain = dec.contribution_share(trust=0.1, conditionality=0.0, **common)
    lever = dec.contribution_share(trust=0.1, conditionality=0.9, **common)
    assert lever > plain


def test_publicness_lowers_what_membership_adds_most_for_small_allies():
    args = dict(threat_perception=0.8, success=0.8, interest=0.0, cost_sensitivity=1.0, risk=0.0,
                effort=0.5, stress=0.0, grievance=0.0, peer_share=0.0, noise=0.0, value=1.0,
                member_cost=0.0, risk_cost=0.0, casualty_cost=0.0, grievance_weight=0.0,
                peer_weight=0.0, noise_scale=1.0)
    club = dec.membership_utility(publicness=0.0, pivotality=0.05, **args)
    small = dec.membership_utility(publicness=0.5, pivotality=0.05, **args)
    large = dec.membership_utility(publicness=0.5, pivotality=0.8, **args)
    assert club > large > small


def test_tied_partners_exits_weigh_more_than_strangers():
    base = dict(lead_level=1.0, lead_reference=1.0, left_weight=0.1, peak_weight=1.0,
                lead_exit_weight=0.5)
    stranger = dec.departed_share(tied_left=0.0, tied_peak=2.0, tie_weight=0.5, **base)
    partner = dec.departed_share(tied_left=2.0, tied_peak=2.0, tie_weight=0.5, **base)
    no_ties = dec.departed_share(tied_left=0.0, tied_peak=0.0, tie_weight=0.5, **base)
    assert partner > no_ties > stranger


# ----------------------------------------------------------------------------- commitments

def test_decision_rule_absence_reentry_and_focal_dates():
    u = np.array([0.3, 0.3, 0.15, 0.05])
    kw = dict(departed=0.0, exit_threshold=1.0, election_exit=False, active=True,
              join_threshold=0.1, leave_threshold=0.0, reentry_cost=0.1)
    member = np.array([False, False, False, True])
    out = dec.decide_membership(member, u, absent=np.array([True, False, False, False]),
                                returning=np.array([True, True, True, False]),
                                focal=np.array([False, False, False, True]), **kw)
    # absent: no; returning with 0.3 > 0.2: yes; returning with 0.15 < 0.2: no; member at a
    # focal date with 0.05 < u_join: does not extend
    assert out.tolist() == [False, True, False, False]


def test_exits_are_not_reversed_within_the_minimum_absence_and_churn_falls():
    cfg = compose(["scenario=baseline", "policy=steady", "scenario.horizon=60"])
    on = churn(_run(cfg).summary)
    off = churn(_run(compose(["scenario=baseline", "policy=steady", "scenario.horizon=60",
                              "mechanisms.commitment=0"])).summary)
    assert on["share_reversed_12m"] < 0.3 < off["share_reversed_12m"]


def test_exit_causes_add_up_and_follow_their_switches():
    """The split of voluntary exits by cause is whole, and a switched-off mechanism causes none
    (wiring checks: mechanical, not validation)."""
    base = ["scenario=baseline", "policy=steady", "scenario.horizon=60"]
    on = churn(_run(compose(base)).summary)
    shares = [on[f"share_exits_{c}"] for c in ("election", "cascade", "renewal", "utility")]
    assert sum(shares) == pytest.approx(1.0)
    assert on["share_exits_election"] > 0 and on["share_exits_utility"] > 0
    off = churn(_run(compose([*base, "mechanisms.elections=0", "mechanisms.cascade=0"])).summary)
    assert off["share_exits_election"] == 0 and off["share_exits_cascade"] == 0
    assert off["share_exits_utility"] == pytest.approx(1.0)    # baseline has no renewals


def test_election_exit_lasts_the_term():
    cfg = compose(["scenario=baseline", "policy=steady", "scenario.horizon=48",
                   "decision.election_hazard=1", "scenario.allies.opposition_min=1",
                   "scenario.allies.opposition_max=1"])
    e = Ensemble(cfg, seeds=3, runs=range(2))
    while e.state.step < 48:
        before = e.state.allies.member.copy()
        rep = e.step()
        left = before & ~e.state.allies.member
        if left.any():
            t = e.state.step
            until = e.state.allies.absent_until[left]
            period = np.broadcast_to(e.state.allies.election_period,
                                     e.state.allies.member.shape)[left]
            elected = rep.decisions.exits[left]
            assert np.all(until[elected] >= t + np.minimum(period[elected], 6))
            return
    pytest.fail("no exit happened")


# ----------------------------------------------------------------------------- scenario language

def test_surge_ally_exit_entry_home_attack_and_mission_shock():
    cfg = compose(["scenario=baseline", "policy=steady", "scenario.horizon=24"])
    m = "stabilisation"
    plain = _run(cfg, record_allies=True)
    told = _run(_events(
        cfg, EventSpec(kind="lead_troops", step=3, mission=m, personnel=10000.0),
        EventSpec(kind="ally_exit", step=4, ally="ally_0", months=12),
        EventSpec(kind="ally_entry", step=6, ally="ally_5", mission=m),
        EventSpec(kind="home_attack", step=5, ally="ally_7", threat=0.5),
        EventSpec(kind="mission_shock", step=8, mission=m, risk=0.3)), record_allies=True)
    j = plain.world.mission_names.index(m)
    assert np.all(told.missions["lead_troops"][3, :, j] == 10000.0)
    assert np.all(plain.missions["lead_troops"][3, :, j] < 10000.0)
    assert np.all(told.allies["missions"][4:16, :, 0] == 0)          # out for 12 months
    assert np.all(told.allies["missions"][6, :, 5] >= 1)             # scripted entry


def test_abandonment_in_degrees_keeps_the_lead_in_theatre():
    cfg = compose(["scenario=baseline", "policy=steady", "scenario.horizon=20"])
    m = "stabilisation"
    part = _run(_events(cfg, EventSpec(kind="abandon_partner", step=5, mission=m, fraction=0.5,
                                       leave=False)))
    full = _run(_events(cfg, EventSpec(kind="abandon_partner", step=5, mission=m)))
    plain = _run(cfg)
    j = plain.world.mission_names.index(m)
    assert np.all(part.missions["lead_troops"][10, :, j] > 0)
    assert np.all(full.missions["lead_troops"][10, :, j] == 0)
    cap = lambda r: r.missions["partner_capacity"][12, :, j]
    assert np.all(cap(full) <= cap(part)) and np.all(cap(part) < cap(plain))


def test_renewal_and_successor_with_dates_and_contingents():
    cfg = compose(["scenario=baseline", "policy=steady"])
    s = cfg.scenario
    stab = s.missions["stabilisation"]
    roster = {"Arland": AllySpec(capacity=0.6, troops={"stabilisation": 800.0, "next": 600.0},
                                 threat=0.8, interest={"stabilisation": 0.5, "next": 0.5}),
              "Borea": AllySpec(force=3000.0, capacity=0.5, available_from="2026-07")}
    missions = {"stabilisation": dataclasses.replace(stab, renewal="2026-12", renewal_period=6,
                                                     mandate_end="2028-01", successor="next"),
                "intelligence": s.missions["intelligence"],
                "next": dataclasses.replace(stab, lead_troops=2000.0)}
    cfg = _with(cfg, start="2026-01", horizon=40, missions=missions,
                allies=dataclasses.replace(s.allies, n=6, roster=roster))
    check_config(cfg)
    r = _run(cfg, record_allies=True)
    w = r.world
    j, k = w.mission_names.index("stabilisation"), w.mission_names.index("next")
    assert np.all(r.missions["active"][24, :, j] == 1) and np.all(r.missions["active"][25, :, j] == 0)
    assert np.all(r.missions["active"][24, :, k] == 0) and np.all(r.missions["active"][25, :, k] == 1)
    assert np.all(r.allies["missions"][1:6, :, 1] == 0)            # Borea not before 2026-07
    assert r.allies["contribution"][:, :, 0].max() > 0             # Arland's contingent sent


@pytest.mark.parametrize("change, message", [
    (dict(events=[EventSpec(kind="lead_troops", step=2, mission="stabilisation")]),
     "'personnel' is required"),
    (dict(events=[EventSpec(kind="ally_shock", step=2, ally="ally_1")]),
     "needs a nonzero threat, opposition or cost"),
    (dict(events=[EventSpec(kind="home_attack", step=2, ally="nobody")]), "unknown ally"),
    (dict(events=[EventSpec(kind="abandon_partner", step=2, mission="stabilisation",
                            leave=3)]), "must be true or false"),
    (dict(events=[EventSpec(kind="ally_exit", step=2, ally="ally_1", months=2.5)]),
     "must be a whole number"),
])
def test_new_event_fields_are_checked(change, message):
    cfg = _with(compose(["scenario=baseline"]), **change)
    with pytest.raises(ConfigError, match=message):
        check_config(cfg)


def test_mission_and_roster_dates_are_checked():
    cfg = compose(["scenario=baseline"])
    stab = cfg.scenario.missions["stabilisation"]
    bad = _with(cfg, missions={**cfg.scenario.missions,
                               "stabilisation": dataclasses.replace(stab, mandate_end="2026-13")})
    with pytest.raises(ConfigError, match="YYYY-MM|needs scenario.start"):
        check_config(bad)
    bad = _with(cfg, missions={**cfg.scenario.missions,
                               "stabilisation": dataclasses.replace(stab, successor="nowhere",
                                                                    mandate_end=10)})
    with pytest.raises(ConfigError, match="successor='nowhere'"):
        check_config(bad)


def test_arrivals_and_scripted_absences_hold_without_the_commitment_mechanism():
    for switch in ("1", "0"):
        cfg = compose(["scenario=sahel", f"mechanisms.commitment={switch}"])
        cfg = _events(cfg, EventSpec(kind="ally_exit", date="2015-01", ally="Germany",
                                     mission="minusma", months=24))
        r = _run(cfg, runs=6, record_allies=True)
        names = list(r.world.ally_names)
        uk, de = names.index("UK"), names.index("Germany")
        assert np.all(r.allies["missions"][1:48, :, uk] == 0)       # UK from 2018-07 only
        # Germany serves only in MINUSMA (its only contingent): no troops while held out
        assert np.all(r.allies["contribution"][6:30, :, de] == 0)   # out 2015-01 .. 2016-12


def test_an_entry_into_a_closed_mission_is_refused():
    cfg = compose(["scenario=sahel"])
    bad = _events(cfg, EventSpec(kind="ally_entry", date="2019-01", ally="Sweden",
                                 mission="takuba"))
    with pytest.raises(ConfigError, match="mission 'takuba' before it starts"):
        check_config(bad)
    late = _events(cfg, EventSpec(kind="ally_entry", date="2022-08", ally="Sweden",
                                  mission="takuba"))
    with pytest.raises(ConfigError, match="mission 'takuba' is not open then"):
        check_config(late)


def test_tenure_and_a_lasting_cause():
    kw = dict(departed=0.0, exit_threshold=1.0, election_exit=False, active=True,
              join_threshold=0.1, leave_threshold=0.0)
    member = np.array([True, True, True])
    u = np.array([-0.5, -0.5, -0.5])
    out = dec.decide_membership(member, u, lasting=np.array([False, True, True]),
                                tenure=np.array([False, False, True]), **kw)
    # one bad month is no cause; a lasting one is, except within the tenure
    assert out.tolist() == [True, False, True]


def test_troops_where_the_lead_had_none_become_its_full_strength():
    cfg = compose(["scenario=sahel"])
    plain = _run(cfg, runs=3)
    told = _run(_events(cfg, EventSpec(kind="lead_troops", date="2020-09", mission="minusma",
                                       personnel=2000.0)), runs=3)
    j = plain.world.mission_names.index("minusma")
    t = 75                                                      # 2020-10
    assert np.all(plain.missions["expected_presence_all"][t, :, j] == 0.0)
    assert np.all(told.missions["expected_presence_all"][t, :, j] > 0.3)
