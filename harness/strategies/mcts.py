"""Monte Carlo tree search over reasoning steps.

Each iteration selects a path from the root by UCT (mean value + exploration * sqrt(ln N_parent /
N_child), unvisited children first), expands a path visited before into M next steps (one call),
rolls the new path out to a final answer (one call), scores that answer with the scorer, and adds the
score to every node on the way back up. Every answer reached (rollouts, and steps that ended the
solution) is a candidate; the final answer is chosen among them by best score or weighted vote.

The budget counts rollouts (`unit: rollouts`) or the policy's generated tokens (`unit: tokens`). One
tree serves all budgets of a config: the search stops at the largest, and each smaller budget's
candidates and compute are what the tree held when that budget was reached, which is exactly what a
search with that budget alone would have done.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from thinkbench.harness.search.driver import Ledger, Outcome, Search
from thinkbench.harness.search.strategy import SearchParams, SearchStrategy
from thinkbench.harness.search.tree import ROOT, Expand, Path, next_step
from thinkbench.harness.strategies import register
from thinkbench.harness.validate import param

UNITS = ("rollouts", "tokens")


@dataclass(frozen=True)
class MCTSParams(SearchParams):
    budgets: list[int] = param(factory=lambda: [8], nonempty=True, distinct=True, ge=1)  # in `unit`
    unit: str = param("rollouts", choices=UNITS)
    exploration: float = param(1.0, ge=0)  # the UCT constant c; scores are mostly in [0, 1]


@dataclass(eq=False)
class Node:
    path: Path
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    visits: int = 0
    total: float = 0.0
    expanded: bool = False
    exhausted: bool = False  # nothing left to learn below: a finished path, or all children exhausted


def uct(child: Node, parent: Node, c: float) -> float:
    if child.visits == 0:
        return math.inf
    return child.total / child.visits + c * math.sqrt(math.log(parent.visits) / child.visits)


def select_leaf(root: Node, c: float) -> Node:
    node = root
    while node.expanded:
        # max() keeps the first of equals: unvisited children go in the order they were generated.
        node = max((ch for ch in node.children if not ch.exhausted), key=lambda ch: uct(ch, node, c))
    return node


def backpropagate(leaf: Node, value: float) -> None:
    node = leaf
    while node is not None:
        node.visits += 1
        node.total += value
        node = node.parent
    node = leaf.parent
    while node is not None and node.expanded and all(ch.exhausted for ch in node.children):
        node.exhausted = True
        node = node.parent


@register("mcts")
class MCTS(SearchStrategy):
    Params = MCTSParams

    def groups(self) -> list[list[int]]:
        return [sorted(self.params.budgets)]

    def search(self, budgets: list[int], ledger: Ledger) -> Search:
        p = self.params
        root = Node(ROOT)
        candidates: list[Path] = []
        outcomes: list[Outcome] = []
        rollouts = 0
        while len(outcomes) < len(budgets) and not root.exhausted:
            leaf = select_leaf(root, p.exploration)
            if leaf is root or leaf.visits > 0:
                answer = yield [next_step(leaf.path, p.expansions, self.limits, tag="expand", scored="finished")]
                leaf.children = [Node(path, leaf) for path in answer[0]]
                leaf.expanded = True
                leaf = leaf.children[0]
            if leaf.path.finished:
                final = leaf.path
                leaf.exhausted = True
            else:
                answer = yield [Expand(leaf.path, 1, to_end=True, tag="rollout")]
                final = answer[0][0]
            candidates.append(final)
            rollouts += 1
            backpropagate(leaf, final.score)
            spent = rollouts if p.unit == "rollouts" else ledger.generated_tokens
            while len(outcomes) < len(budgets) and spent >= budgets[len(outcomes)]:
                outcomes.append(Outcome(budgets[len(outcomes)], list(candidates), ledger.snapshot()))
        # A tree explored to the end before a budget: that budget gets all there was.
        outcomes += [Outcome(b, list(candidates), ledger.snapshot()) for b in budgets[len(outcomes):]]
        return outcomes
