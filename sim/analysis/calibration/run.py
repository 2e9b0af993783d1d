"""One calibration end to end: ABC-SMC fit, diagnostics, out-of-sample check, files.

:func:`calibrate` fits the whole history, then (with ``holdout``) fits its first part again and
predicts the rest, and writes everything to its own results folder (atomic writes; by default
``outputs/calibration/<name>/``, outside the tracked tree). The pyABC databases there make it
resumable: run the same command again and each fit continues from its last complete generation
(or, when finished, only the diagnostics are recomputed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.calibration import diagnostics as dg
from sim.analysis.calibration.smc import RUN_BLOCK, Simulator, run_smc
from sim.analysis.calibration.spec import CalibrationSpec
from sim.analysis.calibration.targets import History, load_history, statistics
from sim.config import ConfigError, compose
from sim.core import rng
from sim.experiments.io import code_fingerprint

__all__ = ["Fit", "CalibrationResult", "calibrate", "synthetic_history", "params_yaml"]

PREDICTIVE_BLOCK = 1 * RUN_BLOCK      # run numbers of predictive draws (the SMC uses >= 2 blocks)


@dataclass
class Fit:
    """One ABC-SMC fit: the last population (natural values, weights) and its diagnostics."""

    posterior: pd.DataFrame
    weights: np.ndarray
    generations: pd.DataFrame
    summary: pd.DataFrame
    correlations: pd.DataFrame
    simulations: int
    seconds: float


@dataclass
class CalibrationResult:
    spec: CalibrationSpec
    history: History
    fit: Fit
    predictive: pd.DataFrame
    checks: dict
    holdout: dict | None = None
    recovery: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)


def _posterior(abc_history, priors) -> tuple[pd.DataFrame, np.ndarray]:
    df, w = abc_history.get_distribution(m=0, t=abc_history.max_t)
    post = pd.DataFrame({p: pr.to_value(df[p].to_numpy()) for p, pr in priors.items()})
    return post, np.asarray(w, dtype=float)


def _generations(abc_history, sampler) -> pd.DataFrame:
    pops = abc_history.get_all_populations()
    pops = pops[pops.t >= 0][["t", "epsilon", "samples", "particles"]].copy()
    pops["acceptance"] = pops["particles"] / pops["samples"]
    return pops.reset_index(drop=True)


def _fit(spec, history, out: Path, tag: str, simulator_history: History, progress) -> Fit:
    sim = Simulator(spec.overrides, spec.seed, spec.targets, history, batch=spec.smc.batch,
                    workers=spec.smc.workers)
    t0 = time.perf_counter()
    try:
        abc_hist, sampler = run_smc(sim, spec.priors, history, spec.smc, out / f"{tag}.db",
                                    seed=rng.derive_seed(spec.seed, 11 if tag == "fit" else 12),
                                    progress=(lambda *a: progress(tag, *a)) if progress else None)
    finally:
        sim.close()
    seconds = time.perf_counter() - t0
    post, w = _posterior(abc_hist, spec.priors)
    summary = dg.contraction(post, w, spec.priors)
    corr = dg.correlations(post, w, list(spec.priors))
    return Fit(post, w, _generations(abc_hist, sampler), summary, corr,
               simulations=sim.simulations, seconds=seconds if sim.simulations else 0.0)


def _draw(post, w, n, seed) -> pd.DataFrame:
    g = np.random.default_rng(rng.derive_seed(seed, 21))
    idx = g.choice(len(post), size=n, replace=True, p=w / w.sum())
    return post.iloc[idx].reset_index(drop=True)


def _prior_draws(priors, n, seed) -> pd.DataFrame:
    g = np.random.default_rng(rng.derive_seed(seed, 22))
    return pd.DataFrame({p: pr.natural().rvs(n, random_state=g) for p, pr in priors.items()})


def _simulate_table(spec, history, draws: pd.DataFrame, block: int):
    sim = Simulator(spec.overrides, spec.seed, spec.targets, history, batch=spec.smc.batch,
                    workers=spec.smc.workers)
    try:
        out = sim.run({p: draws[p].to_numpy() for p in draws}, block + np.arange(len(draws)))
    finally:
        sim.close()
    return out, sim


def synthetic_history(spec: CalibrationSpec, history: History, truth: dict, run: int = 7):
    """The history's observations as simulated by one run at ``truth`` (dates, targets kept)."""
    from sim.analysis.calibration.targets import Observation
    draws = pd.DataFrame({p: [float(truth[p])] for p in spec.priors})
    stats, _ = _simulate_table(spec, history, draws, 5 * RUN_BLOCK + run)
    obs = [Observation(o.target, o.date, o.step, float(stats[i, 0]))
           for i, o in enumerate(history.observations)]
    return History(obs, f"synthetic (run {run} at {truth})")


def params_yaml(spec: CalibrationSpec, summary: pd.DataFrame, command: str) -> str:
    """The posterior medians as a named config (``configs/params/calibrated_<name>.yaml``)."""
    from sim.config.files import ParamsFile
    allowed = [f.name for f in dataclasses.fields(ParamsFile)]
    groups: dict[str, dict] = {}
    left_out = []
    for _, r in summary.iterrows():
        group, _, key = r["parameter"].partition(".")
        if group not in allowed:
            left_out.append(f"{r['parameter']}={r['median']:.4g}")
            continue
        groups.setdefault(group, {})[key] = float(f"{r['median']:.4g}")
    lines = ["# @package _global_",
             f"# Posterior medians of the ABC-SMC calibration '{spec.name}' "
             f"({', '.join(spec.overrides)}).",
             f"# Made by: {command}",
             "# 90% credible intervals and contraction: the calibration's posterior_summary.csv."]
    if left_out:
        lines.append("# Not set here (a policy's or a mission's value belongs to its own file): "
                     + ", ".join(left_out))
    for group, values in groups.items():
        lines.append(f"{group}:")
        for key, v in values.items():
            lines.append(f"  {key}: {v}")
    return "\n".join(lines) + "\n"


def _split_step(spec) -> int:
    from sim.config import month_index
    start = compose(spec.overrides).scenario.start
    return month_index(spec.holdout, "holdout") - month_index(start, "start") + 1


def _fingerprint(spec: CalibrationSpec, history: History) -> str:
    """What a resumed calibration must share with the stored one: the model, targets, priors,
    the observations (synthetic ones included) and the settings that change the particles (not
    the stopping rules, which a resume may extend, nor batch and workers, which change nothing)."""
    smc = {k: v for k, v in dataclasses.asdict(spec.smc).items()
           if k not in ("generations", "max_simulations", "min_epsilon", "min_acceptance",
                        "batch", "workers")}
    blob = json.dumps({"overrides": spec.overrides, "seed": spec.seed,
                       "targets": {k: dataclasses.asdict(t) for k, t in spec.targets.items()},
                       "priors": {k: dataclasses.asdict(p) for k, p in spec.priors.items()},
                       "smc": smc, "holdout": spec.holdout,
                       "history": [o.__dict__ for o in history.observations]},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


#: the sources that decide a calibration's particles (the model, its configuration, the
#: simulator and its targets); figures, diagnostics and reports may change and a calibration
#: still continue
MODEL_CODE = ("core", "rules", "config", "drivers", "analysis/calibration/smc.py",
              "analysis/calibration/targets.py", "analysis/calibration/spec.py")


def _model_fingerprint(spec: CalibrationSpec) -> str:
    """sha256 of the composed model the calibration runs (every parameter and the scenario's
    contents, not only their names): an edited scenario file changes it."""
    cfg = compose(spec.overrides)
    blob = json.dumps(dataclasses.asdict(cfg), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def calibrate(spec: CalibrationSpec, out: Path, *, progress=None, fresh: bool = False,
              truth: dict | None = None, holdout: bool = True) -> CalibrationResult:
    """Fit, check and write one calibration (module doc).

    Args:
        spec: the checked config (:func:`~sim.analysis.calibration.spec.load_spec`).
        out: the results folder (created; must not hold another config's calibration).
        progress: ``progress(tag, t, accepted, n, evaluated)`` after every batch.
        fresh: discard what ``out`` holds and start again.
        truth: recovery mode: fit a synthetic history simulated at these parameter values and
            check the truth against the 90% credible intervals.
        holdout: run the out-of-sample check when the config has a ``holdout``.
    """
    from sim.experiments.io import FileLock, LockBusy, remove_temporaries, write_json

    cfg = compose(spec.overrides)
    scen = cfg.scenario
    history = load_history(spec.history, spec.targets, start=scen.start, horizon=scen.horizon)
    if truth is not None:
        for p in spec.priors:
            if p not in truth:
                raise ConfigError(f"recovery: no true value for {p}")
        history = synthetic_history(spec, history, truth)
    if holdout and spec.holdout is not None:      # check the split before any work
        train, test = history.split(_split_step(spec))
        if not train.observations or not test.observations:
            raise ConfigError(f"holdout={spec.holdout}: the history has no observations "
                              f"{'before' if not train.observations else 'from'} it; allowed: a "
                              "month between its first and last observation")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / ".lock")
    try:
        lock.acquire()
    except LockBusy as exc:
        raise ConfigError(f"{out}: another calibration is writing here ({exc})") from None
    try:
        remove_temporaries(out)
        fp = _fingerprint(spec, history)
        model, code = _model_fingerprint(spec), code_fingerprint(MODEL_CODE)
        stamp = out / "calibration.json"
        if stamp.exists() and not fresh:
            old = json.loads(stamp.read_text())
            if old.get("fingerprint") != fp:
                raise ConfigError(f"{out} holds a calibration of another config or history; "
                                  "allowed: --fresh (start again there) or another --out")
            # the same calibration file, but a model that has changed since (a scenario file
            # edited, a parameter's default, the code): its particles would be stale
            for key, now, what in (("model", model, "another composed model (a scenario or "
                                    "parameter changed since)"),
                                   ("code", code, "other model code")):
                if old.get(key) != now:
                    raise ConfigError(f"{out} holds a calibration made with {what}: its "
                                      f"particles do not describe this model; allowed: --fresh "
                                      "(start again there) or another --out")
        if fresh:
            for db in out.glob("*.db"):
                db.unlink()
        write_json({"fingerprint": fp, "model": model, "code": code, "config": spec.raw,
                    "source": spec.source}, stamp)
        return _calibrate(spec, history, out, progress, holdout and spec.holdout is not None,
                          truth)
    finally:
        lock.release()


def _calibrate(spec, history, out, progress, do_holdout, truth):
    from sim.experiments.io import write_csv, write_json, write_text

    t_start = time.perf_counter()
    if do_holdout:
        split = _split_step(spec)
        train, test = history.split(split)
    fit = _fit(spec, history, out, "fit", history, progress)
    draws = _draw(fit.posterior, fit.weights, spec.predictive, spec.seed)
    prior_draws = _prior_draws(spec.priors, spec.predictive, spec.seed)
    sims, s1 = _simulate_table(spec, history, draws, PREDICTIVE_BLOCK)
    prior_sims, s2 = _simulate_table(spec, history, prior_draws, PREDICTIVE_BLOCK + spec.predictive)
    table = dg.predictive_table(history, sims, prior_sims, spec.band)
    checks = dg.band_checks(table)
    result = CalibrationResult(spec, history, fit, table, checks)
    extra_sims, extra_secs = s1.simulations + s2.simulations, s1.seconds + s2.seconds
    if do_holdout:
        missing = [n for n in spec.targets if not any(o.target == n for o in train.observations)]
        hfit = _fit(spec, train, out, "holdout", train, progress)
        hdraws = _draw(hfit.posterior, hfit.weights, spec.predictive, spec.seed + 1)
        hsims, s3 = _simulate_table(spec, history, hdraws, PREDICTIVE_BLOCK + 2 * spec.predictive)
        part = ["fit" if o.step < split else "held out" for o in history.observations]
        htable = dg.predictive_table(history, hsims, prior_sims, spec.band, part=part)
        held = htable[htable["part"] == "held out"]
        result.holdout = {"split": spec.holdout, "fit": hfit, "table": htable,
                          "checks": dg.band_checks(held), "n_fit": len(train.observations),
                          "n_held_out": len(test.observations),
                          "targets_only_held_out": missing}
        extra_sims += s3.simulations
        extra_secs += s3.seconds
    if truth is not None:
        result.recovery = dg.recovery_table(fit.summary, truth)
    sims_total = fit.simulations + extra_sims + (result.holdout["fit"].simulations
                                                 if result.holdout else 0)
    sim_seconds = fit.seconds + extra_secs + (result.holdout["fit"].seconds
                                              if result.holdout else 0)
    result.info = {"simulations": sims_total, "seconds": time.perf_counter() - t_start,
                   "simulation_seconds": sim_seconds,
                   "simulations_per_second": sims_total / sim_seconds if sim_seconds else None,
                   "fit_simulations": fit.simulations, "workers": spec.smc.workers}
    # ---- files
    post = fit.posterior.copy()
    post["weight"] = fit.weights
    write_csv(post, out / "posterior.csv", index=False)
    write_csv(fit.summary, out / "posterior_summary.csv", index=False)
    write_csv(fit.correlations, out / "correlations.csv", index=False)
    write_csv(fit.generations, out / "generations.csv", index=False)
    write_csv(table, out / "predictive.csv", index=False)
    write_csv(checks["per_target"], out / "predictive_checks.csv", index=False)
    if result.holdout:
        write_csv(result.holdout["table"], out / "holdout_predictive.csv", index=False)
        write_csv(result.holdout["checks"]["per_target"], out / "holdout_checks.csv",
                  index=False)
        write_csv(result.holdout["fit"].summary, out / "holdout_posterior_summary.csv",
                  index=False)
    if result.recovery is not None:
        write_csv(result.recovery, out / "recovery.csv", index=False)
    import sys
    command = " ".join(["python -m sim.calibrate", *sys.argv[1:]])
    if truth is None:
        write_text(params_yaml(spec, fit.summary, command), out / f"calibrated_{spec.name}.yaml")
    write_json({"name": spec.name, "overrides": spec.overrides, "verdicts": verdicts(result),
                "coverage": checks["coverage"], "sharpness": checks["sharpness"],
                "skill_vs_prior": checks["skill"],
                "holdout": ({k: result.holdout["checks"][k] for k in ("coverage", "sharpness",
                                                                       "skill")}
                            | {"split": spec.holdout} if result.holdout else None),
                **result.info}, out / "diagnostics.json")
    from sim.analysis.calibration.figures import fit_figure, posterior_figure
    fit_figure(result, out / "fit")
    posterior_figure(result, out / "posterior")
    return result


def verdicts(result: CalibrationResult) -> dict[str, bool]:
    """The checks that can fail, each True (passed) or False."""
    th = dg.THRESHOLDS
    c = result.checks
    v = {"coverage": bool(c["coverage"] >= th["coverage_min"]),
         "sharpness": bool(c["sharpness"] <= th["sharpness_max"]),
         "learned_something": bool((result.fit.summary["contraction"] >= th["learned"]).any())}
    if result.holdout:
        h = result.holdout["checks"]
        v["holdout_coverage"] = bool(h["coverage"] >= th["holdout_coverage_min"])
        v["holdout_beats_prior"] = bool(np.isfinite(h["skill"]) and h["skill"] > 0)
    if result.recovery is not None:
        v["recovery_inside"] = bool(result.recovery["inside"].all())
        v["recovery_narrower"] = bool(result.recovery["narrower"].all())
    return v
