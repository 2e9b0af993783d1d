"""Pattern-oriented validation (Grimm et al. 2005): patterns 1-11 of the model specification
(docs/references.md), each a statistical test over replicates on the shipped scenarios with default
parameters, then the ablation table (:mod:`sim.analysis.ablation`).

    python -m sim.validate [--runs 200]

prints one row per pattern: the statistic measured, the threshold, the source of the pattern and
pass/FAIL; exits 1 if any pattern fails. ``tests/validation/`` runs the same checks. Failing patterns
are fixed in the model, not in the threshold.

Every experiment is paired: the variants (with and without an event) run on the same seeds, so the
differences are the event's effect, not noise.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import EventSpec, RunConfig, compose
from sim.drivers.ensemble import Ensemble
from sim.rules.decisions import EXIT_CAUSES

__all__ = ["PatternResult", "PATTERNS", "run_all", "main"]


@dataclass
class PatternResult:
    pattern: str
    statistic: str
    value: float
    threshold: str
    passed: bool
    detail: str
    source: str
    # "validation"; "calibration" (a target the defaults were fitted to); "mechanical" (holds for
    # any parameter values that keep the mechanism on: measured by switching parameters, see
    # docs/ODD.md section 1)
    kind: str = "validation"


def _with_events(cfg: RunConfig, events, **scenario_changes) -> RunConfig:
    scen = dataclasses.replace(cfg.scenario, events=list(cfg.scenario.events) + list(events),
                               **scenario_changes)
    return dataclasses.replace(cfg, scenario=scen)


def _run(cfg, runs, seed=11, **kw):
    return Ensemble(cfg, seeds=seed, runs=range(runs), **kw).run()


def asymmetry(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 1. One abrupt, unconsulted withdrawal costs 2-4 times the trust that one kept
    commitment of the same size gains; recovery takes longer than the fall.

    Baseline scenario, steady lead. In month 6 the lead withdraws half its effort in the
    stabilisation mission, announced and consulted (so there is room to rise), and trust settles.
    In month 36, paired on the same seeds: (A) it withdraws the other half abruptly, unconsulted and
    without notice; (B) it pledges the full level for 12 months and redeploys (a kept commitment of
    the same size); (C) nothing. Loss = C - A and gain = B - C in mean trust, one month after. Then
    in A the lead redeploys in month 42: recovery is the months until trust is back at C's level.
    """
    base = compose(["scenario=baseline", "policy=steady", *overrides])
    prep = [EventSpec(kind="withdrawal", step=6, mission="stabilisation", fraction=0.5,
                      consulted=True, notice=True)]
    c = _with_events(base, prep)
    a = _with_events(base, prep + [
        EventSpec(kind="withdrawal", step=36, mission="stabilisation", fraction=1.0),
        EventSpec(kind="deployment", step=42, mission="stabilisation", fraction=1.0)])
    b = _with_events(base, prep + [
        EventSpec(kind="announcement", step=36, mission="stabilisation", level=1.0, horizon=12),
        EventSpec(kind="deployment", step=36, mission="stabilisation", fraction=1.0)])
    ta, tb, tc = (_run(x, runs).steps["trust"] for x in (a, b, c))
    loss = tc[37] - ta[37]          # one month after the withdrawal
    gain = tb[47] - tc[47]          # when the 12-month commitment is fulfilled (months 36-47)
    ratio = loss / np.where(gain > 0, gain, np.nan)
    med = float(np.nanmedian(ratio))
    lo, hi = np.nanquantile(ratio, [0.25, 0.75])
    ok1 = 2.0 <= med <= 4.0 and bool((gain > 0).all())
    # fall: months from the withdrawal to the lowest trust before the redeployment
    fall = np.argmin(ta[36:43], axis=0)
    back = ta[42:] >= tc[42:] - 0.01
    recovery = np.where(back.any(axis=0), back.argmax(axis=0), ta.shape[0] - 42).astype(float)
    share = float(np.mean(recovery > np.maximum(fall, 1)))
    return [
        PatternResult("1a asymmetry", "median loss/gain of one act of the same size", med,
                      "in [2, 4]", ok1,
                      f"IQR {lo:.2f}-{hi:.2f}; loss {np.median(loss):.3f}, gain "
                      f"{np.median(gain):.4f} in mean trust ({runs} paired runs)",
                      "Slovic (1993); MODEL.md pattern 1", "calibration"),
        PatternResult("1b recovery slower than the fall", "share of runs: recovery > fall",
                      share, ">= 0.9", share >= 0.9,
                      f"median fall {np.median(fall):.0f} month(s); median recovery "
                      f"{np.median(recovery):.0f} months after redeploying",
                      "Slovic (1993); MODEL.md pattern 1", "calibration"),
    ]


def enablers(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 2. Removing the lead's enablers while it fields at most 20% of the troops cuts
    effectiveness by at least 50%. Sahel scenario, month 24: all enablers withdrawn (troops stay)
    against no event, effectiveness of the framework mission one month later."""
    base = compose(["scenario=sahel", *overrides])
    mission = next(iter(base.scenario.missions))
    step = 24
    cut = _with_events(base, [EventSpec(kind="withdrawal", step=step, mission=mission,
                                        fraction=1.0, troops=False, consulted=True, notice=True)])
    r0, r1 = _run(base, runs), _run(cut, runs)
    j = 0
    share = r0.missions["lead_troops"][step, :, j] / np.maximum(
        r0.missions["lead_troops"][step, :, j] + r0.missions["ally_troops"][step, :, j], 1e-9)
    e0 = r0.missions["effectiveness"][step + 1, :, j]
    e1 = r1.missions["effectiveness"][step + 1, :, j]
    drop = 1.0 - e1 / np.maximum(e0, 1e-12)
    premise = share <= 0.2                       # the pattern is about a lead with few troops
    med = float(np.median(drop[premise])) if premise.any() else float("nan")
    ok = bool(premise.mean() >= 0.9) and med >= 0.5
    return [PatternResult("2 enablers", "median fall in effectiveness where the lead fields <= 20% "
                          "of the troops", med, ">= 0.5, the premise holding in >= 90% of runs", ok,
                          f"lead's share of troops {np.median(share):.0%} (<= 20% in "
                          f"{premise.mean():.0%} of runs); effectiveness {np.median(e0):.2f} -> "
                          f"{np.median(e1):.2f}",
                          "SOURCES.md (Barkhane, Libya 2011); Hirshleifer (1983); MODEL.md pattern 2",
                          "mechanical")]


def collapse(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 3. A lead exit while the partner's dependence is high collapses partner capacity by
    more than 80% within a few (6) months; under load shifting, with dependence already low, the
    decline is gradual. Baseline scenario: (a) steady lead, exit in month 12; (b) load shifting,
    exit in month 108, after the handover."""
    out = []
    months = 6
    for label, policy, step in (("3a exit while dependent", "steady", 12),
                                ("3b exit after load shifting", "load_shifting_first", 108)):
        base = compose(["scenario=baseline", f"policy={policy}", *overrides])
        cfg = _with_events(base, [EventSpec(kind="withdrawal", step=step, mission="stabilisation",
                                            fraction=1.0, consulted=True, notice=True)])
        r = _run(cfg, runs)
        p0 = r.missions["partner_capacity"][step - 1, :, 0]
        p1 = r.missions["partner_capacity"][step - 1 + months, :, 0]
        dep = r.missions["partner_dependence"][step - 1, :, 0]
        loss = 1.0 - p1 / np.maximum(p0, 1e-12)
        med = float(np.median(loss))
        if policy == "steady":
            out.append(PatternResult(label, f"median capacity lost in {months} months", med, "> 0.8",
                                     med > 0.8, f"dependence at exit {np.median(dep):.2f}; "
                                     f"capacity {np.median(p0):.2f} -> {np.median(p1):.2f}",
                                     "SIGAR (2021); MODEL.md pattern 3"))
        else:
            out.append(PatternResult(label, f"median capacity lost in {months} months", med, "< 0.5",
                                     med < 0.5, f"dependence at exit {np.median(dep):.2f}; "
                                     f"capacity {np.median(p0):.2f} -> {np.median(p1):.2f}",
                                     "Biddle et al. (2018); MODEL.md pattern 3"))
    return out


def two_speeds(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 4, with the magnitudes of Pew's Global Attitudes series, on ``durability_pew``
    (steady 2009-16, impulsive 2017-20, steady 2021-22).

    4a: at the 2016->2017 kind of change the allies' mean leader trust falls by at least 0.3 within
    three months (Pew: median confidence in the president 64% -> 22%); at the change back it
    rises by at least 0.3 within three months (17% -> 75%). 4b: country trust falls by 0.1-0.25 in
    the first year (favourable 64% -> 49%) and is still below its 2016 level at the end of 2022
    (the scar: "used to be a good example", 57% in 2021).

    These magnitudes are calibration targets (the trust defaults are fitted to this series,
    experiments/calibration_pew): passing them shows the fit holds, not independent validation.
    """
    cfg = compose(["scenario=durability_pew", "policy=steady", *overrides])
    r = _run(cfg, runs)
    lt, ct = r.steps["trust_leader"], r.steps["trust_country"]
    out_, back, end = 96, 144, cfg.scenario.horizon      # 2016-12, 2020-12, 2022-12
    fall = float(np.median(lt[out_ + 3] - lt[out_]))
    rise = float(np.median(lt[back + 3] - lt[back]))
    c_fall = float(np.median(ct[out_] - ct[out_ + 12]))
    scar = float(np.mean(ct[end] < ct[out_]))
    return [
        PatternResult("4a leader trust steps", "median change of leader trust within 3 months "
                      "of the change to / from the impulsive administration", fall,
                      "<= -0.3, and the change back >= +0.3 (calibrated)",
                      fall <= -0.3 and rise >= 0.3,
                      f"2017-01: {np.median(lt[out_]):.2f} -> {np.median(lt[out_ + 3]):.2f}; "
                      f"2021-01: {np.median(lt[back]):.2f} -> {np.median(lt[back + 3]):.2f} "
                      f"({rise:+.2f})",
                      "Pew Global Attitudes 2016-2021 (docs/references.md)", "calibration"),
        PatternResult("4b country trust ratchets", "median fall of country trust in the first "
                      "year of the impulsive administration", c_fall,
                      "in [0.1, 0.25], and below its 2016 level at the end of 2022 in >= 90% of "
                      "runs (calibrated)", 0.1 <= c_fall <= 0.25 and scar >= 0.9,
                      f"{np.median(ct[out_]):.2f} -> {np.median(ct[out_ + 12]):.2f}; "
                      f"2022-12 {np.median(ct[end]):.2f}, below 2016 in {scar:.0%} of runs",
                      "Pew 2017, 2021; ECFR 2021 (docs/references.md)", "calibration"),
    ]


def _exits_and_elections(runs: int, overrides=()):
    cfg = compose(["scenario=baseline", "policy=impulsive", *overrides])
    ens = Ensemble(cfg, seeds=11, runs=range(runs))
    per_step, election_exits, other_exits, election_n, other_n = [], 0, 0, 0, 0
    from sim.rules.decisions import is_election_month
    while ens.t < cfg.scenario.horizon:
        members_before = ens.state.allies.member.copy()
        exits = ens.step().decisions.exits
        per_step.append(exits.sum(axis=(1, 2)))
        elect = is_election_month(ens.t, ens.state.allies.election_period,
                                  ens.state.allies.election_phase)
        at_risk = members_before.any(axis=1, keepdims=True) & np.broadcast_to(
            ens.state.missions.active.any(axis=1, keepdims=True), elect.shape)
        left = exits.any(axis=1, keepdims=True)
        election_exits += int((left & elect & at_risk).sum())
        election_n += int((elect & at_risk).sum())
        other_exits += int((left & ~elect & at_risk).sum())
        other_n += int((~elect & at_risk).sum())
    return np.array(per_step), (election_exits, election_n, other_exits, other_n)


def clustered_exits_and_elections(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Patterns 5 and 6 on the baseline scenario under the impulsive lead.

    5: exits per month are over-dispersed (variance-to-mean above 1) and more likely in the month
    right after another ally's exit. 6: an ally is more likely to leave in its election months."""
    per_step, (ee, en, oe, on) = _exits_and_elections(runs, overrides)      # per_step: (T, R)
    vmr = per_step.var(axis=0, ddof=1) / np.maximum(per_step.mean(axis=0), 1e-12)
    vmr_med = float(np.median(vmr[per_step.sum(axis=0) > 0]))
    prev = per_step[:-1] > 0
    nxt = per_step[1:] > 0
    p_after = nxt[prev].mean()
    p_other = nxt[~prev].mean()
    rr_elect = (ee / en) / (oe / on)
    p_elect = stats.binomtest(ee, en, oe / on, alternative="greater").pvalue
    table = [[int(nxt[prev].sum()), int((~nxt[prev]).sum())],
             [int(nxt[~prev].sum()), int((~nxt[~prev]).sum())]]
    p_cluster = stats.fisher_exact(table, alternative="greater").pvalue
    return [
        PatternResult("5a exits over-dispersed", "median variance-to-mean of exits per month",
                      vmr_med, "> 1", vmr_med > 1, f"over {runs} runs of 120 months",
                      "Granovetter (1978); MINUSMA exodus 2022-23 (SOURCES.md)", "mechanical"),
        PatternResult("5b exits follow exits", "P(exit month | exit last month) / P(exit month | "
                      "none)", float(p_after / p_other), "> 1, p < 0.01",
                      bool(p_after > p_other and p_cluster < 0.01),
                      f"{p_after:.2f} vs {p_other:.2f}; Fisher p = {p_cluster:.1e}",
                      "Côte d'Ivoire 2022: 'other important countries are withdrawing' "
                      "(SOURCES.md)", "mechanical"),
        PatternResult("6 elections", "exit rate in election months / other months",
                      float(rr_elect), "> 1, p < 0.01", bool(rr_elect > 1 and p_elect < 0.01),
                      f"{ee}/{en} ally-months vs {oe}/{on}; binomial p = {p_elect:.1e}",
                      "Tago (2009); Mello (2020)", "mechanical"),
    ]


def announcements(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 7. A withdrawal announced for six months ahead lowers members' expected presence and
    their contributions before its date; after a reversal, the same pledge raises expected presence
    by less than before.

    Baseline scenario, steady lead, paired on the same seeds. (a) At month 36 the lead announces,
    consulted, the withdrawal of all its troops and enablers from the stabilisation mission for
    month 42, against no announcement: members' expected presence and allies' troops in months
    37-41. (b) At month 36 it announces a withdrawal for month 48 and calls it off at month 40 (a
    reversal); at month 44 it pledges its full level for 12 months; against the same pledge
    without the earlier reversal: the rise of every ally's mean expected presence in the month of
    the pledge.
    """
    base = compose(["scenario=baseline", "policy=steady", *overrides])
    m = "stabilisation"
    announce = EventSpec(kind="announce_withdrawal", step=36, mission=m, after=6, consulted=True)
    pledge = EventSpec(kind="announcement", step=44, mission=m, level=1.0, horizon=12)
    r0, r1 = _run(base, runs), _run(_with_events(base, [announce]), runs)
    j = list(r0.world.mission_names).index(m)
    window = slice(37, 42)
    e0 = r0.missions["expected_presence"][window, :, j].mean(axis=0)
    e1 = r1.missions["expected_presence"][window, :, j].mean(axis=0)
    c0 = r0.missions["ally_troops"][window, :, j].mean(axis=0)
    c1 = r1.missions["ally_troops"][window, :, j].mean(axis=0)
    lower_e = float(np.mean(e1 < e0))
    lower_c = float(np.mean(c1 < c0))
    p_c = stats.wilcoxon(c1 - c0, alternative="less").pvalue if np.any(c1 != c0) else 1.0
    rev = _with_events(base, [
        EventSpec(kind="announce_withdrawal", step=36, mission=m, after=12, consulted=True),
        EventSpec(kind="cancel_withdrawal", step=40, mission=m), pledge])
    plain = _with_events(base, [pledge])
    ra, rb = _run(rev, runs), _run(plain, runs)
    # every ally's expectation, so that who happens to be a member does not blur the comparison
    key = "expected_presence_all"
    rise_rev = ra.missions[key][44, :, j] - ra.missions[key][43, :, j]
    rise = rb.missions[key][44, :, j] - rb.missions[key][43, :, j]
    less = float(np.mean(rise_rev < rise))
    return [
        PatternResult("7a announced withdrawal bites early", "share of runs with lower members' "
                      "expected presence before the date", lower_e,
                      ">= 0.9, and lower allied troops (Wilcoxon p < 0.01)",
                      lower_e >= 0.9 and p_c < 0.01,
                      f"expected presence {np.median(e0):.3f} -> {np.median(e1):.3f}; allied "
                      f"troops {np.median(c0):.0f} -> {np.median(c1):.0f} (lower in "
                      f"{lower_c:.0%} of runs, p = {p_c:.1e})",
                      "Syria, December 2018 (docs/references.md); MODEL.md pattern 7",
                      "mechanical"),
        PatternResult("7b a pledge after a reversal is worth less", "share of runs where the "
                      "same pledge raises expected presence less after a reversal", less, ">= 0.9",
                      less >= 0.9,
                      f"rise {np.median(rise):.4f} without, {np.median(rise_rev):.4f} after the "
                      "reversal", "Sartori (2002); MODEL.md pattern 7", "mechanical"),
    ]


def filling_the_gap(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 8. A consulted, announced drawdown of the lead's troops with its enablers kept is at
    least partly filled by the allies: their troops do not fall by more than the lead's cut.

    ``sahel`` with default parameters, paired: in 2018-01 the lead announces, consulted, a cut of
    half its troops in Barkhane for 2018-07 (enablers kept), against no announcement; the allies'
    troops in Barkhane over the 12 months after the cut, against the lead's cut (~450).

    A calibration target, not validation: France's reaction in the scenario (cooperation slope
    0.5, substitution 0.8) was set from its Sahel record; with the generic conditional-cooperator
    slope (1.1) the allies' troops fall by ~1.6 times the lead's cut.
    """
    base = compose(["scenario=sahel", *overrides])
    m = "barkhane"
    cut = EventSpec(kind="announce_withdrawal", date="2018-01", mission=m, after=6, fraction=0.5,
                    enablers=False, consulted=True)
    r0, r1 = _run(base, runs), _run(_with_events(base, [cut]), runs)
    j = list(r0.world.mission_names).index(m)
    start = 42                                   # 2018-01 is step 42 (start 2014-08)
    window = slice(start + 6, start + 18)
    lead_cut = (r0.missions["lead_troops"][window, :, j]
                - r1.missions["lead_troops"][window, :, j]).mean(axis=0)
    ally_change = (r1.missions["ally_troops"][window, :, j]
                   - r0.missions["ally_troops"][window, :, j]).mean(axis=0)
    ratio = ally_change / np.maximum(lead_cut, 1e-9)
    filled = float(np.mean(ratio > -1.0))
    med = float(np.median(ratio))
    return [PatternResult(
        "8 allies fill a drawdown", "median change of allies' troops per troop the lead cut "
        "(share of runs where they fall by less than the cut)", med,
        "> -1 in the median and in >= 75% of runs", med > -1.0 and filled >= 0.75,
        f"lead's cut {np.median(lead_cut):.0f}; allies {np.median(ally_change):+.0f} "
        f"(fall by less than the cut in {filled:.0%} of runs)",
        "the essay (Sahel, 2018-20: 'European powers filled the gap'); Olson & Zeckhauser (1966)",
        "calibration")]


def syria_residual(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 9. In ``syria``, with the residual force and air power kept after October 2019,
    France and the UK stay in the ground mission (to the horizon, 2020-06).

    The historical background conduct (``policy=impulsive``, its random announcements and
    reversals included) and default parameters. The pattern's premise is that the lead kept a
    residual force and its air power from October 2019 on, so the share is taken over the runs
    in which no impulsive withdrawal of the lead's own was in force in the ground mission from
    then to the horizon (the premise's share of runs is reported beside it).
    """
    cfg = compose(["scenario=syria", "policy=impulsive", *overrides])
    e, member, _, _, _, out, cause = _voluntary_histories(cfg, runs)
    names = list(e.world.ally_names)
    j = list(e.world.mission_names).index("syria_ground")
    fr, uk = names.index("France"), names.index("UK")
    oct19 = 22
    kept = ~np.any(out[oct19:, :, j, 0] > 0, axis=0)         # the residual stayed (the premise)
    before = member[oct19 - 1, :, j, fr] & member[oct19 - 1, :, j, uk]
    both = member[-1, :, j, fr] & member[-1, :, j, uk]
    share = float(np.mean(both[kept])) if kept.any() else 0.0
    # why they left, in the runs that keep the premise (exits from October 2019 on)
    why = _causes(cause[oct19:, kept, j][..., [fr, uk]])
    return [PatternResult(
        "9 Syria: France and the UK stay", "share of runs with both in the ground mission in "
        "2020-06", share, ">= 0.75", share >= 0.75,
        f"{kept.sum()} of {runs} runs keep the premise (no impulsive withdrawal in force from "
        f"October 2019); in them, both in before October 2019 in {np.mean(before[kept]):.0%}, "
        f"France's and the UK's exits from then on by cause: {why}; over all runs both stay in "
        f"{np.mean(both):.0%}",
        "SOURCES.md: after October 2019 the US kept ~500-600 troops and its air power; French and "
        "British special forces stayed [M]", "validation")]


def _voluntary_histories(cfg, runs, seed=11):
    """Membership (T + 1, R, M, N), contributions, activity, each month's voluntary exits, the
    lead's impulsive withdrawal in force (T + 1, R, M, 1) and each month's exit causes (codes
    into :data:`sim.rules.decisions.EXIT_CAUSES`)."""
    e = Ensemble(cfg, seeds=seed, runs=range(runs))
    member, contribution = [e.state.allies.member.copy()], [e.state.allies.contribution.copy()]
    active, voluntary = [e.state.missions.active.copy()], [np.zeros_like(e.state.allies.member)]
    out = [e.state.lead.impulse_out.copy()]
    cause = [np.zeros(e.state.allies.member.shape, dtype=np.int8)]
    while e.state.step < e.world.horizon:
        rep = e.step()
        member.append(e.state.allies.member.copy())
        contribution.append(e.state.allies.contribution.copy())
        active.append(e.state.missions.active.copy())
        voluntary.append(rep.decisions.voluntary.copy())
        out.append(e.state.lead.impulse_out.copy())
        cause.append(rep.decisions.cause.copy())
    return (e, np.array(member), np.array(contribution), np.array(active), np.array(voluntary),
            np.array(out), np.array(cause))


def _causes(codes) -> str:
    """``"cascade 12, utility 3"``: the exit causes among ``codes``, most frequent first."""
    names, counts = np.unique(np.asarray(codes, dtype=np.int64), return_counts=True)
    pairs = sorted(((int(c), EXIT_CAUSES[n]) for n, c in zip(names, counts) if n > 0),
                   reverse=True)
    return ", ".join(f"{name} {c}" for c, name in pairs) or "none"


def minusma_wave(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 10. MINUSMA's exits of 2022 cluster after the first large contributor leaves.

    ``sahel`` with default parameters. The large contributors are those the scenario gives at
    least 500 troops in MINUSMA (Germany ~1,100, Egypt ~1,050, Côte d'Ivoire ~650, Chad ~1,400:
    SOURCES.md, docs/scenarios.md). Per run, the first exit of any of them (over the whole run):
    (a) it should fall in the wave's window, 2021-07 to 2023-06 (historically Chad's withdrawal
    in 2021-10, reversed in 2021-12, then Egypt's suspension in 2022-07: docs/references.md), in
    at least half the runs; (b) the other allies' exits in the 6 months after it should exceed
    those in the 6 months before (Wilcoxon p < 0.01). The exits are not scripted (their causes
    are: the junta's hostility, the French departure).
    """
    cfg = compose(["scenario=sahel", *overrides])
    e, member, _, active, _, _, cause = _voluntary_histories(cfg, runs)
    j = list(e.world.mission_names).index("minusma")
    roster = cfg.scenario.allies.roster
    names = list(e.world.ally_names)
    large = np.array([name in roster and roster[name].troops.get("minusma", 0.0) >= 500.0
                      for name in names])
    mem = member[:, :, j, :]
    exits = mem[:-1] & ~mem[1:] & active[1:, :, j, :]          # (T, R, N): exit in month t + 1
    lo, hi = 84, 107                                          # 2021-07 .. 2023-06
    in_window, after, before, early = [], [], [], []
    for r in range(mem.shape[1]):
        big = exits[:, r, :] & large
        if not big.any():
            in_window.append(False)
            continue
        t0 = int(np.argmax(big.any(axis=1)))
        in_window.append(lo <= t0 + 1 <= hi)
        if t0 + 1 < lo:                                       # why the first one left early
            early.extend(cause[t0 + 1, r, j, big[t0]])
        others = exits[:, r, :] & ~big[t0]
        after.append(others[t0 + 1:t0 + 7].sum())
        before.append(others[max(t0 - 6, 0):t0].sum())
    share = float(np.mean(in_window))
    after, before = np.array(after), np.array(before)
    diff = float(np.mean(after - before)) if len(after) else 0.0
    p = (stats.wilcoxon(after - before, alternative="greater").pvalue
         if len(after) and np.any(after != before) else 1.0)
    return [PatternResult(
        "10 MINUSMA exits follow a large exit", "share of runs whose first large contributor's "
        "exit falls in 2021-07..2023-06", share,
        ">= 0.5, and other exits after it > before (Wilcoxon p < 0.01)",
        bool(share >= 0.5 and diff > 0 and p < 0.01),
        f"{len(after)} of {runs} runs with a large exit; other exits in the 6 months after minus "
        f"before: {diff:+.2f} (p = {p:.1e}); first large exits before the window by cause: "
        f"{_causes(early)}",
        "MINUSMA exodus 2022-23; Côte d'Ivoire, Nov 2022: 'other important countries are "
        "withdrawing ... no reason for us to stay' (SOURCES.md)", "validation")]


def lasting_exits(runs: int = 200, overrides=()) -> list[PatternResult]:
    """Pattern 11. Fewer than 20% of voluntary exits are reversed within 12 months.

    Pooled over ``baseline`` (steady), ``sahel`` and ``syria`` (impulsive) with default parameters,
    counting only voluntary exits (not scripted ones) from a mission that stays open for the 12
    months after (so a return was possible: no censoring by the horizon or a mandate's end).
    A calibration target, not validation: the declared re-entry cost (``decision.reentry_cost``)
    decides it (with it at 0 the share is about a quarter); the minimum absence (6 months) makes
    "none within 3 months" true by construction.
    """
    exits_n, reversed_n, parts = 0, 0, []
    for scen in (["scenario=baseline", "policy=steady"], ["scenario=sahel"],
                 ["scenario=syria", "policy=impulsive"]):
        e, member, _, active, voluntary, _, _ = _voluntary_histories(compose([*scen, *overrides]),
                                                                     runs)
        horizon = member.shape[0] - 1
        n_e = n_r = 0
        for t, r, m, n in np.argwhere(voluntary):
            if t + 12 > horizon or not active[t:t + 13, r, m, 0].all():
                continue
            n_e += 1
            n_r += bool(member[t + 1:t + 13, r, m, n].any())
        exits_n += n_e
        reversed_n += n_r
        parts.append(f"{scen[0].split('=')[1]} {n_r}/{n_e}")
    share = reversed_n / exits_n if exits_n else float("nan")
    return [PatternResult(
        "11 exits last", "share of voluntary exits reversed within 12 months", share, "< 0.2",
        bool(share < 0.2), "reversed/exits: " + "; ".join(parts),
        "the issue's threshold; Tago (2009), Mello (2020) on defections from coalitions",
        "calibration")]


PATTERNS = (asymmetry, enablers, collapse, two_speeds, clustered_exits_and_elections,
            announcements, filling_the_gap, syria_residual, minusma_wave, lasting_exits)


def run_all(runs: int = 200, overrides=()) -> pd.DataFrame:
    """Every pattern's result as a table (``overrides``: Hydra overrides for every experiment)."""
    rows = []
    for check in PATTERNS:
        for r in check(runs, overrides):
            rows.append(dataclasses.asdict(r))
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.validate", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="replicates per experiment")
    ap.add_argument("--no-ablation", action="store_true", help="skip the ablation table")
    ap.add_argument("--known-failures", default="",
                    help="comma-separated pattern numbers known to fail (e.g. 9): exit 0 only if "
                         "exactly these fail, so CI notices both a new failure and a fixed one")
    args = ap.parse_args(argv)
    known = {k.strip() for k in args.known_failures.split(",") if k.strip()}
    df = run_all(args.runs)
    pd.set_option("display.max_colwidth", 90)
    pd.set_option("display.width", 200)
    for r in df.itertuples():
        print(f"{'pass' if r.passed else 'FAIL':4s}  {r.pattern:32s} [{r.kind}] {r.statistic}: "
              f"{r.value:.3g} (threshold {r.threshold})\n      {r.detail}\n      source: {r.source}")
    n_fail = int((~df["passed"]).sum())
    counted = df[df["kind"] == "validation"]
    print(f"\n{len(df) - n_fail}/{len(df)} checks pass; {int(counted['passed'].sum())}/"
          f"{len(counted)} validation patterns (calibration targets and mechanical checks "
          "do not count as validation)")
    if not args.no_ablation:
        print_ablation(args.runs)
    if known:
        failed = {str(p).split()[0] for p in df.loc[~df["passed"], "pattern"]}
        if failed != known:
            print(f"error: expected exactly patterns {sorted(known)} to fail, got "
                  f"{sorted(failed) or 'none'}: update --known-failures (and the open issue)",
                  file=sys.stderr)
            return 1
        print(f"known failures (open modelling work, see CHANGELOG.md): {', '.join(sorted(known))}")
        return 0
    return 1 if n_fail else 0


def print_ablation(runs: int) -> pd.DataFrame:
    """The ablation table: each mechanism switched off, paired, for every shipped policy."""
    from sim.analysis.ablation import ablation_table

    frames = [ablation_table(runs, scenario=sc) for sc in ("baseline", "durability_pew")]
    df = pd.concat(frames, ignore_index=True)
    print("\nAblation: mechanism off minus on, mean over paired runs [95% BCa interval]")
    for (sc, policy), g in df.groupby(["scenario", "policy"], sort=False):
        print(f"  {sc} / {policy}")
        for mech, h in g.groupby("mechanism", sort=False):
            cells = [f"{r.outcome} {r.difference:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]"
                     for r in h.itertuples()]
            print(f"    {mech:13s} " + "; ".join(cells))
    return df

