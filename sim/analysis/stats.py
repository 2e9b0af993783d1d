"""Honest statistics for paired policy comparisons: BCa intervals and censored outcomes.

* :func:`bca_mean` -- the mean of paired differences with a bias-corrected and accelerated (BCa)
  bootstrap interval (``scipy.stats.bootstrap``; Efron 1987).
* :func:`survival_curve` -- the Kaplan-Meier survival function of a censored duration
  (``scipy.stats.ecdf`` on ``scipy.stats.CensoredData``).
* :func:`rmst` -- the restricted mean survival time up to a stated horizon ``tau`` (the area under
  the Kaplan-Meier curve on [0, tau]; Royston & Parmar 2013): a well-defined mean of a censored
  duration, unlike the mean of the censored numbers themselves.
* :func:`rmst_difference` -- the paired difference of two RMSTs with a BCa interval over pairs.

Months until the coalition falls below half its peak is censored: a run that never falls below
half its peak before the horizon only says "more than (horizon - peak month)". It is therefore
never averaged or given an interval as if measured; it is reported as survival curves, the share of
runs that fell, and restricted means with ``tau`` stated.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

__all__ = ["bca_mean", "survival_curve", "rmst", "rmst_difference", "N_RESAMPLES"]

N_RESAMPLES = 2000


def bca_mean(d, *, seed: int = 0, conf_level: float = 0.95,
             n_resamples: int = N_RESAMPLES) -> tuple[float, float, float]:
    """``(mean, low, high)`` of ``d`` (paired differences) with a BCa bootstrap interval.

    A sample with no spread has the point as its interval (BCa is undefined there)."""
    d = np.asarray(d, dtype=np.float64)
    m = float(d.mean())
    if len(d) < 3 or np.all(d == d[0]):
        return m, m, m
    with warnings.catch_warnings():      # a degenerate acceleration falls back to percentile below
        warnings.simplefilter("ignore")
        res = stats.bootstrap((d,), np.mean, method="BCa", n_resamples=n_resamples,
                              confidence_level=conf_level,
                              random_state=np.random.default_rng(seed))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(lo) and np.isfinite(hi)):          # degenerate acceleration: percentile
        res = stats.bootstrap((d,), np.mean, method="percentile", n_resamples=n_resamples,
                              confidence_level=conf_level,
                              random_state=np.random.default_rng(seed))
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return m, lo, hi


def _censored(durations, events):
    t = np.asarray(durations, dtype=np.float64)
    e = np.asarray(events, dtype=bool)
    return stats.CensoredData(uncensored=t[e], right=t[~e])


def survival_curve(durations, events) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate: ``(times, survival)`` as a step function starting at (0, 1).

    ``events`` is True where the event (falling below half the peak) happened at ``durations``,
    False where the run was censored there (the horizon came first)."""
    e = np.asarray(events, dtype=bool)
    t = np.asarray(durations, dtype=np.float64)
    if not e.any():                                       # nothing happened: S = 1 throughout
        return np.array([0.0, t.max() if len(t) else 0.0]), np.array([1.0, 1.0])
    res = stats.ecdf(_censored(t, e)).sf
    times = np.concatenate([[0.0], res.quantiles])
    surv = np.concatenate([[1.0], res.probabilities])
    return times, surv


def rmst(durations, events, tau: float) -> float:
    """Restricted mean survival time on [0, tau]: the area under the Kaplan-Meier curve."""
    times, surv = survival_curve(durations, events)
    keep = times < tau
    x = np.concatenate([times[keep], [tau]])
    y = surv[keep]
    return float(np.sum(np.diff(x) * y))


def rmst_difference(dur_b, ev_b, dur_t, ev_t, tau: float, *, seed: int = 0,
                    conf_level: float = 0.95, n_resamples: int = 1000):
    """``(rmst_b, rmst_t, difference, low, high)``: paired RMST difference (treatment - baseline)
    on [0, tau] with a BCa interval from resampling pairs."""
    dur_b, ev_b = np.asarray(dur_b, float), np.asarray(ev_b, bool)
    dur_t, ev_t = np.asarray(dur_t, float), np.asarray(ev_t, bool)
    rb, rt = rmst(dur_b, ev_b, tau), rmst(dur_t, ev_t, tau)
    if not (ev_b.any() or ev_t.any()):
        return rb, rt, rt - rb, rt - rb, rt - rb
    idx = np.arange(len(dur_b))

    def stat(i):
        i = i.astype(int)
        return rmst(dur_t[i], ev_t[i], tau) - rmst(dur_b[i], ev_b[i], tau)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap((idx,), stat, method="BCa", n_resamples=n_resamples,
                              vectorized=False, confidence_level=conf_level,
                              random_state=np.random.default_rng(seed))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        res = stats.bootstrap((idx,), stat, method="percentile", n_resamples=n_resamples,
                              vectorized=False, confidence_level=conf_level,
                              random_state=np.random.default_rng(seed))
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return rb, rt, rt - rb, lo, hi
