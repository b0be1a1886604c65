"""Best-of-N: n samples per problem, each scored by a verifier; the answer is the top-scoring sample.
Reports best@k for every k <= n from the one pool (plus the pool's pass@k and maj@k)."""
from __future__ import annotations

from thinkbench.harness.search.scored_pool import ScoredPool
from thinkbench.harness.strategies import register


@register("best_of_n")
class BestOfN(ScoredPool):
    select = "best"
    pool_families = ("pass", "maj")
