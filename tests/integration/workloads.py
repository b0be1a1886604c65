"""Settings and workloads several integration tests share."""

# The session engine's settings; a `thinkbench run` that should produce the same samples uses them too.
ENGINE_SETTINGS = {"max_model_len": 2048, "kv_cache_gib": 2}

# A small run on the session engine that several tests read: the run folder, `thinkbench score`,
# the report, and the uninterrupted reference of the stopped-and-resumed run.
SMALL_RUN = {"name": "small", "tasks": [{"name": "arith", "limit": 6}],
             "strategies": [{"name": "sample", "n": 4, "max_tokens": 40}]}
