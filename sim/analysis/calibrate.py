"""Calibration to an observed coalition's history by ABC-SMC (pyABC on the vectorised ensemble).

    python -m sim.calibrate experiments/calibration_sahel/config.yaml
    python -m sim.calibrate CONFIG --recover          # recovery test on synthetic data

The config (:mod:`sim.analysis.calibration.spec`) names the scenario, the targets (any series of
:data:`~sim.analysis.calibration.targets.SERIES`, per mission, coalition-wide or per ally), the
history file (one dated observation a line), the priors (from the parameter registry) and the
ABC-SMC settings. The command fits, prints the diagnostics (contraction, correlations, coverage
and sharpness, the out-of-sample check) and writes its results folder, by default
``outputs/calibration/<name>/`` (never a tracked file); run it again to continue a stopped
calibration. See :mod:`sim.analysis.calibration.run` for what is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from sim.analysis.calibration.diagnostics import THRESHOLDS
from sim.analysis.calibration.run import CalibrationResult, calibrate, verdicts
from sim.analysis.calibration.spec import load_spec
from sim.analysis.calibration.targets import load_history
from sim.config import ConfigError

__all__ = ["main", "calibrate", "load_spec", "load_history", "report"]


def _progress(stream):
    last = {}

    def progress(tag, t, accepted, n, evaluated):
        key = (tag, t)
        label = "calibration sample" if t < 0 else f"generation {t}"
        what = "out-of-sample fit" if tag == "holdout" else "fit"
        line = (f"\r{what}, {label}: {accepted}/{n} accepted of {evaluated} simulated"
                + ("" if t < 0 else f" ({accepted / max(evaluated, 1):.1%})"))
        if key != last.get("key") and last:
            stream.write("\n")
        stream.write(line)
        stream.flush()
        last["key"] = key
    return progress


def report(res: CalibrationResult) -> str:
    """The printed summary."""
    lines = []
    fit = res.fit
    g = fit.generations
    lines.append(f"ABC-SMC: {len(g)} generations, population {res.spec.smc.population}, "
                 f"final epsilon {g['epsilon'].iloc[-1]:.3g} (acceptance "
                 f"{g['acceptance'].iloc[-1]:.1%}); {res.info['simulations']:,} simulations, "
                 f"{res.info['simulations_per_second']:.0f} simulations/s "
                 f"({res.spec.smc.workers} worker{'s' if res.spec.smc.workers > 1 else ''})")
    lines.append("")
    lines.append(f"Posterior (median, 90% credible interval) and contraction "
                 f"(1 - var post/var prior; learned if >= {THRESHOLDS['learned']}):")
    for _, r in fit.summary.iterrows():
        flag = "learned" if r["contraction"] >= THRESHOLDS["learned"] else "NOT identified"
        lines.append(f"  {r['parameter']:<34} {r['median']:>9.4g}  [{r['low']:.4g}, "
                     f"{r['high']:.4g}]  prior {r['prior']:<32} contraction "
                     f"{r['contraction']:+.2f}  {flag}")
    lines.append("")
    strong = fit.correlations[fit.correlations["r"].abs() >= THRESHOLDS["correlated"]]
    lines.append(f"Posterior correlations (|r| >= {THRESHOLDS['correlated']}: trade-offs the "
                 "history cannot separate):")
    if strong.empty:
        top = fit.correlations.head(3)
        lines.append("  none; strongest: " + ", ".join(f"{a} ~ {b} {r:+.2f}" for a, b, r in
                                                        top.itertuples(index=False)))
    for a, b, r in strong.itertuples(index=False):
        lines.append(f"  {a} ~ {b}: {r:+.2f}")
    lines.append("")
    c = res.checks
    band = f"{res.spec.band:.0%}"
    lines.append(f"Posterior predictive ({res.spec.predictive} draws, {band} bands): coverage "
                 f"{c['coverage']:.0%} of {len(res.predictive)} observations; sharpness (band "
                 f"width / data range, median over targets) {c['sharpness']:.2f}; error vs the "
                 f"prior predictive's: skill {c['skill']:+.2f}")
    for r in c["per_target"].itertuples(index=False):
        lines.append(f"  {r.target:<24} n={r.n:<2} coverage {r.coverage:>4.0%}  width "
                     f"{r.width:>9.3g}  / {r.reference_kind} {r.reference:.3g} = sharpness "
                     f"{r.sharpness:.2f}")
    if res.holdout:
        h = res.holdout
        hc = h["checks"]
        lines.append("")
        lines.append(f"Out of sample: fit the {h['n_fit']} observations before {h['split']}, "
                     f"predict the {h['n_held_out']} from it on: coverage {hc['coverage']:.0%}, "
                     f"sharpness {hc['sharpness']:.2f}, skill vs prior {hc['skill']:+.2f}")
        for r in hc["per_target"].itertuples(index=False):
            lines.append(f"  {r.target:<24} n={r.n:<2} coverage {r.coverage:>4.0%}  "
                         f"sharpness {r.sharpness:.2f}  |median - observed| {r.error:.3g} "
                         f"(prior's {r.prior_error:.3g})")
        if h["targets_only_held_out"]:
            lines.append("  (observed only after the split, so predicted from the prior "
                         f"dynamics alone: {', '.join(h['targets_only_held_out'])})")
    if res.recovery is not None:
        lines.append("")
        lines.append("Recovery on synthetic data (truth inside the 90% interval; interval "
                     "narrower than the prior's):")
        for r in res.recovery.itertuples(index=False):
            lines.append(f"  {r.parameter:<34} truth {r.truth:.4g} in [{r.low:.4g}, "
                         f"{r.high:.4g}]: {'yes' if r.inside else 'NO'}; width / prior "
                         f"{r.width_ratio:.2f} {'narrower' if r.narrower else 'NOT narrower'}")
    lines.append("")
    v = verdicts(res)
    lines.append("Checks: " + "; ".join(f"{k} {'PASS' if ok else 'FAIL'}" for k, ok in v.items()))
    return "\n".join(lines)


def _truth(spec, text):
    """``--recover`` truth: ``name=value,...``; default the prior medians."""
    truth = {p: float(pr.natural().median()) for p, pr in spec.priors.items()}
    if text:
        for item in text.split(","):
            name, _, value = item.partition("=")
            if name not in spec.priors:
                raise ConfigError(f"--truth: {name!r} is not a calibrated parameter (priors: "
                                  f"{', '.join(spec.priors)})")
            try:
                truth[name] = float(value)
            except ValueError:
                raise ConfigError(f"--truth: {name}={value!r} is not a number") from None
            pr = spec.priors[name]
            if not pr.low <= truth[name] <= pr.high:
                raise ConfigError(f"--truth: {name}={value} is outside its prior "
                                  f"[{pr.low:g}, {pr.high:g}]")
    return truth


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.calibrate",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("config", help="a calibration YAML (see experiments/calibration_sahel)")
    ap.add_argument("--out", default=None, help="results folder (default: "
                    "outputs/calibration/<name>, or <name>_recovery with --recover)")
    ap.add_argument("--fresh", action="store_true", help="discard the folder's earlier "
                    "calibration and start again (default: continue it)")
    ap.add_argument("--recover", action="store_true", help="recovery test: fit a synthetic "
                    "history simulated at known parameters (--truth; default the prior medians)")
    ap.add_argument("--truth", default=None, help="name=value,... for --recover")
    ap.add_argument("--population", type=int, default=None, help="override smc.population")
    ap.add_argument("--generations", type=int, default=None, help="override smc.generations")
    ap.add_argument("--workers", type=int, default=None, help="override smc.workers")
    ap.add_argument("--only", default=None, help="fit only these parameters (name,name,...; "
                    "the others keep their configured values)")
    ap.add_argument("--no-holdout", action="store_true", help="skip the out-of-sample fit")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a check fails")
    args = ap.parse_args(argv)
    try:
        spec = load_spec(args.config)
        import dataclasses
        changes = {}
        for key, lo in (("population", 10), ("generations", 1), ("workers", 1)):
            v = getattr(args, key)
            if v is not None:
                if v < lo:
                    raise ConfigError(f"--{key}={v}; allowed: a whole number >= {lo}")
                changes[key] = v
        if changes:
            spec = dataclasses.replace(spec, smc=dataclasses.replace(spec.smc, **changes))
        if args.only:
            names = args.only.split(",")
            for n in names:
                if n not in spec.priors:
                    raise ConfigError(f"--only: {n!r} has no prior in {args.config} (priors: "
                                      f"{', '.join(spec.priors)})")
            spec = dataclasses.replace(spec, priors={n: spec.priors[n] for n in names})
        if args.truth and not args.recover:
            raise ConfigError("--truth needs --recover")
        truth = _truth(spec, args.truth) if args.recover else None
        default = Path("outputs") / "calibration" / (spec.name + ("_recovery" if truth else ""))
        out = Path(args.out) if args.out else default
        from sim.experiments.io import check_writable_folder
        check_writable_folder(out, "--out")
        res = calibrate(spec, out, progress=_progress(sys.stderr), fresh=args.fresh,
                        truth=truth, holdout=not args.no_holdout)
    except ConfigError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"\nerror: cannot write {exc.filename or 'the results'}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    sys.stderr.write("\n")
    print(report(res))
    print(f"results: {out}")
    if args.strict and not all(verdicts(res).values()):
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
