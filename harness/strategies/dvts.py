"""Diverse verifier tree search (Beeching, Tunstall and Rush 2024, "Scaling test-time compute with
open models", Hugging Face): the budget N is split into N/M independent subtrees; each subtree
extends its one path by M continuations per step (one call) and greedily keeps the best-scoring one,
until that one is finished. The N/M subtree answers are the candidates.

Subtrees never see each other: each has its own seed tag, so subtree i is the same whatever N is,
and a larger budget reuses the subtrees of a smaller one.
"""
from __future__ import annotations

from thinkbench.harness.search.driver import Ledger, Outcome, Search
from thinkbench.harness.search.strategy import SearchStrategy, SplitSearchParams
from thinkbench.harness.search.tree import ROOT, Path, next_step, top_unique
from thinkbench.harness.strategies import register


@register("dvts")
class DVTS(SearchStrategy):
    Params = SplitSearchParams

    def search(self, budgets: list[int], ledger: Ledger) -> Search:
        (n,) = budgets
        paths: dict[int, Path] = {i: ROOT for i in range(n // self.params.expansions)}
        done: dict[int, Path] = {}
        while paths:
            order = sorted(paths)
            answer = yield [next_step(paths[i], self.params.expansions, self.limits, tag=f"subtree{i}") for i in order]
            for i, kids in zip(order, answer):
                (best,) = top_unique(kids, 1)
                if best.finished:
                    done[i] = best
                    del paths[i]
                else:
                    paths[i] = best
        return [Outcome(n, [done[i] for i in sorted(done)], ledger.snapshot())]
