"""The patterns of the model specification (docs/references.md), reproduced with default parameters on the shipped scenarios
(pattern-oriented validation, Grimm et al. 2005). Each check is a statistical test over paired
replicates; `python -m sim.validate` prints the same table."""

import pytest

from sim.analysis.patterns import run_all


# `.ci/run` runs the same checks as `python -m sim.validate`, which exits 1 when one fails; here they
# are in the slow suite (`make test-all`) so the default run stays short.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def table():
    return run_all(runs=120)


@pytest.mark.parametrize("pattern", [
    "1a asymmetry", "1b recovery slower than the fall", "2 enablers", "3a exit while dependent",
    "3b exit after load shifting", "4a leader trust steps", "4b country trust ratchets",
    "5a exits over-dispersed", "5b exits follow exits", "6 elections",
    "7a announced withdrawal bites early", "7b a pledge after a reversal is worth less",
    "8 allies fill a drawdown", "11 exits last",
    pytest.param("9 Syria: France and the UK stay", marks=pytest.mark.xfail(
        strict=True, reason="open: France and the UK drift out of the ground mission in most "
                            "runs despite the residual force (CHANGELOG.md)")),
    pytest.param("10 MINUSMA exits follow a large exit", marks=pytest.mark.xfail(
        strict=True, reason="open: the first large contributor leaves MINUSMA before the 2022 "
                            "wave in most runs (CHANGELOG.md)")),
])
def test_pattern_is_reproduced(table, pattern):
    row = table.set_index("pattern").loc[pattern]
    assert row["passed"], f"{pattern}: {row['statistic']} = {row['value']:.3g}, needs " \
                          f"{row['threshold']} ({row['detail']})"
