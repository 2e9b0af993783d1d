"""Analysis of collected sweeps: sensitivity indices (Sobol, Morris) and paired policy comparisons.

Functions take the table from :func:`sim.collect.collect` (or a sweep folder) and return plain
DataFrames plus what is needed to draw them (:mod:`sim.analysis.plots`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.outcomes import outcome as get_outcome

__all__ = ["SensitivityResult", "sobol", "morris", "load"]


def load(results) -> pd.DataFrame:
    """A collected sweep: pass the DataFrame through, or collect a sweep folder."""
    if isinstance(results, (str, Path)):
        from sim.experiments.collect import collect
        return collect(results)
    if not isinstance(results, pd.DataFrame):
        raise TypeError("results must be a DataFrame from sim.collect.collect or a sweep folder")
    return results


def _meta(df: pd.DataFrame, results) -> dict:
    meta = df.attrs.get("sweep")
    if meta is None and isinstance(results, (str, Path)):
        meta = json.loads((Path(results) / "sweep.json").read_text())
    if meta is None:
        raise ValueError("the results carry no sweep description (collect them with "
                         "sim.collect.collect, or pass the sweep folder)")
    return meta


def _select(df: pd.DataFrame, column: str, value, what: str) -> pd.DataFrame:
    present = sorted(df[column].unique())
    if value is None:
        if len(present) > 1:
            raise ValueError(f"the sweep has several {what}s {present}: choose one with "
                             f"{column}=...")
        return df
    if value not in present:
        raise ValueError(f"{what} {value!r} is not in the sweep (present: {present})")
    return df[df[column] == value]


def _per_point(df: pd.DataFrame, name: str, contrast, n_points: int) -> np.ndarray:
    """Outcome per design point, averaged over replicates (or a paired policy difference)."""
    if contrast is not None:
        treatment, baseline = contrast
        for p in contrast:
            if p not in set(df["policy"]):
                raise ValueError(f"policy {p!r} is not in the sweep "
                                 f"(present: {sorted(df['policy'].unique())})")
        t = df[df["policy"] == treatment].set_index(["point", "replicate"])[name]
        b = df[df["policy"] == baseline].set_index(["point", "replicate"])[name]
        if not t.index.equals(b.index):
            raise ValueError(f"{treatment} and {baseline} were not run on the same points and "
                             "replicates: no paired difference")
        values = (t - b).groupby(level="point").mean()
    else:
        values = df.groupby("point")[name].mean()
    missing = sorted(set(range(n_points)) - set(values.index))
    if missing:
        raise ValueError(f"design points {missing[:10]} have no results: collect a complete sweep")
    return values.sort_index().to_numpy(dtype=np.float64)


def _prepare(results, outcome, sampler, policy, scenario, contrast):
    """The rows, SALib problem and per-point outcome for a sensitivity analysis."""
    df = load(results)
    meta = _meta(df, results)
    problem = meta.get("problem")
    if not problem or problem.get("sampler") != sampler:
        raise ValueError(f"{sampler}() needs a sweep sampled with sweep.sampler={sampler}")
    get_outcome(outcome)
    df = _select(df, "scenario", scenario, "scenario")
    if contrast is None:
        df = _select(df, "policy", policy, "policy")
    n_points = int(df["point"].max()) + 1
    y = _per_point(df, outcome, contrast, n_points)
    prob = {k: problem[k] for k in ("num_vars", "names", "bounds")}
    return df, problem, prob, n_points, y


@dataclass
class SensitivityResult:
    """Sensitivity indices of one outcome."""

    method: str
    outcome: str
    table: pd.DataFrame                 # one row per parameter
    second_order: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    def figure(self, path=None):
        from sim.analysis.plots import sensitivity_figure
        return sensitivity_figure(self, path)


def sobol(results, outcome: str, *, policy=None, scenario=None, contrast=None,
          num_resamples: int = 200, conf_level: float = 0.95, seed: int = 0) -> SensitivityResult:
    """First, total (and second) order Sobol indices with bootstrap confidence intervals.

    Args:
        results: a collected Sobol sweep (``sweep.sampler=sobol``) or its folder.
        outcome: a summary column (see :mod:`sim.analysis.outcomes`).
        policy: which policy's runs (needed when the sweep has several, unless ``contrast``).
        scenario: which scenario's runs (needed when several).
        contrast: ``(treatment, baseline)``: analyse the paired difference between two policies.
        num_resamples, conf_level, seed: SALib's bootstrap settings.

    Replicates are averaged per design point before the analysis (SALib has no notion of
    replicates); with ``sweep.crn=all`` every point meets the same random numbers, so the indices
    are not inflated by noise that differs between points.
    """
    from SALib.analyze import sobol as sobol_analyze

    df, problem, prob, n_points, y = _prepare(results, outcome, "sobol", policy, scenario,
                                              contrast)
    si = sobol_analyze.analyze(prob, y, calc_second_order=problem["second_order"],
                               num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    table = pd.DataFrame({"parameter": problem["names"], "S1": si["S1"], "S1_conf": si["S1_conf"],
                          "ST": si["ST"], "ST_conf": si["ST_conf"]})
    s2 = None
    if problem["second_order"]:
        rows = []
        names = problem["names"]
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                rows.append({"parameter_1": names[i], "parameter_2": names[j],
                             "S2": si["S2"][i, j], "S2_conf": si["S2_conf"][i, j]})
        s2 = pd.DataFrame(rows)
    label = outcome if contrast is None else f"{outcome}: {contrast[0]} - {contrast[1]}"
    return SensitivityResult("sobol", label, table, s2,
                             {"points": n_points, "conf_level": conf_level,
                              "policy": policy, "scenario": scenario, "contrast": contrast})


def morris(results, outcome: str, *, policy=None, scenario=None, contrast=None,
           num_resamples: int = 200, conf_level: float = 0.95, seed: int = 0) -> SensitivityResult:
    """Morris elementary effects (mu, mu*, sigma, with a confidence interval for mu*).

    Arguments as in :func:`sobol`; the sweep must be sampled with ``sweep.sampler=morris``.
    """
    from SALib.analyze import morris as morris_analyze

    df, problem, prob, n_points, y = _prepare(results, outcome, "morris", policy, scenario,
                                              contrast)
    names = problem["names"]
    x = (df.drop_duplicates("point").sort_values("point")[names].to_numpy(dtype=np.float64))
    si = morris_analyze.analyze(prob, x, y, num_resamples=num_resamples, conf_level=conf_level,
                                num_levels=problem["levels"], seed=seed)
    table = pd.DataFrame({"parameter": names, "mu": si["mu"], "mu_star": si["mu_star"],
                          "sigma": si["sigma"], "mu_star_conf": si["mu_star_conf"]})
    label = outcome if contrast is None else f"{outcome}: {contrast[0]} - {contrast[1]}"
    return SensitivityResult("morris", label, table, None,
                             {"points": n_points, "conf_level": conf_level,
                              "policy": policy, "scenario": scenario, "contrast": contrast})


# ------------------------------------------------------------------------------------------------
# Paired policy comparisons
# ------------------------------------------------------------------------------------------------

PAIR_KEYS = ["scenario", "point", "replicate"]


def _pairs(df: pd.DataFrame, baseline: str, treatment: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline's and the treatment's runs, aligned pair by pair on (scenario, point, replicate),
    after checking that the pairs are complete and met the same random numbers."""
    present = sorted(df["policy"].unique())
    for p in (baseline, treatment):
        if p not in present:
            raise ValueError(f"policy {p!r} is not in the results (present: {present})")
    if baseline == treatment:
        raise ValueError("baseline and treatment are the same policy")
    b = df[df["policy"] == baseline].set_index(PAIR_KEYS).sort_index()
    t = df[df["policy"] == treatment].set_index(PAIR_KEYS).sort_index()
    for name, part in ((baseline, b), (treatment, t)):
        if part.index.duplicated().any():
            raise ValueError(f"{name}: several runs share a (scenario, point, replicate): the "
                             "results mix sweeps")
    only_b = b.index.difference(t.index)
    only_t = t.index.difference(b.index)
    if len(only_b) or len(only_t):
        raise ValueError(
            f"missing runs: {len(only_b)} runs of {baseline} have no {treatment} partner and "
            f"{len(only_t)} runs of {treatment} have no {baseline} partner (first: "
            f"{list(only_b[:3]) + list(only_t[:3])}); collect a complete sweep")
    same = (b["seed"].to_numpy() == t["seed"].to_numpy()) & (b["run"].to_numpy() == t["run"].to_numpy())
    if not same.all():
        raise ValueError(f"{int((~same).sum())} of {len(same)} pairs of {baseline} and {treatment} "
                         "were not run on the same seeds (seed, run): a paired comparison needs "
                         "common random numbers; run both policies in one sweep")
    return b, t


def _bootstrap_means(x: np.ndarray, n_boot: int, gen: np.random.Generator) -> np.ndarray:
    idx = gen.integers(0, len(x), size=(n_boot, len(x)))
    return x[idx].mean(axis=1)


def compare(results, baseline: str, treatment: str, outcomes=None, *, scenario=None,
            n_boot: int = 2000, conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Paired comparison of two policies over common random numbers.

    For each outcome: the mean paired difference ``treatment - baseline`` with a percentile
    bootstrap confidence interval over pairs, the effect size (Cohen's d_z: mean difference over the
    standard deviation of the differences), the share of pairs in which the treatment wins (is
    better in the outcome's direction) and ties, and what common random numbers bought: the width of
    the interval had the same number of runs been unpaired (bootstrap of the two means resampled
    independently) and the variance reduction ``1 - var(d) / (var(t) + var(b))``.

    Args:
        results: a collected sweep (or its folder) with both policies run on the same
            (scenario, point, replicate, seed, run).
        baseline, treatment: policy names.
        outcomes: outcome names (default: :data:`sim.analysis.outcomes.HEADLINE`).
        scenario: restrict to one scenario (default: all pairs, all scenarios).
        n_boot, conf_level, seed: bootstrap settings.

    Raises:
        ValueError: policies missing, runs without partner, pairs not on the same seeds.
        KeyError: an unknown outcome.
    """
    from sim.analysis.outcomes import HEADLINE

    df = load(results)
    if scenario is not None:
        df = _select(df, "scenario", scenario, "scenario")
    names = list(outcomes or HEADLINE)
    outs = [get_outcome(n) for n in names]
    b, t = _pairs(df, baseline, treatment)
    gen = np.random.default_rng(seed)
    alpha = (1.0 - conf_level) / 2.0
    rows = []
    n = len(b)
    for o in outs:
        xb = b[o.name].to_numpy(dtype=np.float64)
        xt = t[o.name].to_numpy(dtype=np.float64)
        d = xt - xb
        boot = _bootstrap_means(d, n_boot, gen)
        lo, hi = np.quantile(boot, [alpha, 1.0 - alpha])
        unpaired = _bootstrap_means(xt, n_boot, gen) - _bootstrap_means(xb, n_boot, gen)
        ulo, uhi = np.quantile(unpaired, [alpha, 1.0 - alpha])
        sd = d.std(ddof=1) if n > 1 else np.nan
        var_sum = xt.var(ddof=1) + xb.var(ddof=1) if n > 1 else np.nan
        wins = o.sign * d > 0
        ties = d == 0
        rows.append({
            "outcome": o.name, "label": o.label, "direction": o.direction,
            "baseline": baseline, "treatment": treatment,
            "baseline_mean": xb.mean(), "treatment_mean": xt.mean(),
            "difference": d.mean(), "ci_low": lo, "ci_high": hi,
            "effect_size": d.mean() / sd if sd and sd > 0 else (0.0 if d.mean() == 0 else np.inf),
            "win_share": wins.mean(), "tie_share": ties.mean(), "n_pairs": n,
            "ci_width_paired": hi - lo, "ci_width_unpaired": uhi - ulo,
            "variance_reduction": 1.0 - d.var(ddof=1) / var_sum if var_sum and var_sum > 0 else np.nan,
        })
    return pd.DataFrame(rows)


def compare_all(results, baseline: str, outcomes=None, **kw) -> pd.DataFrame:
    """:func:`compare` of every other policy in the results against ``baseline``."""
    df = load(results)
    others = [p for p in sorted(df["policy"].unique()) if p != baseline]
    return pd.concat([compare(df, baseline, p, outcomes, **kw) for p in others], ignore_index=True)


def paired_differences(results, baseline: str, treatment: str, outcome: str, *, scenario=None):
    """The per-pair differences ``treatment - baseline`` of one outcome, with the pair keys and the
    varied parameters (for plots and scenario discovery)."""
    df = load(results)
    if scenario is not None:
        df = _select(df, "scenario", scenario, "scenario")
    get_outcome(outcome)
    b, t = _pairs(df, baseline, treatment)
    out = b.drop(columns=[c for c in b.columns if c not in _parameter_columns(df)]).copy()
    out["difference"] = t[outcome].to_numpy() - b[outcome].to_numpy()
    return out.reset_index()


def _parameter_columns(df: pd.DataFrame) -> list[str]:
    meta = df.attrs.get("sweep") or {}
    return [c for c in meta.get("parameters", []) if c in df.columns]
