"""Diagnostics of a calibration that can fail.

* **Contraction** per parameter: ``1 - Var(posterior) / Var(prior)`` (0: nothing learned; 1: the
  parameter is pinned down; Schälte & Hasenauer 2020 call it the posterior's shrinkage).
* **Correlations** between parameters in the posterior: a strong one means the history fixes a
  combination, not each parameter (a ridge, not identified separately).
* **Posterior-predictive bands**: parameter sets drawn from the posterior, one simulation each;
  *coverage* is the share of observations inside the central ``band``; *sharpness* is the band's
  width against the observed data's range (the target's observed range; for a target observed
  once, the prior-predictive band's width), so a band that covers everything by being wide does
  not pass.
* **Out of sample**: fit only the observations before ``holdout``, predict the rest; the held-out
  observations' coverage, sharpness and the error of the predictive median against the prior's.
* **Recovery** on synthetic data: the true parameters inside the 90% credible interval, and the
  interval narrower than the prior's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["weighted_quantile", "contraction", "correlations", "predictive_table",
           "band_checks", "recovery_table", "THRESHOLDS"]

# What passes (printed with each check, so a reader can see how strict it is).
THRESHOLDS = {
    "coverage_min": 0.7,        # in-sample share of observations inside the 90% band
    "sharpness_max": 1.0,       # median band width / data range over targets
    "holdout_coverage_min": 0.5,
    "learned": 0.3,             # contraction at which a parameter counts as learned
    "correlated": 0.6,          # |r| flagged as a trade-off
}


def weighted_quantile(x, w, q):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    c = np.cumsum(w) - 0.5 * w
    c /= w.sum()
    return np.interp(q, c, x)


def _wvar(x, w):
    m = np.average(x, weights=w)
    return float(np.average((x - m) ** 2, weights=w))


def contraction(post: pd.DataFrame, weights, priors, *, level: float = 0.9) -> pd.DataFrame:
    """Per parameter: prior, posterior median and credible interval, contraction."""
    rows = []
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    for name, prior in priors.items():
        x = post[name].to_numpy()
        nat = prior.natural()
        pv = float(nat.var())
        plo, phi = nat.ppf([lo_q, hi_q])
        qlo, qmed, qhi = weighted_quantile(x, weights, [lo_q, 0.5, hi_q])
        rows.append({"parameter": name, "prior": prior.describe(), "prior_low": plo,
                     "prior_high": phi, "median": qmed, "low": qlo, "high": qhi,
                     "mean": float(np.average(x, weights=weights)),
                     "contraction": 1.0 - _wvar(x, weights) / pv,
                     "width_ratio": (qhi - qlo) / (phi - plo)})
    return pd.DataFrame(rows)


def correlations(post: pd.DataFrame, weights, names) -> pd.DataFrame:
    """Weighted Pearson correlations of every pair, strongest first."""
    x = post[list(names)].to_numpy(dtype=float)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    m = w @ x
    c = ((x - m) * w[:, None]).T @ (x - m)
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(np.where(sd > 0, sd, 1), np.where(sd > 0, sd, 1))
    rows = [{"a": names[i], "b": names[j], "r": float(r[i, j])}
            for i in range(len(names)) for j in range(i + 1, len(names))]
    df = pd.DataFrame(rows, columns=["a", "b", "r"])
    return df.reindex(df["r"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def predictive_table(history, sims: np.ndarray, prior_sims: np.ndarray | None, band: float,
                     *, part=None) -> pd.DataFrame:
    """Per observation: observed, predictive median and band (and the prior's band width)."""
    lo_q, hi_q = (1 - band) / 2, 1 - (1 - band) / 2
    rows = []
    for i, o in enumerate(history.observations):
        s = sims[i]
        lo, med, hi = np.quantile(s, [lo_q, 0.5, hi_q])
        row = {"target": o.target, "date": o.date, "step": o.step, "observed": o.value,
               "median": med, "low": lo, "high": hi,
               "inside": bool(lo <= o.value <= hi), "width": hi - lo}
        if prior_sims is not None:
            plo, pmed, phi = np.quantile(prior_sims[i], [lo_q, 0.5, hi_q])
            row.update(prior_median=pmed, prior_width=phi - plo)
        if part is not None:
            row["part"] = part[i]
        rows.append(row)
    return pd.DataFrame(rows)


def band_checks(table: pd.DataFrame) -> dict:
    """Coverage, sharpness per target and overall, and the median error against the prior's."""
    per = []
    for target, d in table.groupby("target", sort=False):
        rng = d["observed"].max() - d["observed"].min()
        if rng > 0:
            ref, ref_kind = rng, "data range"
        elif "prior_width" in d and d["prior_width"].mean() > 0:
            ref, ref_kind = d["prior_width"].mean(), "prior band"
        else:
            ref, ref_kind = max(abs(d["observed"].mean()), 1.0), "|observed|"
        per.append({"target": target, "n": len(d), "coverage": d["inside"].mean(),
                    "width": d["width"].mean(), "reference": ref, "reference_kind": ref_kind,
                    "sharpness": d["width"].mean() / ref,
                    "error": (d["median"] - d["observed"]).abs().mean(),
                    "prior_error": ((d["prior_median"] - d["observed"]).abs().mean()
                                    if "prior_median" in d else np.nan)})
    per = pd.DataFrame(per)
    skill = np.nan
    if len(per) and per["prior_error"].notna().all():
        rel = per["error"] / per["reference"]
        prel = per["prior_error"] / per["reference"]
        skill = float(1 - rel.mean() / prel.mean()) if prel.mean() > 0 else np.nan
    return {"coverage": float(table["inside"].mean()) if len(table) else np.nan,
            "sharpness": float(per["sharpness"].median()) if len(per) else np.nan,
            "skill": skill, "per_target": per}


def recovery_table(summary: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Per parameter: the truth, the 90% interval, inside, narrower than the prior."""
    d = summary.set_index("parameter")
    rows = []
    for name, value in truth.items():
        r = d.loc[name]
        rows.append({"parameter": name, "truth": value, "low": r["low"], "high": r["high"],
                     "inside": bool(r["low"] <= value <= r["high"]),
                     "width_ratio": r["width_ratio"],
                     "narrower": bool(r["width_ratio"] < 1.0)})
    return pd.DataFrame(rows)
