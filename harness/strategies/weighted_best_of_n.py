"""Weighted best-of-N: n scored samples per problem; each answer gets the sum of its samples' scores
and the heaviest answer wins. Reports vote@k for every k <= n from the one pool (plus maj@k, the
same vote with equal weights)."""
from __future__ import annotations

from thinkbench.harness.search.scored_pool import ScoredPool
from thinkbench.harness.strategies import register


@register("weighted_best_of_n")
class WeightedBestOfN(ScoredPool):
    select = "vote"
    pool_families = ("maj",)
