"""Metrics: every metric point of every strategy, from graded rows to values with intervals.

`estimators` (pass@k, majority and weighted votes, best-of-k, intervals), `point` (MetricPoint: a
value, its interval, its compute and the per-problem values behind it), `pool` (accuracy, pass@k,
maj@k of a pool of samples), `select` (the selections of scored and search strategies), `stages`
(the stages of thinking strategies), `compute` (tokens and FLOPs), and the analyses over points:
`breakdown` (by group of problems) and `paired` (two runs, problem by problem).

Metrics read plain rows (`harness.types.CompletionRow`), never the store or the engine.
"""
