import numpy as np
from scipy import stats

from sim.core import rng


def test_uniform_is_in_unit_interval_and_uniform():
    u = rng.uniform(3, 0, 7, np.arange(200_000), rng.Purpose.ATTACK)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    counts, _ = np.histogram(u, bins=50, range=(0, 1))
    assert stats.chisquare(counts).pvalue > 1e-3


def test_streams_are_independent_across_every_key_component():
    base = dict(seed=11, run=2, step=5, entity=np.arange(50_000), purpose=rng.Purpose.ATTACK)
    u0 = rng.uniform(**base)
    for change in ({"seed": 12}, {"run": 3}, {"step": 6}, {"purpose": rng.Purpose.CONSULT},
                   {"entity": np.arange(50_000) + 1}):
        u1 = rng.uniform(**{**base, **change})
        r = np.corrcoef(u0, u1)[0, 1]
        assert abs(r) < 0.02, (change, r)          # sd of r under independence ~ 0.0045
        assert not np.array_equal(u0, u1)


def test_pairs_of_draws_fill_the_unit_square():
    u = rng.uniform(1, 0, 1, np.arange(100_000), rng.Purpose.DECISION_NOISE)
    v = rng.uniform(1, 0, 2, np.arange(100_000), rng.Purpose.DECISION_NOISE)
    counts, _, _ = np.histogram2d(u, v, bins=10, range=[[0, 1], [0, 1]])
    assert stats.chisquare(counts.ravel()).pvalue > 1e-3


def test_draw_is_a_pure_function_of_its_key_whatever_the_batch():
    ent = rng.entity_id(np.arange(30).reshape(1, 1, 30), np.arange(3).reshape(1, 3, 1))
    seeds = np.array([1, 5, 1]).reshape(3, 1, 1)
    runs = np.array([0, 0, 4]).reshape(3, 1, 1)
    batch = rng.uniform(seeds, runs, 9, ent, rng.Purpose.ATTACK)
    alone = rng.uniform(1, 4, 9, ent[0], rng.Purpose.ATTACK)
    assert batch.shape == (3, 3, 30)
    assert np.array_equal(batch[2], alone)
    one = rng.uniform(5, 0, 9, rng.entity_id(7, 2), rng.Purpose.ATTACK)
    assert one == batch[1, 2, 7]


def test_seed_zero_is_a_seed_like_any_other():
    a = rng.uniform(0, 0, 0, np.arange(10), rng.Purpose.ATTACK)
    b = rng.uniform(1, 0, 0, np.arange(10), rng.Purpose.ATTACK)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, rng.uniform(0, 0, 0, np.arange(10), rng.Purpose.ATTACK))


def test_logistic_draws_have_the_standard_logistic_distribution():
    x = rng.logistic(2, 0, 3, np.arange(100_000), rng.Purpose.DECISION_NOISE)
    assert np.isfinite(x).all()
    assert stats.kstest(x, "logistic").pvalue > 1e-3


def test_derived_seeds_depend_on_identities_not_offsets():
    s = {rng.derive_seed(1, i) for i in range(1000)}
    assert len(s) == 1000
    assert rng.derive_seed(1, 2) != rng.derive_seed(2, 1)
    assert rng.derive_seed(1, 2) == rng.derive_seed(1, 2)
