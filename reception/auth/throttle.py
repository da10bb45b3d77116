"""Sign-in throttling: a few wrong passwords lock that username (and the address
they came from) for a while, and password hashing never runs more than a couple at a
time, so a flood of guesses cannot slow the kiosks and displays down.

The counters live in the process: with several workers each keeps its own, which
still bounds guessing to a few attempts per worker per window."""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
HASHING_AT_ONCE = threading.BoundedSemaphore(2)


class LoginThrottle:
    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures = max_failures
        self.window = window
        self.failures: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def locked_for(self, *keys: str) -> int:
        """Seconds until these keys may try again (0: now)."""
        now = time.monotonic()
        with self.lock:
            waits = []
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    waits.append(int(self.window - (now - times[0])) + 1)
            return max(waits, default=0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self.lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self.failures) > 10_000:  # forget idle keys; bounded memory
                for key in [k for k, v in self.failures.items() if not v]:
                    del self.failures[key]

    def succeeded(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.failures.pop(key, None)
