"""Reductions whose summation order is fixed, so both drivers get the same bits.

Arrays are laid out ``(..., mission, ally)``. Sums over allies reduce the last (contiguous) axis with
numpy's pairwise summation; the agent-by-agent driver gathers allies into an ally-ordered row and
calls the same function. Sums over missions (few) add the mission slices one by one in order.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sum_allies", "sum_missions", "neighbour_share", "neighbour_count"]


def sum_allies(x):
    """Sum over the ally axis (last), keeping it as length 1."""
    return np.sum(np.ascontiguousarray(x, dtype=np.float64), axis=-1, keepdims=True)


def sum_missions(x):
    """Sum over the mission axis (second to last) in mission order, keeping it as length 1."""
    x = np.asarray(x, dtype=np.float64)
    acc = x[..., 0:1, :]
    for m in range(1, x.shape[-2]):
        acc = acc + x[..., m:m + 1, :]
    return acc


def neighbour_share(member, adjacency, degree):
    """Share of each ally's network neighbours that are members, per mission.

    ``member`` is bool ``(..., M, N)``; ``adjacency`` a symmetric sparse ``(N, N)`` 0/1 matrix;
    ``degree`` ``(N,)``. The counts are sums of zeros and ones, exact in any order, so a sparse
    product gives the same bits as any other way of counting. Allies without neighbours get 0.
    """
    m = np.where(member, 1.0, 0.0)
    flat = m.reshape(-1, m.shape[-1])
    counts = np.asarray(adjacency @ flat.T).T.reshape(m.shape)
    return counts / np.maximum(degree, 1.0)


def neighbour_count(x, adjacency):
    """Sum of ``x`` over each ally's network neighbours, per mission.

    ``x`` is ``(..., M, N)`` of zeros and ones (counts are exact in any order, so both drivers get
    the same bits); ``adjacency`` a symmetric sparse ``(N, N)`` 0/1 matrix.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1, x.shape[-1])
    return np.asarray(adjacency @ flat.T).T.reshape(x.shape)
