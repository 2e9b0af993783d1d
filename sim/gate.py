"""`python -m sim.gate`: the regression gate against a reference (:mod:`sim.analysis.gate`)."""

import sys

from sim.analysis.gate import main

if __name__ == "__main__":
    sys.exit(main())
