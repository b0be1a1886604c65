"""Several servers behind one engine: least-outstanding-requests spreading, cool-down after a
failure, and the backoff between retries."""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit, urlunsplit


@dataclass
class Endpoint:
    url: str
    outstanding: int = 0  # requests sent and not yet answered
    sent: int = 0
    cool_until: float = 0.0  # monotonic time before which a failed endpoint is avoided


class Endpoints:
    """Picks the server with the fewest requests in flight.

    Least outstanding rather than round robin: a slow or busy server keeps its queue short while a
    fast one takes more. Ties go to the server sent the fewest requests so far, then list order,
    which keeps the choice deterministic. A server that just failed is skipped until its cool-down
    ends, unless every server is cooling down (then the one that recovers first is tried).
    """

    def __init__(self, urls: list[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.all = [Endpoint(url) for url in urls]
        self._clock = clock
        self._lock = threading.Lock()

    def acquire(self) -> Endpoint:
        with self._lock:
            now = self._clock()
            ready = [e for e in self.all if e.cool_until <= now] or [min(self.all, key=lambda e: e.cool_until)]
            best = min(ready, key=lambda e: (e.outstanding, e.sent))
            best.outstanding += 1
            best.sent += 1
            return best

    def release(self, endpoint: Endpoint) -> None:
        with self._lock:
            endpoint.outstanding -= 1

    def cool_down(self, endpoint: Endpoint, seconds: float) -> None:
        with self._lock:
            endpoint.cool_until = max(endpoint.cool_until, self._clock() + seconds)


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None,
                  rng: random.Random) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...).

    Exponential with jitter (half to all of base * 2^(attempt-1), at most `cap`), so that many
    requests failing together do not come back together. A server's Retry-After wins, up to `cap`.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return min(cap, base * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0)


def public_url(url: str) -> str:
    """The URL without user info or query, which may carry credentials, for run folders and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
