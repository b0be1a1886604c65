"""Beam search over reasoning steps, guided by a step scorer (Snell et al. 2024, "Scaling LLM
Test-Time Compute Optimally can be More Effective than Scaling Model Parameters"; the
search-and-learn recipe of Beeching, Tunstall and Rush 2024).

Budget N: N paths are generated per step. The first step samples N continuations of the prompt in
one call; after each step the N/M best unfinished paths (distinct texts) are kept and each is
extended by M continuations in one call. Finished paths are set aside and kept; the search stops
when N have finished or none is left, and the last allowed step is generated to the end.
"""
from __future__ import annotations

from thinkbench.harness.search.driver import Ledger, Outcome, Search
from thinkbench.harness.search.strategy import SearchStrategy, SplitSearchParams
from thinkbench.harness.search.tree import ROOT, next_step, top_unique
from thinkbench.harness.strategies import register


@register("beam_search")
class BeamSearch(SearchStrategy):
    Params = SplitSearchParams

    def search(self, budgets: list[int], ledger: Ledger) -> Search:
        (n,) = budgets
        width = n // self.params.expansions
        finished, live = [], []
        answer = yield [next_step(ROOT, n, self.limits)]
        while True:
            made = [child for kids in answer for child in kids]
            finished += [c for c in made if c.finished]
            live = top_unique([c for c in made if not c.finished], width)
            if len(finished) >= n or not live:
                break
            answer = yield [next_step(path, self.params.expansions, self.limits) for path in live]
        return [Outcome(n, finished or live, ledger.snapshot())]
