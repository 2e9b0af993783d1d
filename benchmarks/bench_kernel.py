"""Spike: what a compiled, fused kernel would buy the ensemble (issue 3's per ally-step goal).

The goal is an ensemble cost per ally-step of at most 1/30 of Mesa's ``BoltzmannWealth`` per
agent-step. The numpy ensemble reaches about 1/9 (``benchmarks/bench_sweep.py``). This script
measures, side by side in one run, on the ensemble's real inputs (baseline, 30 allies, R = 1,000,
month 60 of ``load_shifting_first``):

1. phases 3-4 (``phases.observe`` + ``phases.update_trust``) as the ensemble runs them (numpy);
2. the same arithmetic as one fused numba loop (written by hand from the rules, in their order);
3. how many output cells differ between 1 and 2, and why (numba calls libm's ``exp``; numpy calls
   its own SIMD ``exp``; both are within an ulp, but not the same bits);
4. the whole numpy ensemble per ally-step and ``BoltzmannWealth`` per agent-step, and what the
   ratio would be if only the ally-level phases (3-4, 6, the attacks of 7, 8) were compiled and
   sped up as much as phases 3-4 do (Amdahl), or if the whole step did.

numba is not a dependency of the package; this spike needs it::

    .venv/bin/pip install -e '.[kernel-spike]'
    .venv/bin/python benchmarks/bench_kernel.py

Results and the decision they feed are in ``docs/performance.md``.
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - a message, not a test
    sys.exit("bench_kernel.py needs numba: .venv/bin/pip install -e '.[kernel-spike]'")

from bench_sweep import per_agent_step
from sim.config import compose
from sim.drivers.ensemble import Ensemble
from sim.rules import phases

R, N, CAPTURE_STEP, REPEAT = 1000, 30, 60, 30

STOCKS = ("r_leader", "s_leader", "r_country", "s_country", "r_honesty", "s_honesty", "damage")
OUTPUTS = STOCKS + ("trust_leader", "trust_country", "honesty", "trust")
TRUST_PARAMS = ("w_plus", "asymmetry", "friction", "surprise_gain", "unconsulted_penalty",
                "notice_relief", "reversal_penalty", "promise_weight", "keep_weight",
                "pledge_bonus", "abandon_evidence", "outsider_weight", "spillover_weight",
                "consult_evidence", "forgetting_leader", "forgetting_country",
                "forgetting_country_bad", "forgetting_honesty", "country_weight", "damage_rate",
                "heal_rate", "prior_good", "prior_bad", "leader_weight")


@numba.njit(cache=False)
def fused_observe_update(lp, lv, ended, kept, ful, rev, aw, ap, ab, notice, cu, cons, mem, ns,
                         tprev, hon, act, rl, sl, rc, sc, rh, sh, dmg, shock, wp, asym, fr, sg,
                         up, nr, rp, pw, kw, pb, ae, ow, sw, ce, fl, fc, fcb, fh, cw, dr, hr, pg,
                         pbad, lw, out):
    """``phases.observe`` then ``phases.update_trust``, one pass per (run, mission), allies inner.

    Mission-level inputs are (R, M, 1), ally inputs (R, 1, N), ally-mission inputs (R, M, N).
    Every expression keeps the rules' order of operations, so only ``exp`` can change the bits.
    """
    n_r, n_m, n_n = mem.shape
    wm = asym * wp
    good = np.empty(n_n)
    bad = np.empty(n_n)
    hg = np.empty(n_n)
    hb = np.empty(n_n)
    for r in range(n_r):
        for m in range(n_m):
            drop = 0.0 if ended[r, m, 0] else max(lp[r, m, 0] - lv[r, m, 0], 0.0)
            rise = max(lv[r, m, 0] - lp[r, m, 0], 0.0)
            excess = max(drop - fr, 0.0)
            relief = 1.0 - nr * notice[r, m, 0]
            g_act = (wp * (kw * lv[r, m, 0] + rise) * (1.0 + pb * kept[r, m, 0])
                     if act[r, m, 0] else 0.0)
            spill = wm * ae * ab[r, m, 0]
            for n in range(n_n):
                obs = max(mem[r, m, n], min(ow + sw * ns[r, m, n], 1.0))
                unc = 1.0 if cu[r, m, 0] else 1.0 - cons[r, 0, n]
                b = wm * excess * (1.0 + sg * tprev[r, 0, n]) * (1.0 + up * unc) * relief
                b = b + wm * (rp * rev[r, m, 0] + pw * hon[r, 0, n] * aw[r, m, 0])
                g = g_act + wp * pw * hon[r, 0, n] * ap[r, m, 0]
                if m == 0:
                    good[n] = obs * g
                    bad[n] = obs * b + spill
                    hg[n] = obs * ful[r, m, 0]
                    hb[n] = obs * rev[r, m, 0]
                else:
                    good[n] = good[n] + obs * g
                    bad[n] = bad[n] + (obs * b + spill)
                    hg[n] = hg[n] + obs * ful[r, m, 0]
                    hb[n] = hb[n] + obs * rev[r, m, 0]
        sb = wm * shock[r, 0, 0]
        for n in range(n_n):
            gn = good[n] + wp * ce * cons[r, 0, n]
            bn = bad[n]
            a = fl * rl[r, 0, n] + gn
            b2 = fl * sl[r, 0, n] + bn
            c = fc * rc[r, 0, n] + cw * gn
            d = fcb * sc[r, 0, n] + (cw * bn + sb)
            e = fh * rh[r, 0, n] + hg[n]
            f = fh * sh[r, 0, n] + hb[n]
            h = dmg[r, 0, n] * (1.0 - hr)
            dd = h + (1.0 - h) * (1.0 - np.exp(-dr * (bn + sb)))
            tl = (a + pg) / (a + b2 + pg + pbad)
            tc = (c + pg) / (c + d + pg + pbad)
            out[0, r, n] = a
            out[1, r, n] = b2
            out[2, r, n] = c
            out[3, r, n] = d
            out[4, r, n] = e
            out[5, r, n] = f
            out[6, r, n] = dd
            out[7, r, n] = tl
            out[8, r, n] = tc
            out[9, r, n] = (e + pg) / (e + f + pg + pbad)
            out[10, r, n] = min(lw * tl + (1.0 - lw) * tc, 1.0 - dd)


@contextmanager
def replaced(**wrappers):
    """Temporarily replace functions of :mod:`sim.rules.phases` (the ensemble looks them up there)."""
    originals = {k: getattr(phases, k) for k in wrappers}
    for k, fn in wrappers.items():
        setattr(phases, k, fn)
    try:
        yield
    finally:
        for k, fn in originals.items():
            setattr(phases, k, fn)


def capture(cfg):
    """The real arguments of phases 3-4 at month CAPTURE_STEP of an R-run ensemble."""
    seen = {}
    observe, update = phases.observe, phases.update_trust
    ens = Ensemble(cfg, seeds=1, runs=range(R), light=True)

    def observe_spy(*args):
        if ens.t + 1 == CAPTURE_STEP:
            seen["observe"] = args
        return observe(*args)

    def update_spy(*args):
        if ens.t + 1 == CAPTURE_STEP:
            seen["update"] = args
        return update(*args)

    with replaced(observe=observe_spy, update_trust=update_spy):
        while ens.t < CAPTURE_STEP:
            ens.step()
    return seen


ALLY_PHASES = ("observe", "update_trust", "decide", "attack_and_perceive",
               "ally_capacity_and_grievance")


def ally_phase_share(cfg) -> float:
    """Share of a numpy ensemble run spent inside the ally-level phase functions (timed wrappers)."""
    spent = [0.0]

    def timed(fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t
        return wrapper

    with replaced(**{k: timed(getattr(phases, k)) for k in ALLY_PHASES}):
        t = time.perf_counter()
        Ensemble(cfg, seeds=1, runs=range(R), light=True).run()
        total = time.perf_counter() - t
    return spent[0] / total


def main() -> None:
    cfg = compose(["scenario=baseline", f"scenario.allies.n={N}", "policy=load_shifting_first"])
    seen = capture(cfg)
    *obs_values, tp = seen["observe"]
    stock_args, shock_arg = seen["update"][:7], seen["update"][8]
    # the kernel indexes [r, m, n]: the ensemble passes every input at full rank already
    assert all(np.ndim(a) == 3 for a in obs_values), "observe's inputs are (R, M|1, N|1)"
    kernel_in = [np.ascontiguousarray(a) for a in obs_values]
    stocks = [np.ascontiguousarray(a, dtype=np.float64) for a in stock_args]
    shock = np.ascontiguousarray(shock_arg, dtype=np.float64)
    params = [float(getattr(tp, k)) for k in TRUST_PARAMS]
    out = np.empty((len(OUTPUTS), R, N))

    def numpy_path():
        ev = phases.observe(*obs_values, tp)
        return phases.update_trust(*stock_args, ev, shock_arg, tp)

    def kernel_path():
        fused_observe_update(*kernel_in, *stocks, shock, *params, out)

    ref = numpy_path()
    kernel_path()   # compile
    t_np = t_k = math.inf
    for _ in range(REPEAT):
        t = time.perf_counter()
        numpy_path()
        t_np = min(t_np, time.perf_counter() - t)
        t = time.perf_counter()
        kernel_path()
        t_k = min(t_k, time.perf_counter() - t)
    differ = {k: int(np.sum(ref[k][:, 0, :] != out[i]))
              for i, k in enumerate(OUTPUTS)}
    x = np.random.default_rng(1).exponential(3.0, 10**6) * -1.0
    exp_differ = float(np.mean(np.exp(x) != _libm_exp(x)))

    e_us, b_us = per_agent_step(N, R)     # the same measurement as bench_sweep.py
    e_ns, b_ns = e_us * 1e3, b_us * 1e3
    ally_share = ally_phase_share(cfg)
    speedup = t_np / t_k
    share = t_np / (R * N) * 1e9 / e_ns
    print(f"phases 3-4, numpy (as the ensemble runs them): {t_np / (R * N) * 1e9:7.1f} ns per ally-step "
          f"({share:.0%} of the whole step)")
    print(f"phases 3-4, fused numba loop:                  {t_k / (R * N) * 1e9:7.1f} ns per ally-step")
    print(f"speed-up of the fused loop:                    {speedup:7.1f}x")
    print(f"cells that differ (of {R * N} per output): "
          + ", ".join(f"{k} {v}" for k, v in differ.items()))
    print(f"share of exp() values where libm (numba) and numpy differ: {exp_differ:.2%}")
    print(f"whole ensemble step: {e_ns:.0f} ns per ally-step; BoltzmannWealth {b_ns:.0f} ns per "
          f"agent-step; ratio 1/{b_ns / e_ns:.1f}")
    amdahl = e_ns * (1.0 - ally_share + ally_share / speedup)
    print(f"the ally-level phases ({', '.join(ALLY_PHASES)}) take {ally_share:.0%} of a run; "
          f"compiled alone at {speedup:.1f}x: {amdahl:.0f} ns per ally-step, ratio "
          f"1/{b_ns / amdahl:.1f}")
    print(f"if every phase sped up {speedup:.1f}x: {e_ns / speedup:.0f} ns per ally-step, ratio "
          f"1/{b_ns / (e_ns / speedup):.1f} (goal 1/30: {b_ns / 30:.0f} ns)")
    print(f"numba {numba.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")


@numba.vectorize(["float64(float64)"])
def _libm_exp(x):
    return math.exp(x)


if __name__ == "__main__":
    main()
