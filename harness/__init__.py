"""thinkbench: how LLM accuracy scales with test-time compute."""

__version__ = "0.1.0"
