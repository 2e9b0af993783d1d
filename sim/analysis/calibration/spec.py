"""The typed calibration config: scenario, targets, priors, the ABC-SMC settings; every mistake is
one line naming the file and the key.

Example (``experiments/calibration_sahel/config.yaml``)::

    name: sahel
    scenario: sahel
    history: history.csv           # date,target,value[,note]
    holdout: "2021-01"             # out-of-sample check: fit before this month, predict the rest
    targets:
      barkhane_members: {series: members, mission: barkhane}
      allied_troops: {series: ally_troops}                  # coalition-wide
    priors:                         # names and ranges from the parameter registry
      decision.join_threshold: {uniform: [0.02, 0.4]}
      decision.noise_scale: {log_uniform: [0.01, 0.2]}
      decision.max_share: {beta: [2, 2], range: [0.1, 0.4]}
    smc: {population: 400, generations: 6, batch: 400}

Priors: ``uniform: [low, high]``; ``log_uniform: [low, high]`` (low > 0; sampled and perturbed in
log space); ``beta: [a, b]`` on ``range: [low, high]`` (default: the declared range). Each bound is
checked against the parameter's declared range (:func:`sim.config.params.check_value`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from sim.analysis.calibration.targets import Target, make_target
from sim.config import ConfigError
from sim.config.options import suggest
from sim.config.params import Parameter, check_value, format_range, parse_parameter

__all__ = ["Prior", "SMCSettings", "CalibrationSpec", "parse_prior", "load_spec", "spec_from_dict"]

DISTRIBUTIONS = ("uniform", "log_uniform", "beta")


@dataclass(frozen=True)
class Prior:
    """A prior over one declared parameter. ABC-SMC works in *fit space*: the value itself, or its
    logarithm for a log-uniform prior."""

    name: str
    dist: str
    low: float
    high: float
    a: float | None = None
    b: float | None = None

    def scipy(self):
        """The prior in fit space (a frozen scipy distribution)."""
        if self.dist == "uniform":
            return stats.uniform(self.low, self.high - self.low)
        if self.dist == "log_uniform":
            lo, hi = math.log(self.low), math.log(self.high)
            return stats.uniform(lo, hi - lo)
        return stats.beta(self.a, self.b, loc=self.low, scale=self.high - self.low)

    def natural(self):
        """The prior over the value itself."""
        if self.dist == "log_uniform":
            return stats.loguniform(self.low, self.high)
        return self.scipy()

    def to_value(self, fit):
        return np.exp(fit) if self.dist == "log_uniform" else np.asarray(fit, dtype=float)

    def to_fit(self, value):
        return np.log(value) if self.dist == "log_uniform" else np.asarray(value, dtype=float)

    def describe(self) -> str:
        if self.dist == "beta":
            return f"beta({self.a:g}, {self.b:g}) on [{self.low:g}, {self.high:g}]"
        return f"{self.dist.replace('_', '-')} [{self.low:g}, {self.high:g}]"


def _number(value, where, *, positive=False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}={value!r}; allowed: a finite number")
    if positive and value <= 0:
        raise ConfigError(f"{where}={value!r}; allowed: a number > 0")
    return float(value)


def _pair(value, where, what) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(f"{where}={value!r}; allowed: {what}, two numbers")
    return value[0], value[1]


def parse_prior(name: str, spec, *, missions, where: str) -> Prior:
    """Check one prior declaration (one line per mistake)."""
    declared: Parameter = parse_parameter(name, missions=missions)
    example = f"{{uniform: [low, high]}}, {{log_uniform: [low, high]}} or {{beta: [a, b], " \
              f"range: [low, high]}} (declared range of {name}: " \
              f"{format_range(declared.low, declared.high, declared.low_open, declared.high_open)})"
    if declared.integer:
        raise ConfigError(f"{where}: {name} is a whole number; ABC-SMC here fits continuous "
                          "parameters only")
    if isinstance(spec, (list, tuple)):          # shorthand: [low, high] = uniform
        spec = {"uniform": list(spec)}
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}={spec!r} is not a prior; allowed: {example}")
    dists = [k for k in spec if k in DISTRIBUTIONS]
    for key in spec:
        if key not in (*DISTRIBUTIONS, "range"):
            raise ConfigError(f"{where}: unknown key {key!r}"
                              f"{suggest(str(key), (*DISTRIBUTIONS, 'range'))}; allowed: {example}")
    if len(dists) != 1:
        raise ConfigError(f"{where}: give exactly one distribution (got "
                          f"{', '.join(dists) or 'none'}); allowed: {example}")
    dist = dists[0]
    if "range" in spec and dist != "beta":
        raise ConfigError(f"{where}.range: only a beta prior takes a range (the bounds of "
                          f"{dist} are its own pair)")
    if dist == "beta":
        a, b = _pair(spec["beta"], f"{where}.beta", "[a, b]")
        a, b = _number(a, f"{where}.beta a", positive=True), _number(b, f"{where}.beta b",
                                                                       positive=True)
        if "range" in spec:
            lo, hi = _pair(spec["range"], f"{where}.range", "[low, high]")
        else:
            lo, hi = declared.low, declared.high
            if lo is None or hi is None:
                raise ConfigError(f"{where}: {name} has no finite declared range "
                                  f"({format_range(lo, hi)}); give range: [low, high]")
        key = f"{where}.range"
    else:
        a = b = None
        lo, hi = _pair(spec[dist], f"{where}.{dist}", "[low, high]")
        key = f"{where}.{dist}"
    lo, hi = _number(lo, f"{key} low"), _number(hi, f"{key} high")
    if dist == "beta" and "range" not in spec:
        pass                                     # the declared range itself (open ends allowed)
    else:
        check_value(declared, lo, f"{key} low")
        check_value(declared, hi, f"{key} high")
    if not lo < hi:
        raise ConfigError(f"{key}=[{lo:g}, {hi:g}] is empty; allowed: low < high")
    if dist == "log_uniform" and lo <= 0:
        raise ConfigError(f"{key} low={lo:g}; a log-uniform prior needs low > 0")
    return Prior(name=name, dist=dist, low=lo, high=hi, a=a, b=b)


@dataclass(frozen=True)
class SMCSettings:
    """ABC-SMC settings (pyABC)."""

    population: int = 400          # particles per generation
    generations: int = 6           # at most this many populations
    min_epsilon: float = 0.0       # stop when the threshold falls below this
    min_acceptance: float = 0.01   # stop when a generation accepts fewer than this share
    max_simulations: int = 500_000  # stop after this many simulations in all
    epsilon: str = "quantile"      # quantile (adaptive) or list
    alpha: float = 0.5             # the quantile of the last generation's distances
    epsilons: tuple = ()           # for epsilon: list
    p: float = 2.0                 # the p-norm of the distance
    scale: str = "mean_absolute_deviation"   # adaptive scale of each statistic (pyABC)
    batch: int = 500               # simulations per ensemble
    workers: int = 1               # processes that run the batches

    KEYS = ("population", "generations", "min_epsilon", "min_acceptance", "max_simulations",
            "epsilon", "alpha", "epsilons", "p", "scale", "batch", "workers")
    SCALES = ("mean_absolute_deviation", "median_absolute_deviation", "standard_deviation",
              "root_mean_square_deviation", "mad_or_cmad", "std_or_rmsd")


@dataclass
class CalibrationSpec:
    name: str
    overrides: list[str]
    history: Path
    targets: dict[str, Target]
    priors: dict[str, Prior]
    smc: SMCSettings = field(default_factory=SMCSettings)
    seed: int = 1
    holdout: str | None = None
    predictive: int = 200
    band: float = 0.9
    source: str = ""
    raw: dict = field(default_factory=dict)


TOP_KEYS = ("name", "scenario", "overrides", "history", "targets", "priors", "smc", "seed",
            "holdout", "predictive", "band")


def _whole(value, where, lo=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ConfigError(f"{where}={value!r}; allowed: a whole number >= {lo}")
    return value


def _smc(spec, where) -> SMCSettings:
    if spec is None:
        return SMCSettings()
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}={spec!r}; allowed: a mapping of {', '.join(SMCSettings.KEYS)}")
    for key in spec:
        if key not in SMCSettings.KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}{suggest(str(key), SMCSettings.KEYS)}; "
                              f"allowed: {', '.join(SMCSettings.KEYS)}")
    d = SMCSettings()
    out = {}
    for key in ("population", "generations", "max_simulations", "batch", "workers"):
        out[key] = _whole(spec.get(key, getattr(d, key)), f"{where}.{key}")
    if out["population"] < 10:
        raise ConfigError(f"{where}.population={out['population']}; allowed: >= 10 particles")
    for key in ("min_epsilon", "min_acceptance", "alpha", "p"):
        out[key] = _number(spec.get(key, getattr(d, key)), f"{where}.{key}")
    if not 0 <= out["min_acceptance"] < 1:
        raise ConfigError(f"{where}.min_acceptance={out['min_acceptance']}; allowed: [0, 1)")
    if not 0 < out["alpha"] < 1:
        raise ConfigError(f"{where}.alpha={out['alpha']}; allowed: (0, 1)")
    if out["p"] < 1:
        raise ConfigError(f"{where}.p={out['p']}; allowed: >= 1 (a p-norm)")
    if out["min_epsilon"] < 0:
        raise ConfigError(f"{where}.min_epsilon={out['min_epsilon']}; allowed: >= 0")
    eps = spec.get("epsilon", d.epsilon)
    if eps not in ("quantile", "list"):
        raise ConfigError(f"{where}.epsilon={eps!r}; allowed: quantile (adaptive: the alpha "
                          "quantile of the last distances) or list (with epsilons: [...])")
    epsilons = spec.get("epsilons", ())
    if eps == "list":
        if not isinstance(epsilons, list) or not epsilons:
            raise ConfigError(f"{where}.epsilons={epsilons!r}; allowed: a list of decreasing "
                              "thresholds (with epsilon: list)")
        epsilons = [_number(e, f"{where}.epsilons[{i}]", positive=True)
                    for i, e in enumerate(epsilons)]
        if any(b >= a for a, b in zip(epsilons, epsilons[1:])):
            raise ConfigError(f"{where}.epsilons={epsilons}; allowed: strictly decreasing")
    elif "epsilons" in spec:
        raise ConfigError(f"{where}.epsilons: only with epsilon: list")
    scale = spec.get("scale", d.scale)
    if scale not in SMCSettings.SCALES:
        raise ConfigError(f"{where}.scale={scale!r}{suggest(str(scale), SMCSettings.SCALES)}; "
                          f"allowed: {', '.join(SMCSettings.SCALES)}")
    return SMCSettings(**out, epsilon=eps, epsilons=tuple(epsilons), scale=scale)


def spec_from_dict(raw: dict, base: Path, source: str) -> CalibrationSpec:
    """Check a parsed calibration config (``base``: the folder paths are relative to)."""
    from sim.config import compose
    from sim.config.files import check_option_name

    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a calibration config is a mapping of {', '.join(TOP_KEYS)}")
    for key in raw:
        if key not in TOP_KEYS:
            raise ConfigError(f"{source}: unknown key {key!r}{suggest(str(key), TOP_KEYS)}; "
                              f"allowed: {', '.join(TOP_KEYS)}")
    for key in ("name", "scenario", "history", "targets", "priors"):
        if key not in raw:
            raise ConfigError(f"{source}: the key {key!r} is missing (required: name, scenario, "
                              "history, targets, priors)")
    name = raw["name"]
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ConfigError(f"{source}: name={name!r}; allowed: letters, digits and _ (it names "
                          "the results folder and the calibrated parameter set)")
    if not isinstance(raw["scenario"], str):
        raise ConfigError(f"{source}: scenario={raw['scenario']!r}; allowed: a scenario's name")
    check_option_name("scenario", raw["scenario"])
    overrides = raw.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ConfigError(f"{source}: overrides={overrides!r}; allowed: a list of overrides such "
                          "as ['trust.asymmetry=2']")
    for o in overrides:
        key = o.lstrip("+~").partition("=")[0]
        if key.split(".")[0].split("/")[0] in ("hydra", "scenario@_global_") or "@" in key:
            raise ConfigError(f"{source}: overrides: {o!r} is refused; allowed: overrides of the "
                              "model's keys (e.g. trust.asymmetry=2)")
    overrides = [f"scenario={raw['scenario']}", *overrides]
    try:
        cfg = compose(overrides)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    scen = cfg.scenario
    if scen.start is None:
        raise ConfigError(f"{source}: scenario {scen.name} has no start date: a history needs "
                          "calendar months")
    missions = list(scen.missions)
    from sim.core.setup import make_setup
    allies = list(make_setup(cfg, 1, [0]).world.ally_names)
    targets_raw = raw["targets"]
    if not isinstance(targets_raw, dict) or not targets_raw:
        raise ConfigError(f"{source}: targets={targets_raw!r}; allowed: a mapping of target names "
                          "to {series: ..., mission: ..., ally: ...}")
    targets = {}
    for tname, tspec in targets_raw.items():
        if not isinstance(tname, str) or "@" in tname or "," in tname:
            raise ConfigError(f"{source}: target name {tname!r}; allowed: a name without '@' or ','")
        targets[tname] = make_target(tname, tspec, missions=missions, allies=allies,
                                     where=f"{source}: targets.{tname}")
    priors_raw = raw["priors"]
    if not isinstance(priors_raw, dict) or not priors_raw:
        raise ConfigError(f"{source}: priors={priors_raw!r}; allowed: a mapping of parameter names "
                          "to priors, e.g. decision.value: {uniform: [0.5, 2.0]}")
    priors = {}
    for pname, pspec in priors_raw.items():
        try:
            priors[str(pname)] = parse_prior(str(pname), pspec, missions=missions,
                                             where=f"priors.{pname}")
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    hist = raw["history"]
    if not isinstance(hist, str) or not hist:
        raise ConfigError(f"{source}: history={hist!r}; allowed: a CSV file's path, relative to "
                          "the config's folder")
    seed = _whole(raw.get("seed", 1), f"{source}: seed", lo=0)
    predictive = _whole(raw.get("predictive", 200), f"{source}: predictive", lo=10)
    band = _number(raw.get("band", 0.9), f"{source}: band")
    if not 0 < band < 1:
        raise ConfigError(f"{source}: band={band}; allowed: a share in (0, 1), e.g. 0.9")
    holdout = raw.get("holdout")
    if holdout is not None:
        from sim.config import month_index
        if not isinstance(holdout, str):
            raise ConfigError(f"{source}: holdout={holdout!r}; allowed: a month YYYY-MM")
        step = month_index(holdout, f"{source}: holdout") - month_index(scen.start, "start") + 1
        if not 1 < step <= scen.horizon:
            raise ConfigError(f"{source}: holdout={holdout} is outside the scenario "
                              f"({scen.start} + {scen.horizon} months)")
    smc = _smc(raw.get("smc"), f"{source}: smc")
    return CalibrationSpec(name=name, overrides=overrides, history=base / hist, targets=targets,
                           priors=priors, smc=smc, seed=seed, holdout=holdout,
                           predictive=predictive, band=band, source=source, raw=raw)


def load_spec(path) -> CalibrationSpec:
    """Read and check a calibration YAML."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such calibration config")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: YAML syntax error{where}: "
                          f"{getattr(exc, 'problem', None) or exc}") from None
    return spec_from_dict(raw, path.parent, str(path))
