"""Client-side rate limits per (account, region, service), shared by every thread of a process.

AWS throttles each account's calls per region and API, so an organisation audit can run many
accounts side by side for free, while the calls into one (account, region, service) must not
multiply — many accounts' AssumeRole calls all land on the caller's STS, for instance. One token
bucket per key: ``rate`` calls a second on average, bursts of up to ``burst``. botocore's adaptive
retries still handle what throttling gets through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: calls per second per (account, region, service) unless --rate-limit / config `rate_limit` says otherwise
DEFAULT_RATE = 25.0


class RateLimiter:
    def __init__(self, rate: float | None = DEFAULT_RATE, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.rate = rate or 0.0  # 0: no limit
        self.burst = burst or max(1.0, 2.0 * self.rate)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}  # key -> (tokens, last refill)
        self.waited = 0.0  # seconds spent waiting, for the benchmark

    def acquire(self, account: str, region: str, service: str) -> None:
        """Take one token for the key, sleeping until one is there."""
        if self.rate <= 0:
            return
        key = (account, region, service)
        while True:
            with self._lock:
                now = self._clock()
                tokens, last = self._buckets.get(key, (self.burst, now))
                tokens = min(self.burst, tokens + (now - last) * self.rate)
                if tokens >= 1.0:
                    self._buckets[key] = (tokens - 1.0, now)
                    return
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                self.waited += wait
            self._sleep(wait)


UNLIMITED = RateLimiter(0)
