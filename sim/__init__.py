"""Coalition credibility: an agent-based model of how a lead nation's commitments, withdrawals and
reversals shape allies' trust, and through trust their decisions to join, stay in or leave missions.

Two drivers share one set of rules (:mod:`sim.rules`): :class:`sim.drivers.mesa.CoalitionModel` (Mesa, agent
by agent) and :class:`sim.drivers.ensemble.Ensemble` (many runs at once on arrays).
"""

__version__ = "0.1.0"
