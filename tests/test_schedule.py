"""The schedule's phases, called directly on a state (closed-form and paired cases)."""

import numpy as np
import pytest

from sim.config import EventSpec, compose
from sim.core import schedule as sch
from sim.core.events import EVENT_KINDS, Event, apply_event
from sim.core.setup import init_state, make_setup
from sim.core.world import compile_event
from sim.rules import trust as tr


def _setup(overrides=(), runs=2, **kw):
    cfg = compose(["scenario=baseline", *overrides])
    setup = make_setup(cfg, seeds=1, runs=list(range(runs)), **kw)
    return cfg, setup, init_state(cfg, setup)


def _event(setup, kind, step=1, **fields):
    w = setup.world
    return compile_event(EventSpec(kind=kind, step=step, **fields), step,
                         missions=w.mission_names, allies=w.ally_names,
                         policy_index=setup.add_policy, check=True)


def test_every_event_kind_has_an_effect_on_the_state():
    for kind, spec in EVENT_KINDS.items():
        _, setup, state = _setup()
        fields = {"mission": "stabilisation", "ally": "ally_2", "level": 0.8, "horizon": 6,
                  "size": 1.0, "policy": "impulsive", "after": 3, "personnel": 3000.0}
        extra = {"ally_shock": {"opposition": 0.2}, "mission_shock": {"risk": 0.1}}.get(kind, {})
        ev = _event(setup, kind, **{k: v for k, v in fields.items() if k in spec.required},
                    **extra)
        if kind == "support_partner":
            state.lead.partner_support[:] = 0.5         # something to restore
        if kind == "mission_start":
            state.missions.active[:] = False
        if kind in ("deployment", "reversal"):
            state.lead.cut_troops[:] = 0.5              # something to redeploy or undo
        if kind == "cancel_withdrawal":
            state.lead.plan_due[:] = 5                  # something to call off
        before = {k: v.copy() for k, v in state.arrays().items()}
        apply_event(state, ev, 1)
        changed = [k for k, v in state.arrays().items() if not np.array_equal(v, before[k])]
        assert changed, f"{kind} changed nothing"


def test_a_withdrawal_unconsulted_costs_more_trust_than_a_consulted_one():
    cfg, setup, state = _setup(["policy=steady"])
    j = setup.world.mission_names.index("stabilisation")
    for k, consulted in ((0, False), (1, True)):
        sub = state.run(k)
        ev = Event(step=1, kind="withdrawal", mission=j, fraction=1.0, consulted=consulted,
                   notice=consulted)
        apply_event(sub, ev, 1)
        state.lead.cut_troops[k] = sub.lead.cut_troops[0]
        state.lead.cut_enablers[k] = sub.lead.cut_enablers[0]
        state.month.unconsulted[k] = sub.month.unconsulted[0]
        state.month.no_notice[k] = sub.month.no_notice[0]
    trust0 = state.allies.trust.copy()
    sch.advance(state, setup)
    loss = (trust0 - state.allies.trust)[:, 0, :].mean(axis=-1)
    assert loss[0] > loss[1] > 0.0


def test_an_administration_event_changes_policy_and_restarts_the_leader_stock():
    _, setup, state = _setup(["policy=steady"])
    state.allies.r_country[:] = 3.0
    state.allies.s_country[:] = 1.0
    state.allies.exposure[:] = 1.0                       # the closed form for an average ally
    state.allies.sensitivity[:] = 1.0
    state.allies.exposure[0, 0, 0] = 2.0                # ... and one that hears twice as much
    apply_event(state, _event(setup, "administration", policy="impulsive"), 1)
    admin = sch.apply_events(state, setup=setup)
    assert admin.changed.all()
    assert setup.policy_names[state.lead.policy_index[0, 0, 0]] == "impulsive"
    tp = setup.params.trust
    good, bad = tr.stance_evidence(setup.policy_value(state.lead.policy_index, "stance"),
                                   stance_weight=tp.stance_weight)
    r_l, s_l = state.allies.r_leader, state.allies.s_leader
    assert np.allclose(r_l[:, :, 1:], tp.leader_carry * 3.0 + good)   # record + stance
    assert np.allclose(s_l[:, :, 1:], tp.leader_carry * 1.0 + bad)
    assert np.allclose(state.allies.r_country[:, :, 1:], 3.0 + tp.country_weight * good)
    assert np.allclose(s_l[0, 0, 0], tp.leader_carry * 1.0 + 2.0 * bad[0, 0, 0])
    assert (state.allies.trust_leader < 0.5).all()      # the impulsive stance: low leader trust
    assert (state.lead.admin_start == 1).all()


def test_a_broken_pledge_is_a_reversal():
    _, setup, state = _setup(["policy=steady", "policy.pledge_horizon=0"])
    state.lead.pledge_level[:] = 1.0
    state.lead.pledge_until[:] = 12
    state.lead.cut_troops[:, 0] = 0.5                   # the level falls below the pledge
    moves = sch.lead_acts(state, setup=setup, policy=setup.policy(state))
    assert moves.broken[:, 0].all() and moves.reversed[:, 0].all()
    assert (state.lead.reversals >= 1).all()


def test_a_redeployment_under_a_kept_pledge_earns_more_trust_than_one_without():
    _, setup, state = _setup(["policy=steady", "policy.pledge_horizon=0"], runs=2)
    state.lead.level[:] = 0.5 * state.lead.level        # last month it held half: a rise now
    state.lead.pledge_level[0] = state.lead.level_ref[0]  # run 0: it pledged the full level
    state.lead.pledge_until[0] = 24
    trust0 = state.allies.trust.copy()
    sch.advance(state, setup)
    gain = (state.allies.trust - trust0)[:, 0, :].mean(axis=-1)
    assert gain[0] > gain[1]


def test_allies_leave_when_the_departed_share_passes_their_threshold():
    _, setup, state = _setup(["policy=steady", "decision.noise_scale=0"], runs=1)
    sch.advance(state, setup)
    sch.advance(state, setup)
    assert state.allies.member.any()
    state.lead.cut_troops[:] = 1.0
    state.lead.cut_enablers[:] = 1.0                    # the lead leaves everything
    members = state.allies.member.copy()
    policy = setup.policy(state)
    sch.lead_acts(state, setup=setup, policy=policy)
    sch.expect(state, setup=setup, policy=policy)                      # allies see the lead gone
    assert (state.allies.expected[0][~state.missions.is_core[0, :, 0]] == 0.0).all()
    peers = np.zeros(state.allies.member.shape)
    d = sch.decide(state, setup=setup, policy=policy, peers=peers)
    stab = ~state.missions.is_core[0, :, 0]
    left = d.exits[0][stab]
    assert left.sum() > 0 and left.sum() <= members[0][stab].sum()


def test_run_k_of_a_state_is_the_same_run_alone():
    _, setup, state = _setup(["policy=impulsive"], runs=3)
    _, setup1, alone = _setup(["policy=impulsive"], runs=1)
    setup1 = make_setup(compose(["scenario=baseline", "policy=impulsive"]), seeds=1, runs=[2])
    alone = init_state(compose(["scenario=baseline", "policy=impulsive"]), setup1)
    for _ in range(12):
        sch.advance(state, setup)
        sch.advance(alone, setup1)
    for key, v in alone.arrays().items():
        assert np.array_equal(v[0], state.arrays()[key][2]), key


def test_phase_functions_take_keywords_only_beyond_the_state():
    import inspect

    for name in ("apply_events", "lead_acts", "observe", "update_trust", "consult", "expect",
                 "decide", "resolve_missions", "update_capacity"):
        params = list(inspect.signature(getattr(sch, name)).parameters.values())
        assert params[0].name == "state"
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:]), name


@pytest.mark.parametrize("bad", [dict(troops=30000), dict(fraction=float("nan"))])
def test_an_added_event_is_validated_like_a_scenario_event(bad):
    from sim.config import ConfigError
    _, setup, _ = _setup()
    with pytest.raises(ConfigError):
        _event(setup, "withdrawal", mission="stabilisation", **bad)




def test_an_announced_withdrawal_takes_effect_on_its_date_and_a_cancelled_one_never():
    _, setup, state = _setup(["policy=steady"], runs=2)
    j = setup.world.mission_names.index("stabilisation")
    ev = _event(setup, "announce_withdrawal", mission="stabilisation", after=3, consulted=True)
    apply_event(state, ev, 1)
    assert (state.lead.plan_due[:, j] == 4).all()
    sch.advance(state, setup)                            # month 1
    cancel = _event(setup, "cancel_withdrawal", step=2, mission="stabilisation")
    sub = state.run(1)
    apply_event(sub, cancel, 2)                          # run 1 calls it off in month 2
    state.lead.plan_due[1] = sub.lead.plan_due[0]
    state.month.reversed[1] = sub.month.reversed[0]
    expected_before = state.allies.expected[:, j].mean(axis=-1)
    for _ in range(3):                                   # months 2-4
        sch.advance(state, setup)
    assert state.lead.cut_troops[0, j, 0] == 1.0 and state.lead.cut_troops[1, j, 0] == 0.0
    assert (state.lead.reversals[1] >= 1) and state.lead.reversals[0] == 0
    assert expected_before[0] < expected_before[1]    # the announcement still stands in run 0


def test_expected_presence_closed_form():
    from sim.rules.expectations import expected_presence
    kw = dict(trust_weight=0.5, reversal_risk=0.0, max_horizon=12)
    # full presence, full trust, no announcement, no pledge: 1
    assert expected_presence(1.0, 0.0, 99, 0.0, 0, 1.0, 1.0, 1.0, 99, 12, **kw) == 1.0
    # an announced exit in month 7 of a 12-month horizon: half the months at 1, half at 0
    assert expected_presence(1.0, 0.0, 7, 0.0, 0, 1.0, 1.0, 1.0, 99, 12, **kw) == 0.5
    # trust 0.6 with weight 0.5 discounts by 0.2
    assert expected_presence(1.0, 0.0, 99, 0.0, 0, 1.0, 0.6, 1.0, 99, 12, **kw) == \
        pytest.approx(0.8)
    # a believed pledge (honesty 1) replaces that doubt; a half-believed one half of it
    assert expected_presence(1.0, 0.0, 99, 1.0, 12, 1.0, 0.6, 1.0, 99, 12, **kw) == 1.0
    assert expected_presence(1.0, 0.0, 99, 1.0, 12, 0.5, 0.6, 1.0, 99, 12, **kw) == \
        pytest.approx(0.9)
    # a half-believed announcement of an exit in month 7 takes off half of what it says
    assert expected_presence(1.0, 0.0, 7, 0.0, 0, 0.5, 1.0, 1.0, 99, 12, **kw) == \
        pytest.approx((6 + 6 * 0.5) / 12)
    # after the lead's election (month 4 on), a reversal risk of 0.5 with country trust 0
    kw["reversal_risk"] = 0.5
    assert expected_presence(1.0, 0.0, 99, 0.0, 0, 1.0, 1.0, 0.0, 3, 12, **kw) == \
        pytest.approx((3 + 9 * 0.5) / 12)


def _expected_presence_by_sum(current, announced, a, pledged, u, honesty, trust, trust_country,
                              e, horizon, *, trust_weight, reversal_risk, max_horizon, plan=()):
    """The expectation rule's defining sum, month by month (the oracle for its closed form)."""
    from sim.rules.policies import planned_fraction
    k = np.arange(1, max_horizon + 1, dtype=np.float64).reshape((-1,) + (1,) * np.ndim(current))
    path = (sum(w * planned_fraction(s + k, cut_rate=c, floor=f) for w, s, c, f in plan)
            if plan else current + 0.0 * k)
    said = np.where(current > 0, announced / np.where(current > 0, current, 1.0), 1.0)
    planned = np.where(k >= a, path * (1.0 - honesty * (1.0 - said)), path)
    doubted = (1.0 - trust_weight * (1.0 - trust)) * planned
    believed = np.where(k <= u, honesty * pledged + (1.0 - honesty) * doubted, doubted)
    durable = np.where(k > e, 1.0 - reversal_risk * (1.0 - trust_country), 1.0)
    return np.sum(believed * durable * np.where(k <= horizon, 1.0, 0.0), axis=0) / horizon


def test_the_closed_form_of_expected_presence_equals_its_sum():
    from sim.rules.expectations import expected_presence
    g = np.random.default_rng(3)
    n = 5000
    args = (g.random(n), g.random(n), g.integers(1, 45, n), g.random(n) * (g.random(n) < 0.5),
            g.integers(0, 40, n), g.random(n), g.random(n), g.random(n), g.integers(1, 50, n),
            g.integers(1, 37, n))
    kw = dict(trust_weight=0.3, reversal_risk=0.5, max_horizon=36)
    assert np.allclose(expected_presence(*args, **kw), _expected_presence_by_sum(*args, **kw),
                       rtol=0, atol=1e-12)


def test_the_closed_form_with_a_handover_plan_equals_its_sum():
    """A plan of two parts (troops and enablers), each cut at its own rate down to its floor from
    wherever the handover stands: open for some months, opening later, or not in sight."""
    from sim.rules.expectations import expected_presence
    from sim.rules.policies import planned_fraction
    g = np.random.default_rng(5)
    n = 5000
    start = np.where(g.random(n) < 0.2, -1e9, g.integers(-40, 60, n).astype(float))
    rates = [np.where(g.random(n) < 0.2, 0.0, g.random(n) * 0.2) for _ in range(2)]
    floors = [np.where(g.random(n) < 0.2, 0.0, g.random(n)) for _ in range(2)]
    weights = [g.random(n) * 0.5, g.random(n) * 0.5]
    now = np.maximum(start, -1)
    current = sum(w * planned_fraction(now, cut_rate=c, floor=f)
                  for w, c, f in zip(weights, rates, floors))
    plan = tuple((w, start, c, f) for w, c, f in zip(weights, rates, floors))
    args = (current, current * g.random(n), g.integers(1, 45, n),
            g.random(n) * (g.random(n) < 0.5), g.integers(0, 40, n), g.random(n), g.random(n),
            g.random(n), g.integers(1, 50, n), g.integers(1, 37, n))
    kw = dict(trust_weight=0.3, reversal_risk=0.5, max_horizon=36, plan=plan)
    assert np.allclose(expected_presence(*args, **kw), _expected_presence_by_sum(*args, **kw),
                       rtol=0, atol=1e-12)


def test_a_scheduled_handover_lowers_expected_presence_before_the_first_cut():
    """Immediate burden sharing schedules its cuts; with the plan read, members expect less
    presence than the current level already in the month before the cuts begin; with
    ``mechanisms.plan=0`` they expect the current level to hold."""
    def expected_first_month(extra):
        _, setup, state = _setup(["policy=immediate_burden_sharing", "policy.cut_start=3",
                                  "decision.reversal_risk=0", *extra], runs=2)
        sch.advance(state, setup)
        j = setup.world.mission_names.index("stabilisation")
        return state.allies.expected[:, j].mean(), state.lead.level[:, j].mean()
    seen, level = expected_first_month([])
    hidden, _ = expected_first_month(["mechanisms.plan=0"])
    assert seen < hidden - 0.02


def test_a_history_that_starts_in_mid_course_can_say_what_allies_think_of_the_country():
    """``scenario.lead.country_trust`` sets the country stock at the start (with the weight of an
    administration's stance); the leader stock still starts from the stance."""
    _, _, default = _setup(["policy=impulsive"], runs=2)
    _, _, given = _setup(["policy=impulsive", "scenario.lead.country_trust=0.5"], runs=2)
    assert default.allies.trust_country.max() < 0.3           # the stance 0.15 alone
    assert np.allclose(given.allies.trust_country, 0.5)
    assert np.array_equal(given.allies.trust_leader, default.allies.trust_leader)


def test_a_mission_backed_by_another_gets_riskier_when_that_one_ends():
    """``sahel``: MINUSMA's risk rises by its ``support_risk`` the month Barkhane's mandate ends
    (2022-11, step 100), and not with ``mechanisms.support=0`` or with Barkhane's mandate
    extended."""
    from sim.drivers.ensemble import Ensemble

    def minusma_risk(extra):
        e = Ensemble(compose(["scenario=sahel", *extra]), seeds=1, runs=[0])
        j = list(e.world.mission_names).index("minusma")
        risks = []
        while e.state.step < 101:
            e.step()
            risks.append(float(e.state.missions.risk[0, j, 0]))
        return risks[98], risks[99]                     # after steps 99 and 100
    before, after = minusma_risk([])
    assert before == pytest.approx(0.2)                  # 0.1 and the junta's two turns
    assert after == pytest.approx(before + 0.05)
    assert minusma_risk(["mechanisms.support=0"]) == pytest.approx((before, before))
    assert minusma_risk(["scenario.missions.barkhane.mandate_end=2023-06"]) == \
        pytest.approx((before, before))
