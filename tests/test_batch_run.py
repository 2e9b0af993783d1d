"""The Mesa model works with Mesa's own batch_run (reproducibly, with rng=[...])."""

import numpy as np
import pandas as pd
from mesa.batchrunner import batch_run

from sim.drivers.mesa import CoalitionModel


def test_batch_run_is_reproducible_and_matches_direct_runs():
    params = {"scenario": "baseline", "policy": ["steady", "impulsive"],
              "overrides": [("scenario.horizon=12",)]}
    rows = batch_run(CoalitionModel, params, number_processes=1, rng=[1, 2], max_steps=100,
                     data_collection_period=-1, display_progress=False)
    df = pd.DataFrame(rows)
    # 2 policies x 2 seeds, one row per agent: 30 allies (with per-ally values), the lead, 2 missions
    assert len(df) == 4 * 33 and df["ally_trust"].notna().sum() == 4 * 30
    again = pd.DataFrame(batch_run(CoalitionModel, params, number_processes=1, rng=[1, 2],
                                   max_steps=100, display_progress=False))
    pd.testing.assert_frame_equal(df, again)
    one = CoalitionModel(policy="impulsive", rng=2, overrides=("scenario.horizon=12",))
    one.run_to_end()
    rows = df[(df.policy == "impulsive") & (df.rng == 2)]
    assert rows["trust"].iloc[0] == one.history()["steps"]["trust"][-1, 0]
    got = rows["ally_trust"].dropna().to_numpy(dtype=float)
    assert np.array_equal(got, one.state.allies.trust[0, 0])
