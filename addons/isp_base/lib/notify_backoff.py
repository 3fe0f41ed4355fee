"""Retry pauses and the per-gateway throttle of the notification drain.

>>> [backoff_seconds(n, jitter=False) for n in range(1, 8)]
[30, 60, 120, 240, 480, 960, 1920]
>>> backoff_seconds(20, jitter=False)
3600
>>> backoff_seconds(1, retry_after=90, jitter=False)
90
"""

import random
import threading
import time

BASE_SECONDS = 30
MAX_SECONDS = 3600
MAX_ATTEMPTS = 6
THROTTLE_RETRY_SECONDS = 1  # a throttled message is tried again this soon (not an attempt)
THROTTLE_RETRY_MAX_SECONDS = 60
SLOWDOWN_FACTOR = 0.8  # a throttle answer multiplies the bucket's rate by this
MIN_RATE_FRACTION = 0.05  # ... down to this fraction of the configured rate
RECOVERY_FRACTION = 0.01  # each success gives back this fraction of the configured rate
_EPSILON = 1e-9  # float dust must not make a full token look empty


def backoff_seconds(attempts, retry_after=None, base=BASE_SECONDS, cap=MAX_SECONDS, jitter=True):
    """Pause before the next try of a message that failed ``attempts`` times (>= 1).

    Exponential from ``base``, capped at ``cap``; a provider's own ``retry_after``
    (Telegram's ``parameters.retry_after``, an HTTP ``Retry-After``) wins when longer.
    ``jitter`` spreads the retries of a batch over +0..20% so they do not come back
    all at once.
    """
    attempts = max(int(attempts or 1), 1)
    seconds = min(base * 2 ** min(attempts - 1, 20), cap)
    if jitter:
        seconds = int(seconds * (1 + random.random() * 0.2))
    if retry_after:
        seconds = max(seconds, int(retry_after))
    return seconds


def throttle_retry_seconds(retry_after=None):
    """Pause before a throttled message is tried again: short, the provider's own
    ``retry_after`` when it gives one (capped).

    >>> throttle_retry_seconds(), throttle_retry_seconds(5), throttle_retry_seconds(900)
    (1, 5, 60)
    """
    seconds = int(retry_after or 0) or THROTTLE_RETRY_SECONDS
    return max(1, min(seconds, THROTTLE_RETRY_MAX_SECONDS))


def should_give_up(attempts, max_attempts=MAX_ATTEMPTS):
    """True when a message that failed ``attempts`` times gets no further try."""
    return attempts >= max_attempts


class TokenBucket:
    """Allow ``rate`` events a second on average, with bursts of up to ``capacity``.

    The default capacity is one token: events are paced evenly (one every ``1 / rate``
    s). A burst of a whole second's worth would go out in the first milliseconds and
    overrun a provider that counts requests in a sliding one-second window.
    :meth:`throttled` (the provider answered "too many") lowers the rate
    multiplicatively, :meth:`succeeded` gives it back little by little.

    ``rate`` <= 0 means unthrottled. ``clock`` and ``sleep`` are injectable for tests.

    >>> t = [0.0]
    >>> bucket = TokenBucket(2, capacity=1, clock=lambda: t[0], sleep=lambda s: None)
    >>> bucket.try_acquire(), bucket.try_acquire()
    (True, False)
    >>> t[0] = 0.5
    >>> bucket.try_acquire()
    True
    """

    def __init__(self, rate, capacity=None, clock=time.monotonic, sleep=time.sleep):
        self.rate = float(rate or 0)
        self.nominal_rate = self.rate
        self.capacity = float(capacity if capacity is not None else 1.0)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self):
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self):
        """Seconds until one token is available (0 when one is there now)."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            self._refill()
            if self._tokens >= 1 - _EPSILON:
                return 0.0
            return (1 - self._tokens) / self.rate

    def try_acquire(self):
        """Take a token if one is there; never waits."""
        if self.rate <= 0:
            return True
        with self._lock:
            self._refill()
            if self._tokens >= 1 - _EPSILON:
                self._tokens -= 1
                return True
            return False

    def acquire(self):
        """Take a token, sleeping until one is available; returns the seconds slept."""
        slept = 0.0
        while not self.try_acquire():
            pause = self.wait_time()
            self._sleep(pause)
            slept += pause
        return slept

    def penalize(self, seconds):
        """A provider said "slow down": no token for ``seconds``."""
        if self.rate <= 0 or seconds <= 0:
            return
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0) - seconds * self.rate

    def throttled(self, retry_after=None):
        """The provider refused for its rate limit: empty the bucket and slow down.

        ``retry_after`` (seconds, when the provider says it) gives no token for that long.
        """
        if self.rate <= 0:
            return
        with self._lock:
            self._refill()
            self.rate = max(self.rate * SLOWDOWN_FACTOR, self.nominal_rate * MIN_RATE_FRACTION)
            self._tokens = min(self._tokens, 0) - (retry_after or 0) * self.rate

    def succeeded(self):
        """A request went through: recover towards the configured rate."""
        if self.rate <= 0 or self.rate >= self.nominal_rate:
            return
        with self._lock:
            self._refill()
            self.rate = min(self.nominal_rate, self.rate + self.nominal_rate * RECOVERY_FRACTION)
