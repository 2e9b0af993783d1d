"""Closed-form cases for each rule."""

import numpy as np
import pytest

from sim.rules import capacity as cap
from sim.rules import decisions as dec
from sim.rules import events as evr
from sim.rules import missions as mis
from sim.rules import policies as pol
from sim.rules import trust as tr
from sim.rules.aggregate import sum_allies, sum_missions

# ---------------------------------------------------------------- trust


def test_beta_trust_prior_and_limits():
    assert tr.beta_trust(0.0, 0.0) == 0.5
    assert tr.beta_trust(8.0, 0.0) == pytest.approx(0.9)
    assert tr.beta_trust(0.0, 8.0) == pytest.approx(0.1)


def test_without_evidence_trust_only_decays_toward_the_prior():
    r, s = 10.0, 2.0
    values = []
    for _ in range(200):
        r, s = tr.forget_and_add(r, 0.0, 0.95), tr.forget_and_add(s, 0.0, 0.95)
        values.append(tr.beta_trust(r, s))
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(0.5, abs=1e-3)
    assert min(values) >= 0.5


def test_evidence_stock_reaches_its_geometric_equilibrium():
    x = 0.0
    for _ in range(2000):
        x = tr.forget_and_add(x, 0.1, 0.9)
    assert x == pytest.approx(0.1 / (1 - 0.9))


def test_bad_evidence_is_asymmetric_and_absorbs_small_frictions():
    kw = dict(w_minus=3.0, friction=0.05, surprise_gain=0.0, unconsulted=0.0, notice=0.0,
              unconsulted_penalty=0.5, notice_relief=0.5)
    assert tr.bad_action_evidence(0.04, 0.8, **kw) == 0.0
    assert tr.bad_action_evidence(0.55, 0.8, **kw) == pytest.approx(3.0 * 0.5)
    good = tr.good_action_evidence(0.0, 0.5, 0.0, w_plus=1.0, keep_weight=0.1, pledge_bonus=0.5)
    assert good == pytest.approx(0.5)


def test_surprise_hits_high_trust_allies_hardest():
    kw = dict(w_minus=3.0, friction=0.0, surprise_gain=1.0, unconsulted=0.0, notice=0.0,
              unconsulted_penalty=0.0, notice_relief=0.0)
    low = tr.bad_action_evidence(0.5, 0.2, **kw)
    high = tr.bad_action_evidence(0.5, 0.9, **kw)
    assert high / low == pytest.approx(1.9 / 1.2)


def test_consultation_and_notice_change_the_bad_evidence_as_stated():
    kw = dict(w_minus=1.0, friction=0.0, surprise_gain=0.0, unconsulted_penalty=0.5,
              notice_relief=0.4)
    base = tr.bad_action_evidence(1.0, 0.5, unconsulted=0.0, notice=0.0, **kw)
    assert tr.bad_action_evidence(1.0, 0.5, unconsulted=1.0, notice=0.0, **kw) == 1.5 * base
    assert tr.bad_action_evidence(1.0, 0.5, unconsulted=0.0, notice=1.0, **kw) == \
        pytest.approx(0.6 * base)


def test_a_kept_commitment_never_lowers_trust():
    for level in np.linspace(0, 1, 11):
        for pledged in (0.0, 1.0):
            g = tr.good_action_evidence(level, 0.0, pledged, w_plus=1.0, keep_weight=0.1,
                                        pledge_bonus=0.5)
            assert g >= 0.0
            assert tr.beta_trust(3.0 + g, 1.0) >= tr.beta_trust(3.0, 1.0)


def test_action_with_pledge_counts_for_more_than_either_alone():
    kw = dict(w_plus=1.0, keep_weight=0.1, pledge_bonus=0.5)
    assert tr.good_action_evidence(1.0, 0.0, 1.0, **kw) > tr.good_action_evidence(1.0, 0.0, 0.0, **kw)
    promise = tr.promise_evidence(1.0, 0.6, w_plus=1.0, promise_weight=0.1)
    assert promise == pytest.approx(0.06)
    assert promise < tr.good_action_evidence(1.0, 0.0, 0.0, **kw)


def test_promises_are_worth_what_the_lead_word_is_worth():
    assert tr.promise_evidence(1.0, 0.0, w_plus=1.0, promise_weight=0.1) == 0.0
    assert tr.promise_evidence(1.0, 1.0, w_plus=1.0, promise_weight=0.1) == pytest.approx(0.1)


def test_trust_ceiling_and_its_slow_healing():
    assert tr.combined_trust(0.9, 0.9, 0.3, leader_weight=0.5) == pytest.approx(0.7)
    d = tr.update_damage(0.0, 10.0, damage_rate=0.3, heal_rate=0.02)
    assert d == pytest.approx(1 - np.exp(-3.0))
    d2 = tr.update_damage(d, 0.0, damage_rate=0.3, heal_rate=0.02)
    assert d2 == pytest.approx(d * 0.98)


def test_press_mix_spans_reputation_to_current_calculus():
    assert tr.decision_trust(0.2, 0.9, press_weight=0.0) == 0.2
    assert tr.decision_trust(0.2, 0.9, press_weight=1.0) == 0.9


def test_new_administration_inherits_the_country_stock():
    assert tr.reset_leader_stock(4.0, 2.0, 0.0, 0.0, carry=1.0) == (4.0, 2.0)
    assert tr.reset_leader_stock(4.0, 2.0, 1.5, 0.5, carry=0.5) == (3.5, 1.5)
    assert tr.stance_evidence(0.25, stance_weight=4.0) == (1.0, 3.0)

# ---------------------------------------------------------------- missions


def test_ces_of_equal_inputs_is_that_input():
    for x in (0.2, 0.5, 1.0):
        assert mis.ces_effectiveness(x, x, alpha=0.3, rho=-2.0) == pytest.approx(x)


def test_enablers_are_complements_removing_them_costs_more_than_their_troop_share():
    full = mis.ces_effectiveness(1.0, 1.0, alpha=0.5, rho=-2.0)
    no_enablers = mis.ces_effectiveness(0.8, 0.05, alpha=0.5, rho=-2.0)
    assert no_enablers < 0.5 * full
    no_lead_troops = mis.ces_effectiveness(0.8, 1.0, alpha=0.5, rho=-2.0)
    assert no_lead_troops > 0.8


def test_troop_and_enabler_fractions_are_capped():
    assert mis.troop_fraction(1000, 1000, 10000, 0.5, 10000) == pytest.approx(0.7)
    assert mis.troop_fraction(10000, 10000, 0, 0, 10000) == 1.0
    assert mis.enabler_fraction(0.5, 10000, 10000, ally_enabler_yield=0.3) == pytest.approx(0.8)


def test_threat_equilibrium_balances_growth_and_suppression():
    g, s, r, e = 0.05, 0.06, 0.1, 0.75
    theta = 0.6
    for _ in range(5000):
        theta = mis.update_threat(theta, e, growth=g, suppression=s, resurgence=r)
    assert theta == pytest.approx(np.sqrt(0.1), rel=1e-6)   # root of theta^2 = 0.1 here
    assert mis.update_threat(0.0, 1.0, growth=g, suppression=s, resurgence=r) > 0.0


def test_attack_probability():
    assert mis.attack_probability(0.5, 1.0, rate_per_step=0.02, exposure=1.0) == pytest.approx(0.02)
    assert mis.attack_probability(1.0, 1.0, rate_per_step=0.9, exposure=1.0) == 1.0


def test_partner_collapses_within_months_when_enablers_go_early_but_declines_gradually_later():
    def months_to_lose_80pct(dependence):
        p, d = 0.5, dependence
        for month in range(1, 121):
            p = mis.update_partner_capacity(p, d, 0.0, 0.0, 0.0, growth=0.03, decay=0.002,
                                            collapse_rate=0.45)
            d = mis.update_dependence(d, p, rate=0.05)
            if p < 0.1:
                return month
        return 121
    assert months_to_lose_80pct(0.9) <= 4
    assert months_to_lose_80pct(0.15) > 12


def test_dependence_falls_only_as_capacity_grows():
    assert mis.update_dependence(0.8, 0.2, rate=0.1) == pytest.approx(0.8)
    assert mis.update_dependence(0.8, 0.5, rate=0.1) < 0.8
    assert mis.update_dependence(0.3, 0.1, rate=0.1) > 0.3

# ---------------------------------------------------------------- decisions


def test_conditional_cooperators_follow_the_others_slightly_less_and_free_riders_do_not():
    kw = dict(threat_gain=0.0, fear_gain=0.0, demand_response=0.0)
    f = dec.contribution_share(0.5, 1.0, 0.0, 1.0, 0.0, 0.5, slope=0.8, **kw)
    assert f == pytest.approx(0.4)
    assert dec.contribution_share(0.5, 1.0, 0.0, 1.0, 0.0, 0.5, slope=0.0, **kw) == 0.0
    assert dec.contribution(0.5, 0.4, 1000.0, max_share=0.3) == pytest.approx(60.0)


def test_abandonment_fear_raises_effort_when_the_lead_pulls_back_and_entrapment_fear_lowers_it():
    kw = dict(slope=0.5, threat_gain=0.0, fear_gain=0.2, demand_response=0.0)
    fearful_low = dec.contribution_share(0.5, 1.0, 1.0, 0.2, 0.0, 0.5, **kw)
    fearful_high = dec.contribution_share(0.5, 1.0, 1.0, 1.0, 0.0, 0.5, **kw)
    assert fearful_low > fearful_high
    entrapped = dec.contribution_share(0.5, 1.0, -1.0, 1.0, 0.0, 0.5, **kw)
    assert entrapped < fearful_high


def test_departed_share_weighs_the_lead_heavily():
    q = dec.departed_share(0.0, 1.0, 0.0, 1.0, lead_exit_weight=0.6)
    assert q == pytest.approx(0.6)
    q_allies = dec.departed_share(1.0, 1.0, 0.5, 1.0, lead_exit_weight=0.6)
    assert q_allies == pytest.approx(0.2)
    assert dec.departed_share(0.0, 0.0, 0.0, 1.0, lead_exit_weight=0.6) == 0.0


def test_hysteresis_and_cascade_and_elections():
    kw = dict(join_threshold=0.2, leave_threshold=0.0)
    t, f = np.bool_(True), np.bool_(False)
    assert dec.decide_membership(t, 0.1, 0.0, 0.5, f, t, **kw)        # member stays
    assert not dec.decide_membership(f, 0.1, 0.0, 0.5, f, t, **kw)    # outsider does not join
    assert not dec.decide_membership(t, 0.5, 0.6, 0.5, f, t, **kw)    # cascade: leaves
    assert not dec.decide_membership(t, 0.5, 0.0, 0.5, t, t, **kw)    # election exit
    assert not dec.decide_membership(t, 0.5, 0.0, 0.5, f, f, **kw)    # mission ended
    assert dec.is_election_month(53, 48, 5) and not dec.is_election_month(52, 48, 5)
    assert dec.election_exit_probability(0.5, 1.0, hazard=0.2) == pytest.approx(0.1)
    assert dec.election_exit_probability(0.5, 0.0, hazard=0.2) == 0.0


def test_exit_cause_takes_the_first_cause_that_applies():
    # columns: scripted, election, cascade, renewal (low at a focal date), utility, no exit
    exits = np.array([True, True, True, True, True, False])
    forced = np.array([True, False, False, False, False, False])
    elect = np.array([True, True, False, False, False, True])
    casc = np.array([True, True, True, False, False, True])
    low = np.array([True, True, True, True, True, True])
    focal = np.array([False, False, True, True, False, True])
    got = dec.exit_cause(exits, forced, elect, casc, low, focal)
    assert got.dtype == np.int8
    assert [dec.EXIT_CAUSES[c] for c in got] == ["scripted", "election", "cascade", "renewal",
                                                 "utility", ""]
    # a voluntary exit decide_membership produces always has a cause (an exit for a reason)
    kw = dict(join_threshold=0.2, leave_threshold=0.0)
    t, f = np.bool_(True), np.bool_(False)
    for u, q, el in ((-0.1, 0.0, f), (0.5, 0.9, f), (0.5, 0.0, t)):
        stays = dec.decide_membership(t, u, q, 0.5, el, t, **kw)
        code = dec.exit_cause(~stays, f, el, q > 0.5, u < 0.0, f)
        assert not stays and code in (2, 3, 5)


def test_utility_rises_with_threat_and_success_and_falls_with_cost_and_grievance():
    kw = dict(value=1.0, member_cost=0.02, risk_cost=3.0, casualty_cost=0.2, grievance_weight=0.5,
              peer_weight=0.1, noise_scale=0.0)
    base = dec.membership_utility(0.5, 0.6, 0.0, 1.0, 0.05, 0.5, 0.0, 0.0, 0.5, 0.0, **kw)
    assert base == pytest.approx(0.3 - (0.02 + 0.075) + 0.05)
    assert dec.membership_utility(0.9, 0.6, 0.0, 1.0, 0.05, 0.5, 0.0, 0.0, 0.5, 0.0, **kw) > base
    assert dec.membership_utility(0.5, 0.6, 0.0, 1.0, 0.05, 0.5, 0.0, 1.0, 0.5, 0.0, **kw) < base
    assert dec.expected_success(0.0, 0.9, 0.1) == 0.1

# ---------------------------------------------------------------- lead policies


def test_action_level_weighs_troops_and_enablers():
    assert pol.action_level(500.0, 1.0, 1000.0, troop_weight=0.4) == pytest.approx(0.8)
    assert pol.action_level(0.0, 0.5, 0.0, troop_weight=0.4) == pytest.approx(0.5)


def test_handover_opens_on_schedule_or_on_capacity_and_stays_open():
    f = np.bool_(False)
    assert pol.handover_opens(f, 3, 0.0, cut_start=2, threshold=2.0)
    assert not pol.handover_opens(f, 1, 0.0, cut_start=2, threshold=2.0)
    assert pol.handover_opens(f, 0, 0.6, cut_start=-1, threshold=0.5)
    assert not pol.handover_opens(f, 50, 0.4, cut_start=-1, threshold=0.5)
    assert pol.handover_opens(np.bool_(True), 0, 0.0, cut_start=-1, threshold=2.0)


def test_planned_fraction_cuts_linearly_to_a_floor():
    assert pol.planned_fraction(-1, cut_rate=0.1, floor=0.2) == 1.0
    assert pol.planned_fraction(3, cut_rate=0.1, floor=0.2) == pytest.approx(0.7)
    assert pol.planned_fraction(30, cut_rate=0.1, floor=0.2) == pytest.approx(0.2)


def test_impulsive_lead_announces_then_carries_out_or_calls_off():
    kw = dict(p_impulse=1.0, notice=1, p_carry_out=0.5, p_return=0.0)
    a = pol.impulse_step(np.int64(-1), np.int64(0), 5, 0.1, 0.9, 0.9, np.bool_(True), **kw)
    pending, out, announced, carried, reversed_ = a
    assert announced and pending == 6 and out == 0 and not carried
    b = pol.impulse_step(pending, out, 6, 0.9, 0.1, 0.9, np.bool_(True), **kw)
    assert b[1] == 1 and b[3] and not b[4]
    c = pol.impulse_step(pending, out, 6, 0.9, 0.9, 0.9, np.bool_(True), **kw)
    assert c[1] == 0 and c[4] and c[0] == -1                                   # called off
    back = pol.impulse_step(np.int64(-1), np.int64(1), 9, 0.9, 0.9, 0.0, np.bool_(True),
                            **{**kw, "p_return": 0.5})
    assert back[1] == 0 and back[4]                                            # comes back


def test_pledge_is_kept_broken_or_fulfilled():
    kept, broken, done = pol.pledge_status(0.9, 0.9, 10, 5, tolerance=0.02)
    assert kept and not broken and not done
    kept, broken, done = pol.pledge_status(0.5, 0.9, 10, 5, tolerance=0.02)
    assert broken and not kept
    kept, broken, done = pol.pledge_status(0.9, 0.9, 10, 10, tolerance=0.02)
    assert kept and done
    kept, broken, done = pol.pledge_status(0.1, 0.9, -1, 5, tolerance=0.02)
    assert not (kept or broken or done)

# ---------------------------------------------------------------- capacity, grievance, events


def test_ally_capacity_grows_with_building_and_decays_without():
    assert cap.update_ally_capacity(0.5, 1.0, 0.0, growth=0.1, experience=0.0, decay=0.0) == \
        pytest.approx(0.55)
    assert cap.update_ally_capacity(0.5, 0.0, 0.0, growth=0.1, experience=0.0, decay=0.01) == \
        pytest.approx(0.495)


def test_perception_follows_threat_from_own_outlook_and_jumps_after_attack():
    p = cap.update_perception(0.4, 0.4, 0.8, 0.6, 0.0, rate=1.0, attack_jump=0.5)
    assert p == pytest.approx(0.6)
    p = cap.update_perception(0.4, 0.4, 0.6, 0.6, 1.0, rate=0.0, attack_jump=0.5)
    assert p == pytest.approx(0.7)
    assert cap.consult_perception(0.2, 0.6, 1.0, rate=0.5) == pytest.approx(0.4)
    assert cap.consult_perception(0.2, 0.6, 0.0, rate=0.5) == pytest.approx(0.2)


def test_grievance_accumulates_and_fades():
    g = cap.update_grievance(1.0, 0.5, 0.2, retention=0.9, burden_gain=0.2, demand_gain=0.5)
    assert g == pytest.approx(0.9 + 0.1 + 0.1)
    assert cap.update_stress(1.0, 0.0, retention=0.8) == pytest.approx(0.8)


def test_withdrawals_compound_and_administrations_alternate():
    assert evr.withdraw(0.0, 0.5) == 0.5
    assert evr.withdraw(0.5, 0.5) == 0.75
    nxt = np.array([1, 0])
    idx, ch = evr.next_administration(np.array([0, 1]), np.array([0.1, 0.9]), next_policy=nxt,
                                      p_change=0.5)
    assert idx.tolist() == [1, 1] and ch.tolist() == [True, False]
    assert evr.is_lead_election(50, period=48, phase=2)


def test_fixed_order_reductions_match_numpy_and_keep_dims():
    x = np.random.default_rng(0).random((4, 3, 7))
    assert sum_allies(x).shape == (4, 3, 1)
    assert np.allclose(sum_allies(x)[..., 0], x.sum(-1))
    assert sum_missions(x).shape == (4, 1, 7)
    assert np.allclose(sum_missions(x)[:, 0], x.sum(1))
    row = x[2, 1:2, :]
    assert sum_allies(row)[0, 0] == sum_allies(x)[2, 1, 0]
