"""Analysis of collected sweeps: sensitivity indices (Sobol, Morris) and paired policy comparisons.

Functions take the table from :func:`sim.collect.collect` (or a sweep folder) and return plain
DataFrames plus what is needed to draw them (:mod:`sim.plots`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outcomes import outcome as get_outcome

__all__ = ["SensitivityResult", "sobol", "morris", "load"]


def load(results) -> pd.DataFrame:
    """A collected sweep: pass the DataFrame through, or collect a sweep folder."""
    if isinstance(results, (str, Path)):
        from sim.collect import collect
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


@dataclass
class SensitivityResult:
    """Sensitivity indices of one outcome."""

    method: str
    outcome: str
    table: pd.DataFrame                 # one row per parameter
    second_order: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    def figure(self, path=None):
        from sim.plots import sensitivity_figure
        return sensitivity_figure(self, path)


def sobol(results, outcome: str, *, policy=None, scenario=None, contrast=None,
          num_resamples: int = 200, conf_level: float = 0.95, seed: int = 0) -> SensitivityResult:
    """First, total (and second) order Sobol indices with bootstrap confidence intervals.

    Args:
        results: a collected Sobol sweep (``sweep.sampler=sobol``) or its folder.
        outcome: a summary column (see :mod:`sim.outcomes`).
        policy: which policy's runs (needed when the sweep has several, unless ``contrast``).
        scenario: which scenario's runs (needed when several).
        contrast: ``(treatment, baseline)``: analyse the paired difference between two policies.
        num_resamples, conf_level, seed: SALib's bootstrap settings.

    Replicates are averaged per design point before the analysis (SALib has no notion of
    replicates); with ``sweep.crn=all`` every point meets the same random numbers, so the indices
    are not inflated by noise that differs between points.
    """
    from SALib.analyze import sobol as sobol_analyze

    df = load(results)
    meta = _meta(df, results)
    problem = meta.get("problem")
    if not problem or problem.get("sampler") != "sobol":
        raise ValueError("sobol() needs a sweep sampled with sweep.sampler=sobol")
    get_outcome(outcome)
    df = _select(df, "scenario", scenario, "scenario")
    if contrast is None:
        df = _select(df, "policy", policy, "policy")
    n_points = int(df["point"].max()) + 1
    y = _per_point(df, outcome, contrast, n_points)
    prob = {k: problem[k] for k in ("num_vars", "names", "bounds")}
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

    df = load(results)
    meta = _meta(df, results)
    problem = meta.get("problem")
    if not problem or problem.get("sampler") != "morris":
        raise ValueError("morris() needs a sweep sampled with sweep.sampler=morris")
    get_outcome(outcome)
    df = _select(df, "scenario", scenario, "scenario")
    if contrast is None:
        df = _select(df, "policy", policy, "policy")
    n_points = int(df["point"].max()) + 1
    y = _per_point(df, outcome, contrast, n_points)
    names = problem["names"]
    x = (df.drop_duplicates("point").sort_values("point")[names].to_numpy(dtype=np.float64))
    prob = {k: problem[k] for k in ("num_vars", "names", "bounds")}
    si = morris_analyze.analyze(prob, x, y, num_resamples=num_resamples, conf_level=conf_level,
                                num_levels=problem["levels"], seed=seed)
    table = pd.DataFrame({"parameter": names, "mu": si["mu"], "mu_star": si["mu_star"],
                          "sigma": si["sigma"], "mu_star_conf": si["mu_star_conf"]})
    label = outcome if contrast is None else f"{outcome}: {contrast[0]} - {contrast[1]}"
    return SensitivityResult("morris", label, table, None,
                             {"points": n_points, "conf_level": conf_level,
                              "policy": policy, "scenario": scenario, "contrast": contrast})
