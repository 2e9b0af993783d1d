"""ABC-SMC with pyABC on the vectorised ensemble.

pyABC (Klinger, Rickert & Hasenauer 2018; Schälte et al. 2022) runs the sequential Monte Carlo
(Toni et al. 2009; Beaumont et al. 2009): populations of particles, each accepted when its
simulated history lies within a threshold of the observed one; the threshold falls from
generation to generation (an adaptive quantile of the last distances, or a declared list), and the
distance is an adaptive weighted p-norm (each statistic divided by its spread in the last
generation, Prangle 2017), so members, troops and dates weigh alike.

pyABC evaluates one particle at a time; :class:`BatchSampler` instead draws a batch of proposals
with pyABC's own proposal function, runs them as one :class:`~sim.drivers.ensemble.Ensemble` (R
runs in lockstep; optionally split over worker processes), and then lets pyABC's own acceptance,
distance and weights judge each particle in order; the first ``n`` accepted make the population,
exactly as pyABC's single-core sampler would take them. Each simulation has its own run number
(``(generation + 10) * 10^7 + index``), so its random numbers are its own (:mod:`sim.core.rng`) and the
whole calibration is reproducible from the seed. The history is pyABC's database in the results
folder; a stopped calibration continues from its last complete generation.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from sim.analysis.calibration.targets import (History, Outputs, Target, needs_exits, statistics)
from sim.core import rng

__all__ = ["Simulator", "BatchSampler", "run_smc", "RUN_BLOCK"]

RUN_BLOCK = 10_000_000     # run numbers of generation t: (t + 10) * RUN_BLOCK + index


def _simulate(overrides, seed, runs, values, targets, history, exits_needed):
    """Run one ensemble and return the statistics of ``history``: (n_obs, R)."""
    from sim.config import compose
    from sim.drivers.ensemble import Ensemble

    cfg = compose(list(overrides))
    ens = Ensemble(cfg, seeds=seed, runs=runs, varied=values, light=True)
    exits = None
    if exits_needed:
        r, m, n = ens.state.shape
        exits = np.zeros((ens.world.horizon + 1, r, m, n), dtype=bool)
        while ens.t < ens.world.horizon:
            report = ens.step()
            exits[ens.t] = report.decisions.exits
        res = ens.result()
    else:
        res = ens.run()
    return statistics(Outputs(res, exits), targets, history)


class Simulator:
    """Runs parameter sets (natural values) in ensembles of at most ``batch`` runs, on ``workers``
    processes; counts the simulations and the time spent in them."""

    def __init__(self, overrides, seed: int, targets: dict[str, Target], history: History, *,
                 batch: int = 500, workers: int = 1):
        self.overrides = tuple(overrides)
        self.seed = seed
        self.targets = targets
        self.history = history
        self.batch = batch
        self.workers = workers
        self.exits_needed = needs_exits(targets.values())
        self.simulations = 0
        self.seconds = 0.0
        self._pool = None

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def run(self, values: dict[str, np.ndarray], runs: np.ndarray) -> np.ndarray:
        runs = np.asarray(runs)
        t0 = time.perf_counter()
        chunks = []
        size = self.batch
        if self.workers > 1 and len(runs) > 1:
            size = min(size, -(-len(runs) // self.workers))
        for a in range(0, len(runs), size):
            b = min(a + size, len(runs))
            chunks.append((runs[a:b], {k: np.asarray(v)[a:b] for k, v in values.items()}))
        args = (self.overrides, self.seed)
        tail = (self.targets, self.history, self.exits_needed)
        if self.workers > 1 and len(chunks) > 1:
            if self._pool is None:
                import multiprocessing as mp
                self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"))
            futures = [self._pool.submit(_simulate, *args, r, v, *tail) for r, v in chunks]
            parts = [f.result() for f in futures]
        else:
            parts = [_simulate(*args, r, v, *tail) for r, v in chunks]
        self.seconds += time.perf_counter() - t0
        self.simulations += len(runs)
        return np.concatenate(parts, axis=1)


def _pyabc():
    import pyabc
    return pyabc


def make_model(keys: list[str]):
    """A pyABC model whose simulations are computed ahead, in a batch (:class:`BatchSampler`)."""
    pyabc = _pyabc()

    class PrecomputedModel(pyabc.Model):
        def __init__(self):
            super().__init__(name="ensemble")
            self.queue: list[tuple[dict, dict]] = []

        def sample(self, pars):
            if not self.queue:
                raise RuntimeError("the ensemble model runs only under BatchSampler")
            expected, stats = self.queue.pop(0)
            if any(pars[k] != v for k, v in expected.items()):
                raise RuntimeError("BatchSampler: a particle came back out of order")
            return stats

    model = PrecomputedModel()
    model.keys = keys
    return model


def _batch_sampler_class():
    pyabc = _pyabc()
    from pyabc.inference_util.inference_util import (_simulate_one, _simulate_one_from_prior,
                                                     evaluate_proposal, generate_valid_proposal)
    from pyabc.population import Particle

    class BatchSampler(pyabc.sampler.Sampler):
        """pyABC sampler that evaluates proposals a batch at a time in the ensemble (module doc).

        Args:
            simulator: a :class:`Simulator`.
            priors: ``{name: Prior}`` (fit space -> natural values).
            model: the model from :func:`make_model`.
            seed: seeds numpy's global generator (which pyABC's proposals draw from) per
                generation, so a generation's proposals depend only on the seed and ``t``.
            progress: ``progress(t, accepted, n, evaluated)`` after every batch.
        """

        def __init__(self, simulator: Simulator, priors, model, seed: int, progress=None):
            super().__init__()
            self.simulator = simulator
            self.priors = priors
            self.model = model
            self.seed = seed
            self.progress = progress
            self.evaluations: dict[int, int] = {}

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            if not isinstance(simulate_one, functools.partial) or simulate_one.func not in (
                    _simulate_one, _simulate_one_from_prior):
                raise RuntimeError("BatchSampler: unexpected pyABC internals (this module is "
                                   "tested with pyabc 0.13)")
            kw = simulate_one.keywords
            from_prior = simulate_one.func is _simulate_one_from_prior
            if not from_prior and not kw.get("evaluate", True):
                raise RuntimeError("BatchSampler: look-ahead sampling is not supported")
            np.random.seed(rng.derive_seed(self.seed, 1000 + t) % 2**32)
            sample = self._create_empty_sample()
            accepted = evaluated = index = 0
            names = list(self.priors)
            while accepted < n and evaluated < max_eval:
                b = self.simulator.batch * max(1, self.simulator.workers)
                if from_prior or all_accepted:
                    b = min(b, n - accepted)
                proposals = []
                for _ in range(b):
                    if from_prior:
                        m = int(kw["model_prior"].rvs())
                        theta = kw["parameter_priors"][m].rvs()
                    else:
                        m, theta = generate_valid_proposal(
                            t=kw["t"], m=kw["m"], p=kw["p"], model_prior=kw["model_prior"],
                            parameter_priors=kw["parameter_priors"],
                            model_perturbation_kernel=kw["model_perturbation_kernel"],
                            transitions=kw["transitions"])
                    proposals.append((m, theta))
                values = {p: self.priors[p].to_value(np.array([th[p] for _, th in proposals]))
                          for p in names}
                runs = (t + 10) * RUN_BLOCK + index + np.arange(b)
                index += b
                stats = self.simulator.run(values, runs)
                keys = self.model.keys
                self.model.queue = [({p: th[p] for p in names},
                                     {k: float(stats[i, j]) for i, k in enumerate(keys)})
                                    for j, (_, th) in enumerate(proposals)]
                for m, theta in proposals:
                    if from_prior:
                        result = kw["models"][m].summary_statistics(0, theta,
                                                                    kw["summary_statistics"])
                        particle = Particle(m=m, parameter=theta, weight=1.0,
                                            sum_stat=result.sum_stat, distance=np.inf,
                                            accepted=True, proposal_id=0, preliminary=False)
                    else:
                        particle = evaluate_proposal(
                            m, theta, t=kw["t"], models=kw["models"],
                            summary_statistics=kw["summary_statistics"],
                            distance_function=kw["distance_function"], eps=kw["eps"],
                            acceptor=kw["acceptor"], x_0=kw["x_0"],
                            weight_function=kw["weight_function"],
                            proposal_id=kw["proposal_id"])
                    sample.append(particle)
                    evaluated += 1
                    accepted += bool(particle.accepted)
                    if accepted >= n or evaluated >= max_eval:
                        break
                self.model.queue = []
                if self.progress is not None:
                    self.progress(t, accepted, n, evaluated)
            self.nr_evaluations_ = evaluated
            self.evaluations[t] = evaluated
            if accepted < n:
                sample.ok = False
            return sample

    return BatchSampler


def __getattr__(name):
    if name == "BatchSampler":
        return _batch_sampler_class()
    raise AttributeError(name)


def run_smc(simulator: Simulator, priors: dict, history: History, settings, db: Path, *,
            seed: int, progress=None, resume: bool = True):
    """Run (or continue) ABC-SMC; returns the pyABC :class:`~pyabc.History`.

    Args:
        simulator: runs the batches.
        priors: ``{name: Prior}``.
        history: the observations (their keys are the statistics).
        settings: :class:`~sim.analysis.calibration.spec.SMCSettings`.
        db: the pyABC database file; an existing one with a finished or stopped run is continued.
    """
    pyabc = _pyabc()
    import logging
    for name in ("ABC", "Epsilon", "Distance", "Acceptor", "Sampler", "Population", "History",
                 "Transitions", "Adaptation"):
        logging.getLogger(f"ABC.{name}" if name != "ABC" else name).setLevel(logging.WARNING)
    keys = history.keys()
    model = make_model(keys)
    BatchSampler = _batch_sampler_class()
    sampler = BatchSampler(simulator, priors, model, seed, progress)
    prior = pyabc.Distribution(**{p: _rv(pr)
                                  for p, pr in priors.items()})
    scale = getattr(pyabc.distance, settings.scale)
    distance = pyabc.AdaptivePNormDistance(p=settings.p, scale_function=scale,
                                           max_scale_weight_ratio=100.0)
    if settings.epsilon == "list":
        eps = pyabc.ListEpsilon(list(settings.epsilons))
    else:
        eps = pyabc.QuantileEpsilon(alpha=settings.alpha)
    abc = pyabc.ABCSMC(model, prior, distance, population_size=settings.population,
                       sampler=sampler, eps=eps)
    url = f"sqlite:///{Path(db).resolve()}"
    done = 0
    if resume and Path(db).exists():
        hist = pyabc.History(url)
        if hist.n_populations > 0:
            abc.load(url, 1)
            done = abc.history.max_t + 1
    if done == 0:
        if Path(db).exists():
            Path(db).unlink()
        abc.new(url, {k: float(v) for k, v in history.values().items()})
    remaining = settings.generations - done
    if remaining > 0 and not _finished(abc.history, settings):
        max_eps = len(settings.epsilons) if settings.epsilon == "list" else np.inf
        abc.run(minimum_epsilon=settings.min_epsilon,
                max_nr_populations=min(remaining, max_eps - done),
                min_acceptance_rate=settings.min_acceptance,
                max_total_nr_simulations=settings.max_simulations)
    return abc.history, sampler


def _finished(hist, settings) -> bool:
    """Whether a loaded run already met a stopping rule."""
    pops = hist.get_all_populations()
    pops = pops[pops.t >= 0]
    if pops.empty:
        return False
    last = pops.iloc[-1]
    if last.epsilon <= settings.min_epsilon:
        return True
    if hist.total_nr_simulations >= settings.max_simulations:
        return True
    if last.samples and settings.population / last.samples < settings.min_acceptance:
        return True
    return False


def _rv(prior):
    pyabc = _pyabc()
    d = prior.scipy()
    if prior.dist == "beta":
        return pyabc.RV("beta", prior.a, prior.b, loc=prior.low, scale=prior.high - prior.low)
    lo, width = d.support()[0], d.support()[1] - d.support()[0]
    return pyabc.RV("uniform", lo, width)
