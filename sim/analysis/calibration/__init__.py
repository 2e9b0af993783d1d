"""Calibration to recorded histories by ABC-SMC (``python -m sim.calibrate``).

* :mod:`~sim.analysis.calibration.targets`: the registry of series a target can name, and history
  files (one dated observation a line);
* :mod:`~sim.analysis.calibration.spec`: the typed config and the priors (from the parameter
  registry);
* :mod:`~sim.analysis.calibration.smc`: pyABC on the vectorised ensemble, in batches;
* :mod:`~sim.analysis.calibration.diagnostics`: contraction, correlations, coverage and
  sharpness, out of sample, recovery;
* :mod:`~sim.analysis.calibration.run`: one calibration end to end, with its results folder.
"""
