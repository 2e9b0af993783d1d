"""Experimental designs: levers, uncertainties, scenarios, replicates and a sampler -> a table of runs.

Vocabulary (from the EMA Workbench): **levers** are what the lead controls (its policy, and the
policy's parameters); **uncertainties** are what it does not (allies' behaviour parameters); an
**outcome** is a measured result with a direction. A design point is one draw of the levers'
parameters and the uncertainties; every point is run under every policy and every scenario, for every
replicate. Runs are identified by ``(scenario, point, policy, replicate)``, never by a job number.

Samplers come from ``scipy.stats.qmc`` (Latin hypercube) and SALib (Sobol, Morris); the full
factorial grid is a Cartesian product.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import ConfigError, RunConfig, SweepConfig, policy_names, scenario_names
from sim.core import rng
from sim.config.checks import check_name
from sim.config.params import check_value, parse_parameter
from sim.config.schema import ParameterRange, parameter_range

__all__ = ["ParameterRange", "SweepConfig", "Design", "make_design"]
SAMPLERS = ("grid", "lhs", "sobol", "morris")


@dataclass
class Design:
    """The sampled design: ``points`` (one row per design point) and ``runs`` (one row per run)."""

    points: pd.DataFrame
    runs: pd.DataFrame
    parameters: list[str]
    problem: dict | None

    def digest(self) -> str:
        """A hash of the design's content (points and runs), to recognise the same sweep."""
        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.points, index=True).to_numpy().tobytes())
        h.update(pd.util.hash_pandas_object(self.runs, index=True).to_numpy().tobytes())
        h.update(json.dumps(self.problem, sort_keys=True, default=str).encode())
        return h.hexdigest()[:16]


def flatten_ranges(specs, prefix="") -> dict:
    """``{"trust": {"asymmetry": {...}}}`` (how a dotted key given on the command line arrives) and
    ``{"trust.asymmetry": {...}}`` (as written in YAML) both become ``{"trust.asymmetry": {...}}``."""
    fields = {f.name for f in dataclasses.fields(ParameterRange)}
    out = {}
    for key, value in dict(specs).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not set(value) & fields:
            out.update(flatten_ranges(value, f"{name}."))
        else:
            out[name] = value
    return out


def _check_parameter(name: str, spec: ParameterRange, sampler: str, base: RunConfig, kind: str):
    try:
        p = parse_parameter(name, missions=list(base.scenario.missions))
    except ConfigError as exc:
        raise ConfigError(f"sweep.{kind}: {exc}") from None
    if kind == "levers" and not p.is_lever:
        raise ConfigError(f"sweep.levers.{name}: levers are what the lead controls (policy.*); "
                          "put ally behaviour parameters and mission data under "
                          "sweep.uncertainties")
    if kind == "uncertainties" and p.is_lever:
        raise ConfigError(f"sweep.uncertainties.{name}: policy parameters are levers; put them "
                          "under sweep.levers")
    if spec.values:
        if sampler != "grid":
            raise ConfigError(f"sweep.{kind}.{name}: explicit values need sampler=grid "
                              f"(sampler={sampler} samples ranges: give low and high)")
        for v in spec.values:
            check_value(p, v, f"sweep.{kind}.{name} value")
        return
    if spec.low is None or spec.high is None:
        raise ConfigError(f"sweep.{kind}.{name}: give low and high (or values for a grid)")
    check_value(p, spec.low, f"sweep.{kind}.{name}.low")
    check_value(p, spec.high, f"sweep.{kind}.{name}.high")
    if not spec.low < spec.high:
        raise ConfigError(f"sweep.{kind}.{name}: empty range [{spec.low}, {spec.high}] "
                          "(low must be below high)")
    if spec.dist not in ("uniform", "normal", "triangular"):
        raise ConfigError(f"sweep.{kind}.{name}.dist={spec.dist!r}: allowed uniform, normal, "
                          "triangular")
    if spec.dist == "triangular" and (spec.mode is None or not spec.low <= spec.mode <= spec.high):
        raise ConfigError(f"sweep.{kind}.{name}: a triangular distribution needs mode in "
                          f"[{spec.low}, {spec.high}]")
    if p.integer:
        raise ConfigError(f"sweep.{kind}.{name} is an integer: list its values with sampler=grid")


def _to_distribution(u: np.ndarray, spec: ParameterRange) -> np.ndarray:
    """Map uniform [0, 1) numbers to the parameter's distribution."""
    lo, hi = spec.low, spec.high
    if spec.dist == "uniform":
        return lo + (hi - lo) * u
    from scipy import stats  # heavy: imported only when a distribution needs it
    if spec.dist == "normal":
        mu, sd = (lo + hi) / 2.0, (hi - lo) / 4.0
        a, b = (lo - mu) / sd, (hi - mu) / sd
        return stats.truncnorm.ppf(u, a, b, loc=mu, scale=sd)
    c = (spec.mode - lo) / (hi - lo)
    return stats.triang.ppf(u, c, loc=lo, scale=hi - lo)


def validate_sweep(sw: SweepConfig, base: RunConfig) -> None:
    """Check a sweep before any work: names, ranges, sampler and counts."""
    check_name(sw.name, "sweep.name")
    if sw.sampler not in SAMPLERS:
        raise ConfigError(f"sweep.sampler={sw.sampler!r}: allowed {', '.join(SAMPLERS)}")
    for name in sw.scenarios:
        if name not in scenario_names():
            raise ConfigError(f"sweep.scenarios: unknown scenario {name!r} "
                              f"(known: {', '.join(scenario_names())})")
    for name in sw.policies:
        if name not in policy_names():
            raise ConfigError(f"sweep.policies: unknown policy {name!r} "
                              f"(known: {', '.join(policy_names())})")
    for kind in ("levers", "uncertainties"):
        for name, spec in flatten_ranges(getattr(sw, kind)).items():
            _check_parameter(name, parameter_range(f"sweep.{kind}.{name}", spec), sw.sampler,
                             base, kind)
    overlap = set(flatten_ranges(sw.levers)) & set(flatten_ranges(sw.uncertainties))
    if overlap:
        raise ConfigError(f"sweep: {sorted(overlap)} listed both as levers and uncertainties")
    n_par = len(flatten_ranges(sw.levers)) + len(flatten_ranges(sw.uncertainties))
    if sw.replicates < 1:
        raise ConfigError(f"sweep.replicates={sw.replicates}: need at least 1")
    if sw.chunk_size < 1:
        raise ConfigError(f"sweep.chunk_size={sw.chunk_size}: need at least 1")
    if sw.crn not in ("all", "policies"):
        raise ConfigError(f"sweep.crn={sw.crn!r}: allowed 'all' (replicate r shares its random "
                          "numbers across points and policies) or 'policies' (only across policies)")
    if sw.progress not in ("auto", "bar", "log", "none"):
        raise ConfigError(f"sweep.progress={sw.progress!r}: allowed auto, bar, log, none")
    if sw.seed < 0 or (sw.run_seed is not None and sw.run_seed < 0):
        raise ConfigError(f"sweep.seed={sw.seed}, sweep.run_seed={sw.run_seed}: must be >= 0")
    if sw.sampler in ("sobol", "morris") and n_par < 1:
        raise ConfigError(f"sweep.sampler={sw.sampler} needs at least one lever or uncertainty "
                          "with a range")
    if sw.sampler == "sobol" and (sw.samples < 2 or sw.samples & (sw.samples - 1)):
        lower = 1 << max(1, sw.samples.bit_length() - 1)
        raise ConfigError(f"sweep.samples={sw.samples}: the Sobol sampler needs a power of two "
                          f"(e.g. {lower} or {lower * 2}); it gives samples x "
                          f"({'2 x ' if sw.second_order else ''}parameters + 2) points")
    if sw.sampler in ("lhs", "morris") and sw.samples < 1:
        raise ConfigError(f"sweep.samples={sw.samples}: need at least 1")
    if sw.sampler == "morris" and sw.levels < 2:
        raise ConfigError(f"sweep.levels={sw.levels}: Morris needs at least 2 levels")
    if sw.sampler == "grid" and sw.levels < 1:
        raise ConfigError(f"sweep.levels={sw.levels}: need at least 1")
    check_size(sw, base)


# Bytes per run while a design is laid out (run table and its intermediate copies) and while its
# summaries are collected (one row per run, in Arrow and in pandas); measured to within a factor 2.
BYTES_PER_RUN_COLUMN = 8 * 4
SUMMARY_COLUMNS = 40


def design_size(sw: SweepConfig, base: RunConfig) -> tuple[int, int]:
    """``(points, runs)`` the sweep will have, computed without sampling anything."""
    specs = {**flatten_ranges(sw.levers), **flatten_ranges(sw.uncertainties)}
    d = len(specs)
    if sw.sampler == "grid":
        points = 1
        for name, spec in specs.items():
            values = parameter_range(name, spec).values
            points *= len(values) if values else sw.levels
    elif sw.sampler == "lhs":
        points = sw.samples
    elif sw.sampler == "sobol":
        points = sw.samples * ((2 * d + 2) if sw.second_order else (d + 2))
    else:
        points = sw.samples * (d + 1)
    runs = (points * max(1, len(sw.scenarios)) * max(1, len(sw.policies))
            * max(1, sw.replicates))
    return points, runs


def check_size(sw: SweepConfig, base: RunConfig, available: int | None = None) -> None:
    """Refuse, before any work, a design that cannot fit in memory, with the estimate."""
    from sim.experiments.io import available_memory, format_bytes

    points, runs = design_size(sw, base)
    d = len(flatten_ranges(sw.levers)) + len(flatten_ranges(sw.uncertainties))
    per_run = max(BYTES_PER_RUN_COLUMN * (7 + d), 8 * 2 * (SUMMARY_COLUMNS + d))
    per_point = 8 * 3 * max(d, 1)
    need = runs * per_run + points * per_point
    available = available_memory() if available is None else available
    if need <= available:
        return
    per_sample = (per_run * runs + per_point * points) / max(points, 1)
    runs_per_point = runs // max(points, 1)
    key = "sweep.levels" if sw.sampler == "grid" else "sweep.samples"
    value = sw.levels if sw.sampler == "grid" else sw.samples
    fit_runs = int(available // (per_run + per_point / max(runs_per_point, 1)))
    hint = ""
    if sw.sampler != "grid":
        scale = points // max(sw.samples, 1)
        fit = int(available // (per_sample * max(scale, 1)))
        hint = f" (about {key}<={fit:,})"
    raise ConfigError(
        f"{key}={value}: the design has {runs:,} runs ({points:,} points x "
        f"{max(1, len(sw.policies))} policies x {max(1, len(sw.scenarios))} scenarios x "
        f"{max(1, sw.replicates)} replicates), which need about {format_bytes(need)} of memory to "
        f"lay out and collect; {format_bytes(available)} is available. Allowed here: at most about "
        f"{fit_runs:,} runs{hint}; or split the sweep")


def make_design(sw: SweepConfig, base: RunConfig) -> Design:
    """Sample the design and lay out its runs (deterministic for a given sweep config)."""
    validate_sweep(sw, base)
    specs = {name: parameter_range(name, spec)
             for name, spec in {**flatten_ranges(sw.levers),
                                **flatten_ranges(sw.uncertainties)}.items()}
    names = list(specs)
    problem = None
    if sw.sampler == "grid":
        axes = []
        for name, spec in specs.items():
            if spec.values:
                axes.append(list(map(float, spec.values)))
            else:
                u = (np.arange(sw.levels) + 0.5) / sw.levels if sw.levels > 1 else np.array([0.5])
                if spec.dist == "uniform" and sw.levels > 1:
                    u = np.linspace(0.0, 1.0, sw.levels)
                axes.append(list(_to_distribution(u, spec)))
        values = (np.array(list(itertools.product(*axes)), dtype=np.float64)
                  if names else np.zeros((1, 0)))
    elif sw.sampler == "lhs":
        from scipy.stats import qmc
        sampler = qmc.LatinHypercube(d=len(names) or 1, seed=rng.derive_seed(sw.seed, 1))
        u = sampler.random(sw.samples)[:, :len(names)]
        values = np.column_stack([_to_distribution(u[:, j], specs[n]) for j, n in enumerate(names)]) \
            if names else np.zeros((sw.samples, 0))
    else:
        problem = _salib_problem(specs)
        if sw.sampler == "sobol":
            from SALib.sample import sobol as sobol_sample
            values = sobol_sample.sample(problem, sw.samples, calc_second_order=sw.second_order,
                                         seed=rng.derive_seed(sw.seed, 2) % (2**32))
        else:
            from SALib.sample import morris as morris_sample
            values = morris_sample.sample(problem, sw.samples, num_levels=sw.levels,
                                          seed=rng.derive_seed(sw.seed, 3) % (2**32))
        problem = {**problem, "sampler": sw.sampler, "second_order": sw.second_order,
                   "levels": sw.levels, "samples": sw.samples}
    n_points = values.shape[0]
    points = pd.DataFrame(values, columns=names)
    points.insert(0, "point", np.arange(n_points, dtype=np.int64))

    scenarios = list(sw.scenarios) or [base.scenario.name]
    policies = list(sw.policies) or [base.policy.name]
    reps = np.arange(sw.replicates, dtype=np.int64)
    grid = pd.MultiIndex.from_product(
        [scenarios, np.arange(n_points), reps, policies],
        names=["scenario", "point", "replicate", "policy"]).to_frame(index=False)
    grid["point"] = grid["point"].astype(np.int64)
    grid["replicate"] = grid["replicate"].astype(np.int64)
    runs = grid.merge(points, on="point", how="left")
    runs.insert(0, "run_id", np.arange(len(runs), dtype=np.int64))
    run_seed = sw.seed if sw.run_seed is None else sw.run_seed
    runs["seed"] = np.int64(run_seed)
    if sw.crn == "all":
        runs["run"] = runs["replicate"]
    else:
        runs["run"] = [rng.derive_seed(run_seed, int(p), int(r)) for p, r in
                       zip(runs["point"], runs["replicate"])]
    return Design(points=points, runs=runs, parameters=names, problem=problem)


def _salib_problem(specs: dict[str, ParameterRange]) -> dict:
    names, bounds = [], []
    for name, spec in specs.items():
        if spec.dist != "uniform":
            raise ConfigError(f"sweep: {name} has dist={spec.dist}; the Sobol and Morris samplers "
                              "take uniform ranges (use sampler=lhs for other distributions)")
        names.append(name)
        bounds.append([float(spec.low), float(spec.high)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def chunk_plan(runs: pd.DataFrame, chunk_size: int) -> list[tuple[int, int]]:
    """Split the run table into chunks of at most ``chunk_size`` runs, one scenario per chunk.

    Returns ``(first_row, stop_row)`` pairs; chunk ``k`` is ``runs.iloc[first:stop]``.
    """
    chunks = []
    scen = runs["scenario"].to_numpy()
    starts = [0] + [i for i in range(1, len(scen)) if scen[i] != scen[i - 1]] + [len(scen)]
    for a, b in zip(starts[:-1], starts[1:]):
        for s in range(a, b, chunk_size):
            chunks.append((s, min(s + chunk_size, b)))
    return chunks
