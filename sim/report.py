"""`python -m sim.report`: the policy comparison report (the main job) (:mod:`sim.analysis.report`)."""

import sys

from sim.analysis.report import main

if __name__ == "__main__":
    sys.exit(main())
