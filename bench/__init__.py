"""`make bench`: performance figures, each measured beside its baseline in one run."""
