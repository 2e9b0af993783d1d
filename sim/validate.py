"""`python -m sim.validate`: the validation patterns (:mod:`sim.analysis.patterns`)."""

import sys

from sim.analysis.patterns import main

if __name__ == "__main__":
    sys.exit(main())
