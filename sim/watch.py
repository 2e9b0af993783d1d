"""`python -m sim.watch`: where a running or submitted sweep stands (:mod:`sim.experiments.watch`)."""

import sys

from sim.experiments.watch import main

if __name__ == "__main__":
    sys.exit(main())
