"""`python -m sim.docs`: regenerate the ODD's parameter tables (:mod:`sim.config.docs`)."""

import sys

from sim.config.docs import main

if __name__ == "__main__":
    sys.exit(main())
