"""Metrics: estimators of accuracy under test-time compute, and their uncertainty."""
