"""Compare a program's output with the expected one, token by token, as contest judges do.

Whitespace only separates tokens (line breaks and trailing spaces do not matter). With a float
tolerance, two numeric tokens also match when they differ by at most that much, absolutely or
relatively: |got - want| <= tolerance * max(1, |want|).
"""
from __future__ import annotations

import math


def _as_float(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _same_token(got: str, want: str, float_tolerance: float | None) -> bool:
    if got == want:
        return True
    if float_tolerance is None:
        return False
    got_num, want_num = _as_float(got), _as_float(want)
    if got_num is None or want_num is None:
        return False
    return abs(got_num - want_num) <= float_tolerance * max(1.0, abs(want_num))


def tokens_match(got: str, want: str, float_tolerance: float | None = None) -> bool:
    """Whether `got` states the same tokens as `want`."""
    got_tokens, want_tokens = got.split(), want.split()
    return len(got_tokens) == len(want_tokens) and all(
        _same_token(g, w, float_tolerance) for g, w in zip(got_tokens, want_tokens))


def first_difference(got: str, want: str, float_tolerance: float | None = None, width: int = 40) -> str:
    """A short account of where `got` departs from `want`, for a verdict's reason."""
    got_tokens, want_tokens = got.split(), want.split()
    for index, (g, w) in enumerate(zip(got_tokens, want_tokens)):
        if not _same_token(g, w, float_tolerance):
            return f"token {index + 1}: expected {_clip(w, width)!r}, got {_clip(g, width)!r}"
    return f"expected {len(want_tokens)} tokens, got {len(got_tokens)}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
