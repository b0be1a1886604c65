"""Analyses over finished metrics: the compute-optimal policy per difficulty, coverage scaling-law fits,
and adaptive sampling read from the pool. Plain data in, plain data out; reports render them."""
