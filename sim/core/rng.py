"""Counter-based random numbers.

Every random number in the model is a pure function of a key
``(seed, run, step, entity, purpose)`` instead of "the next number from a stream".
The key is hashed with the splitmix64 finaliser (Steele, Lea & Flood 2014), applied once per key
component, on numpy ``uint64`` values that broadcast. Consequences:

* run ``k`` gives bit-for-bit the same numbers alone, inside an ensemble of any size, in any chunk,
  and whether it is advanced agent by agent (Mesa) or vectorised (ensemble);
* two policies run with the same ``(seed, run)`` see the same attacks, elections and draws while
  their histories have not diverged: common random numbers by construction;
* nothing depends on a job number or the order in which chunks run.

Uniforms are built from the top 53 bits of the hash, so ``0 <= u < 1`` and the conversion to float64
is exact on every platform.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Purpose", "entity_id", "hash64", "uniform", "logistic", "derive_seed"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 2.0**-53


class Purpose(IntEnum):
    """What a draw is for. Each purpose is an independent stream for the same key."""

    # initialisation of allies (drawn once per run, step = 0)
    INIT_FORCE = 1
    INIT_CAPACITY = 2
    INIT_THREAT = 3
    INIT_INTEREST = 4
    INIT_COST = 5
    INIT_EXIT_THRESHOLD = 6
    INIT_OPPOSITION = 7
    INIT_ELECTION_PERIOD = 8
    INIT_ELECTION_PHASE = 9
    INIT_COOPERATION = 10
    INIT_COOPERATION_TYPE = 11
    INIT_FEAR = 12
    INIT_HORIZON = 13
    INIT_SENSITIVITY = 14
    INIT_MEMORY = 15
    INIT_EXPOSURE = 16
    INIT_PRIOR = 17
    INIT_SUBSTITUTION = 18
    INIT_TASTE = 19
    # dynamics
    DECISION_NOISE = 20
    ELECTION_EXIT = 21
    ATTACK = 22
    CONSULT = 23
    IMPULSE_ANNOUNCE = 24
    IMPULSE_CARRY_OUT = 25
    IMPULSE_RETURN = 26
    ADMINISTRATION = 27
    CASUALTY = 28


_MAX_ALLIES = 1 << 20


def entity_id(ally=0, mission=-1):
    """Entity number for an ally (optionally within a mission) or for a mission alone.

    ``ally`` in [0, 2**20), ``mission`` in [-1, 2**20). Broadcasts.
    """
    ally = np.asarray(ally, dtype=np.int64)
    mission = np.asarray(mission, dtype=np.int64)
    return (mission + 1) * _MAX_ALLIES + ally


def _mix(x):
    """splitmix64 finaliser on uint64 values (wrapping arithmetic)."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def hash64(seed, run, step, entity, purpose):
    """64-bit hash of a key. All arguments are integers (or integer arrays) that broadcast.

    The key components are mixed in the order seed, run, step, purpose, entity: the first four are
    per run (small arrays in an ensemble), so only the last round runs at the full
    (run, mission, ally) shape.

    Returns:
        ``np.ndarray`` of ``uint64`` with the broadcast shape (0-d for scalar keys).
    """
    with np.errstate(over="ignore"):
        h = np.asarray(seed).astype(np.uint64, copy=False)
        h = _mix(h + _GOLDEN)
        for part in (run, step, purpose, entity):
            h = _mix(h ^ (np.asarray(part).astype(np.uint64, copy=False) + _GOLDEN))
        return h


def uniform(seed, run, step, entity, purpose):
    """Uniform draw in [0, 1) for each key: ``u = (hash >> 11) * 2**-53``.

    Args:
        seed: root seed of the experiment (int >= 0), broadcastable.
        run: replicate number within that seed (int >= 0), broadcastable.
        step: model step (0 for initialisation), broadcastable.
        entity: entity id from :func:`entity_id`, broadcastable.
        purpose: a :class:`Purpose`.
    """
    h = hash64(seed, run, step, entity, int(purpose))
    return (h >> _S11).astype(np.float64) * _TWO_M53


def logistic(seed, run, step, entity, purpose):
    """Standard logistic draw ``log(u / (1 - u))`` (mean 0, scale 1), with ``u`` kept off 0."""
    u = uniform(seed, run, step, entity, purpose)
    u = np.maximum(u, _TWO_M53)
    return np.log(u / (1.0 - u))


def derive_seed(root_seed: int, *labels: int) -> int:
    """A child seed derived from identities (never ``seed + i``); a plain ``int`` in [0, 2**63)."""
    h = hash64(root_seed, 0, 0, 0, 0)
    with np.errstate(over="ignore"):
        for label in labels:
            h = _mix(h ^ (np.uint64(label) + _GOLDEN))
    return int(h >> np.uint64(1))
