"""Affinity: how much more likely a creator's followers are to be in a brand's audience.

The affinity index of creator c to a brand audience B (the followers of the brand's own
accounts) compares the share of c's followers who are in B with the share of everyone
in the graph who is::

    index = 100 * (|followers(c) & B| / |followers(c)|) / (|B| / population)

100 is average (c's audience is like everyone else's), 200 means twice as likely, 50
half. It is the lift of the pair (c, brand) times 100, so it is symmetric; small
audiences make it noisy, which is why callers can ask for a minimum of shared followers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["affinity_index"]


def affinity_index(
    shared: np.ndarray, followers: np.ndarray, brand: int, population: int
) -> np.ndarray:
    """Return the affinity index of creators to a brand audience (100 = average).

    Parameters
    ----------
    shared
        Followers each creator shares with the brand audience.
    followers
        Each creator's followers.
    brand
        People in the brand audience.
    population
        People in the graph (after any audience filter): the baseline.

    Returns
    -------
    numpy.ndarray
        The index per creator; 0 where a creator has no followers or the brand none.

    Examples
    --------
    >>> affinity_index(np.array([5, 1]), np.array([10, 10]), brand=25, population=100)
    array([200.,  40.])
    """
    if brand <= 0 or population <= 0:
        return np.zeros(np.shape(shared))
    base = brand / population
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.asarray(shared, dtype=np.float64) / np.asarray(followers, dtype=np.float64)
    return np.nan_to_num(100.0 * share / base, posinf=0.0)
