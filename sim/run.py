"""`python -m sim.run`: one scenario under one policy (:mod:`sim.experiments.run`)."""

import sys

from sim.experiments.run import main

if __name__ == "__main__":
    sys.exit(main())
