"""Calibration: history files are checked line by line, and ABC recovers a known parameter."""

import numpy as np
import pytest

from sim.analysis.calibrate import calibrate, load_history
from sim.config import ConfigError, compose
from sim.drivers.ensemble import Ensemble

BASE = ["scenario=baseline", "policy=impulsive", "scenario.start=2010-01", "scenario.horizon=60"]


def write(tmp_path, text):
    p = tmp_path / "history.csv"
    p.write_text(text)
    return p


@pytest.mark.parametrize("text,fragment", [
    ("date,members,contributors\n2010-03,5,4\n2010-13,5,4\n",
     "line 3, field 'date': '2010-13' is not a calendar month"),
    ("date,members,contributors\n2010-03,5,-4\n", "line 2, field 'contributors': -4.0 is not a count"),
    ("date,members,contributors\n2010-03,five,4\n", "line 2, field 'members': 'five' is not a number"),
    ("date,members\n2010-03,5\n", "the header lacks 'contributors'"),
    ("date,members,contributors\n2009-12,5,4\n", "line 2, field 'date': 2009-12 is outside"),
    ("date,members,contributors\n2010-03,5,4\n2010-03,6,4\n", "appear twice"),
])
def test_bad_history_files_are_named_with_line_and_field(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as info:
        load_history(write(tmp_path, text), start="2010-01", horizon=60)
    assert fragment in str(info.value) and "history.csv" in str(info.value)


def test_abc_recovers_a_known_parameter(tmp_path):
    truth = 0.25
    cfg = compose(BASE + [f"decision.join_threshold={truth}"])
    res = Ensemble(cfg, seeds=99, runs=[0]).run()
    steps = np.arange(3, 61, 3)
    lines = ["date,members,contributors,allied_troops"]
    for t in steps:
        y, m = divmod(t - 1, 12)
        lines.append(f"{2010 + y}-{m + 1:02d},{res.missions['members'][t, 0, 0]:.0f},"
                     f"{res.missions['contributors'][t, 0, 0]:.0f},"
                     f"{res.missions['ally_troops'][t, 0, 0]:.0f}")
    hist = write(tmp_path, "\n".join(lines) + "\n")
    out = calibrate(BASE, hist, {"decision.join_threshold": (0.05, 0.5)}, samples=800,
                    accept=0.05, seed=5)
    post = out.posterior["decision.join_threshold"]
    prior_sd = (0.5 - 0.05) / np.sqrt(12)
    assert abs(post.median() - truth) < 0.08
    assert post.std() < 0.6 * prior_sd                         # the data taught it something
    assert out.info["share_inside_band"] >= 0.8
    fig = out.figure(tmp_path / "fig")
    assert (tmp_path / "fig.png").exists() and len(fig.axes) == 3
