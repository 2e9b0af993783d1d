"""`python -m sim.sweep`: a sweep of many runs, chunked and resumable (:mod:`sim.experiments.sweep`)."""

import sys

from sim.experiments.sweep import main

if __name__ == "__main__":
    sys.exit(main())
