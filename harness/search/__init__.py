"""Pieces shared by the strategies that sample candidates and let a scorer choose or steer:
paths of steps, batched and resumable policy calls, the lockstep driver, selection and compute."""
