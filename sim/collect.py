"""`python -m sim.collect`: a sweep's chunks collected into one table (:mod:`sim.experiments.collect`)."""

import sys

from sim.experiments.collect import main

if __name__ == "__main__":
    sys.exit(main())
