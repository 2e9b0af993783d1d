"""Scale: 10^5 allies run within memory (the network is sparse end to end, and the explorer builds
only what it draws). Figures per step: benchmarks/bench_scale.py and docs/performance.md."""

import resource

import numpy as np
import scipy.sparse as sp

from sim.config import compose
from sim.drivers.ensemble import Ensemble

N = 100_000


def test_a_hundred_thousand_allies_step_within_memory_on_a_sparse_network():
    cfg = compose(["scenario=baseline", f"scenario.allies.n={N}", "scenario.horizon=2"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ens = Ensemble(cfg, seeds=1, runs=[0])
    net = ens.world.neighbours
    assert sp.issparse(net) and net.shape == (N, N)
    k = cfg.scenario.network.k
    assert net.nnz == N * k                       # a small world with k links each, no N x N
    res = ens.run()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert grown < 2 * 2**30, f"peak memory grew by {grown / 2**30:.1f} GiB"  # dense: 74.5 GiB
    assert np.isfinite(res.summary_arrays["final_ally_burden_share"]).all()


def test_the_explorer_draws_at_most_its_limit_from_the_sparse_network():
    from sim.app import explorer
    from sim.core.world import build_world

    world = build_world(compose(["scenario=baseline", "scenario.allies.n=20000"]))
    graph, pos = explorer.drawn_network(world)
    k = explorer.MAX_DRAWN
    assert graph.number_of_nodes() == k and len(pos) == k
    assert 2 * graph.number_of_edges() == world.neighbours[:k, :k].nnz
