"""Calibration to an observed coalition's history by approximate Bayesian computation (rejection).

    python -m sim.calibrate experiments/calibration_sahel/config.yaml

Given an observed history (a CSV with ``date``, ``members``, ``contributors`` and optionally
``allied_troops``), draw the chosen uncertain parameters from their (uniform) priors with a Latin
hypercube, run every draw in the vectorised ensemble, measure each run's distance to the history, and
keep the closest ones (ABC rejection, Pritchard et al. 1999; Beaumont 2010): their parameters are the
posterior sample. Returns the posterior, the distances, and a figure of the observed history against
the simulated median and band of the accepted runs.

The distance is the root mean square, over the observed dates and series, of the difference between
simulated and observed values, each series divided by its observed maximum (so members and troops
weigh alike).
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.core import rng
from sim.config.params import check_value, parse_parameter
from sim.config import ConfigError, compose, month_index
from sim.drivers.ensemble import Ensemble
from sim.experiments.io import (available_memory, check_writable_folder, format_bytes, inside,
                                write_csv)

__all__ = ["History", "load_history", "CalibrationResult", "calibrate", "main"]

SERIES = ("members", "contributors", "allied_troops")


@dataclass
class History:
    """An observed history: one row per date, with the step each date falls on."""

    table: pd.DataFrame        # date, step, members, contributors[, allied_troops]
    source: str

    @property
    def series(self) -> list[str]:
        return [s for s in SERIES if s in self.table.columns]


def load_history(path, *, start: str, horizon: int) -> History:
    """Read and check a history CSV; errors name the file, the line and the field.

    Args:
        path: CSV with a header: ``date`` (YYYY-MM), ``members``, ``contributors``, optionally
            ``allied_troops``; other columns (e.g. ``exits``, ``source``) are kept but not fitted.
        start: the scenario's start month (YYYY-MM); step 1 is that month.
        horizon: the scenario's horizon in months.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such history file")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        for need in ("date", "members", "contributors"):
            if need not in header:
                raise ConfigError(f"{path}: the header lacks '{need}' (has: {', '.join(header)})")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                step = month_index(row["date"], "date") - month_index(start, "start") + 1
            except ConfigError:
                raise ConfigError(f"{path}, line {line}, field 'date': {row['date']!r} is not a "
                                  "calendar month (write YYYY-MM)") from None
            if not 1 <= step <= horizon:
                raise ConfigError(f"{path}, line {line}, field 'date': {row['date']} is outside "
                                  f"the scenario ({start} + {horizon} months)")
            out = {"date": row["date"], "step": step}
            for field in SERIES:
                if field not in header:
                    continue
                text = (row.get(field) or "").strip()
                if text == "":
                    out[field] = np.nan
                    continue
                try:
                    value = float(text)
                except ValueError:
                    raise ConfigError(f"{path}, line {line}, field '{field}': {text!r} is not a "
                                      "number") from None
                if value < 0 or not np.isfinite(value):
                    raise ConfigError(f"{path}, line {line}, field '{field}': {value} is not a "
                                      "count (must be >= 0)")
                out[field] = value
            for key, value in row.items():
                if key not in out and key not in SERIES:
                    out[key] = value
            rows.append(out)
    if not rows:
        raise ConfigError(f"{path}: no rows")
    table = pd.DataFrame(rows).sort_values("step").reset_index(drop=True)
    if table["step"].duplicated().any():
        dup = table.loc[table["step"].duplicated(), "date"].tolist()
        raise ConfigError(f"{path}: dates {dup} appear twice")
    return History(table, str(path))


@dataclass
class CalibrationResult:
    posterior: pd.DataFrame          # accepted parameter sets with their distance
    samples: pd.DataFrame            # every draw with its distance
    simulated: pd.DataFrame          # per date and series: median, lo, hi of accepted runs
    history: History
    info: dict

    def figure(self, path=None):
        from sim.analysis.plots import calibration_figure
        return calibration_figure(self, path)


def _simulated_series(res, mission: int, steps: np.ndarray, series: list[str]) -> dict:
    out = {}
    m = res.missions
    if "members" in series:
        out["members"] = m["members"][steps, :, mission]
    if "contributors" in series:
        out["contributors"] = m["contributors"][steps, :, mission]
    if "allied_troops" in series:
        out["allied_troops"] = m["ally_troops"][steps, :, mission]
    return out                                              # each (n_dates, R)


def calibrate(overrides, history_path, parameters: dict[str, tuple[float, float]], *,
              mission: str | None = None, samples: int = 2000, accept: float = 0.05,
              seed: int = 1, batch: int = 500, band=(0.05, 0.95),
              progress=None) -> CalibrationResult:
    """ABC rejection calibration of ``parameters`` to an observed history.

    Args:
        overrides: Hydra overrides for the base configuration (e.g. ``["scenario=sahel"]``).
        history_path: the history CSV (see :func:`load_history`).
        parameters: ``{"decision.lead_exit_weight": (0.2, 0.9), ...}``: uniform priors; any
            parameter an ensemble can vary per run (rule and policy parameters,
            ``missions.<mission>.<field>``).
        mission: the mission whose members, contributors and allied troops the history records
            (default: the scenario's first).
        samples: prior draws (one run each, each on its own random numbers).
        accept: share of the draws kept (the closest).
        seed: root seed of the runs and of the Latin hypercube.
        batch: runs per ensemble (memory).
        band: quantiles of the simulated band in the figure.
    """
    cfg = compose(list(overrides))
    scen = cfg.scenario
    if scen.start is None:
        raise ConfigError(f"scenario {scen.name} has no start date: a history needs calendar months")
    hist = load_history(history_path, start=scen.start, horizon=scen.horizon)
    names = list(scen.missions)
    mission = mission or names[0]
    if mission not in names:
        raise ConfigError(f"calibrate: unknown mission {mission!r} (known: {', '.join(names)})")
    j = names.index(mission)
    if not parameters:
        raise ConfigError("calibrate: name at least one parameter to fit")
    for name, prior in parameters.items():
        try:
            lo, hi = prior
        except (TypeError, ValueError):
            raise ConfigError(f"calibrate: the prior of {name} is {prior!r}; allowed: (low, high), "
                              "two numbers") from None
        declared = parse_parameter(name, missions=names)
        check_value(declared, lo, f"calibrate: prior of {name} low")
        check_value(declared, hi, f"calibrate: prior of {name} high")
        if not lo < hi:
            raise ConfigError(f"calibrate: prior of {name} is empty ([{lo}, {hi}])")
    if not 0 < accept <= 1:
        raise ConfigError(f"calibrate: accept={accept} must be in (0, 1]")
    for key, value in (("samples", samples), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"calibrate: {key}={value!r}; allowed: a whole number >= 1")
    need = samples * (len(hist.table) * len(hist.series) * 8 * 2 + (len(parameters) + 2) * 8 * 4)
    if need > available_memory():
        raise ConfigError(f"calibrate: samples={samples} needs about {format_bytes(need)} of memory "
                          f"for the simulated histories; {format_bytes(available_memory())} is "
                          f"available; allowed here: samples <= "
                          f"{int(samples * available_memory() / need):,}")
    pnames = list(parameters)
    lh = qmc.LatinHypercube(d=len(pnames), seed=rng.derive_seed(seed, 7))
    u = lh.random(samples)
    values = {p: parameters[p][0] + (parameters[p][1] - parameters[p][0]) * u[:, k]
              for k, p in enumerate(pnames)}
    steps = hist.table["step"].to_numpy()
    series = hist.series
    obs = {s: hist.table[s].to_numpy(dtype=float) for s in series}
    scale = {s: max(np.nanmax(obs[s]), 1.0) for s in series}
    sims = {s: np.empty((len(steps), samples)) for s in series}
    for a in range(0, samples, batch):
        b = min(a + batch, samples)
        ens = Ensemble(cfg, seeds=seed, runs=np.arange(a, b),
                       varied={p: v[a:b] for p, v in values.items()}, light=True)
        res = ens.run()
        for s, arr in _simulated_series(res, j, steps, series).items():
            sims[s][:, a:b] = arr
        if progress is not None:
            progress(b, samples)
    sq, n = np.zeros(samples), np.zeros(samples)
    for s in series:
        d = (sims[s] - obs[s][:, None]) / scale[s]
        ok = np.isfinite(obs[s])
        sq += np.nansum(np.where(ok[:, None], d * d, 0.0), axis=0)
        n += ok.sum()
    distance = np.sqrt(sq / np.maximum(n, 1))
    table = pd.DataFrame(values)
    table.insert(0, "run", np.arange(samples))
    table["distance"] = distance
    k = max(1, int(round(accept * samples)))
    keep = np.argsort(distance, kind="stable")[:k]
    post = table.iloc[keep].reset_index(drop=True)
    rows = []
    for s in series:
        acc = sims[s][:, keep]
        for i, step in enumerate(steps):
            rows.append({"date": hist.table["date"].iloc[i], "step": int(step), "series": s,
                         "observed": obs[s][i], "median": float(np.median(acc[i])),
                         "low": float(np.quantile(acc[i], band[0])),
                         "high": float(np.quantile(acc[i], band[1]))})
    simulated = pd.DataFrame(rows)
    inside = ((simulated["observed"] >= simulated["low"]) & (simulated["observed"]
                                                             <= simulated["high"]))
    info = {"scenario": scen.name, "mission": mission, "samples": samples, "accepted": k,
            "accept": accept, "seed": seed, "band": band,
            "share_inside_band": float(inside[simulated["observed"].notna()].mean()),
            "prior": {p: list(v) for p, v in parameters.items()},
            "distance_prior_median": float(np.median(distance)),
            "distance_accepted_max": float(distance[keep].max())}
    return CalibrationResult(post, table, simulated, hist, info)


CONFIG_KEYS = ("scenario", "history", "mission", "parameters", "samples", "accept", "seed",
               "overrides", "out")


def load_config(path) -> dict:
    """Read and check a calibration YAML; every problem is one line naming the file and the key.

    Returns ``{"overrides", "history", "parameters", "mission", "samples", "accept", "seed",
    "out"}`` with paths resolved against the file's folder (``out`` must stay inside it).
    """
    import yaml

    from sim.config.files import check_option_name
    from sim.config.options import suggest

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such calibration config")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: YAML syntax error{where}: "
                          f"{getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: a calibration config is a mapping of {', '.join(CONFIG_KEYS)}")
    for key in spec:
        if key not in CONFIG_KEYS:
            raise ConfigError(f"{path}: unknown key {key!r}{suggest(str(key), CONFIG_KEYS)}; "
                              f"allowed: {', '.join(CONFIG_KEYS)}")
    for key in ("scenario", "history", "parameters"):
        if key not in spec:
            raise ConfigError(f"{path}: the key {key!r} is missing (required: scenario, history, "
                              "parameters)")

    def number(key, value, *, whole=False):
        ok = not isinstance(value, bool) and isinstance(value, (int, float)) and np.isfinite(value)
        if not ok or (whole and value != int(value)):
            raise ConfigError(f"{path}: {key}={value!r}; allowed: a finite "
                              f"{'whole number' if whole else 'number'}")
        return value

    if not isinstance(spec["scenario"], str):
        raise ConfigError(f"{path}: scenario={spec['scenario']!r}; allowed: a scenario's name")
    check_option_name("scenario", spec["scenario"])
    if not isinstance(spec["history"], str) or not spec["history"]:
        raise ConfigError(f"{path}: history={spec['history']!r}; allowed: a CSV file's path, "
                          "relative to the config's folder")
    priors = spec["parameters"]
    if not isinstance(priors, dict) or not priors:
        raise ConfigError(f"{path}: parameters={priors!r}; allowed: a mapping of parameter names "
                          "to uniform priors [low, high], e.g. decision.value: [0.5, 2.0]")
    parameters = {}
    for name, prior in priors.items():
        if not isinstance(prior, (list, tuple)) or len(prior) != 2:
            raise ConfigError(f"{path}: parameters.{name}={prior!r}: a prior is [low, high] (two "
                              f"numbers), e.g. {name}: [0.1, 0.9]")
        parameters[str(name)] = (number(f"parameters.{name} low", prior[0]),
                                 number(f"parameters.{name} high", prior[1]))
    samples = number("samples", spec.get("samples", 2000), whole=True)
    if samples < 1:
        raise ConfigError(f"{path}: samples={samples!r}; allowed: a whole number >= 1 (prior "
                          "draws, one run each)")
    accept = number("accept", spec.get("accept", 0.05))
    if not 0 < accept <= 1:
        raise ConfigError(f"{path}: accept={accept!r}; allowed: a share in (0, 1]")
    seed = number("seed", spec.get("seed", 1), whole=True)
    if seed < 0:
        raise ConfigError(f"{path}: seed={seed!r}; allowed: a whole number >= 0")
    mission = spec.get("mission")
    if mission is not None and not isinstance(mission, str):
        raise ConfigError(f"{path}: mission={mission!r}; allowed: a mission's name")
    overrides = spec.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ConfigError(f"{path}: overrides={overrides!r}; allowed: a list of overrides such as "
                          "['trust.asymmetry=2']")
    for o in overrides:
        key = o.lstrip("+~").partition("=")[0]
        if key.split(".")[0].split("/")[0] in ("hydra", "scenario@_global_") or "@" in key:
            raise ConfigError(f"{path}: overrides: {o!r} is refused; allowed: overrides of the "
                              "model's keys (e.g. trust.asymmetry=2)")
    base = path.parent
    out = spec.get("out")
    if out is not None:
        if not isinstance(out, str) or not out:
            raise ConfigError(f"{path}: out={out!r}; allowed: a folder name inside {base}")
        out = inside(base, base / out, f"{path}: out")
    return {"overrides": [f"scenario={spec['scenario']}", *overrides],
            "history": base / spec["history"], "parameters": parameters, "mission": mission,
            "samples": int(samples), "accept": float(accept), "seed": int(seed),
            "out": out or base / "results"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.calibrate", description=__doc__.splitlines()[0])
    ap.add_argument("config", help="a calibration YAML: scenario, history, mission, parameters "
                    "(name: [low, high]), samples, accept, seed, overrides, out (a folder inside "
                    "the config's folder; default results/)")
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--out", default=None, help="write the results here instead")
    args = ap.parse_args(argv)
    try:
        spec = load_config(args.config)
        if args.samples is not None and args.samples < 1:
            raise ConfigError(f"--samples={args.samples}; allowed: a whole number >= 1")
        out = Path(args.out) if args.out else spec["out"]
        check_writable_folder(out, "--out" if args.out else "out")
        res = calibrate(spec["overrides"], spec["history"], spec["parameters"],
                        mission=spec["mission"], samples=args.samples or spec["samples"],
                        accept=spec["accept"], seed=spec["seed"])
        out.mkdir(parents=True, exist_ok=True)
        write_csv(res.posterior, out / "posterior.csv", index=False)
        write_csv(res.simulated, out / "simulated.csv", index=False)
        res.figure(out / "observed_vs_simulated")
        summary = res.posterior.drop(columns="run").describe(percentiles=[0.05, 0.5, 0.95]).T
        write_csv(summary, out / "posterior_summary.csv")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {exc.filename or 'the results'}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    print(f"{res.info['accepted']} of {res.info['samples']} draws accepted (distance <= "
          f"{res.info['distance_accepted_max']:.3f}; prior median {res.info['distance_prior_median']:.3f}); "
          f"{res.info['share_inside_band']:.0%} of the observations inside the simulated "
          f"{res.info['band'][0]:.0%}-{res.info['band'][1]:.0%} band")
    print(summary[["mean", "5%", "50%", "95%"]].round(3).to_string())
    print(f"results: {out}")
    return 0
