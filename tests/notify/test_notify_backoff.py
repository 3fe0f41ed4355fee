import pytest

from isp_base.lib.notify_backoff import (
    TokenBucket,
    backoff_seconds,
    should_give_up,
    throttle_retry_seconds,
)


def test_backoff_grows_and_caps():
    values = [backoff_seconds(n, jitter=False) for n in range(1, 10)]
    assert values[:3] == [30, 60, 120]
    assert values == sorted(values)
    assert max(values) == 3600


def test_backoff_jitter_bounded():
    for _ in range(50):
        assert 60 <= backoff_seconds(2) <= 72


def test_backoff_honours_retry_after():
    assert backoff_seconds(1, retry_after=300, jitter=False) == 300
    assert backoff_seconds(5, retry_after=1, jitter=False) == 480


def test_give_up():
    assert not should_give_up(5)
    assert should_give_up(6)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_rate():
    fake = FakeClock()
    bucket = TokenBucket(10, capacity=1, clock=fake.clock, sleep=fake.sleep)
    for _ in range(21):
        bucket.acquire()
    # 1 token at start, then 20 more at 10/s -> 2 seconds.
    assert fake.now == pytest.approx(2.0)


def test_token_bucket_burst_capacity():
    fake = FakeClock()
    bucket = TokenBucket(5, capacity=5, clock=fake.clock, sleep=fake.sleep)
    assert all(bucket.try_acquire() for _ in range(5))
    assert not bucket.try_acquire()
    assert bucket.wait_time() == pytest.approx(0.2)


def test_token_bucket_unthrottled():
    bucket = TokenBucket(0)
    assert all(bucket.try_acquire() for _ in range(10_000))
    assert bucket.acquire() == 0.0


def test_token_bucket_penalize():
    fake = FakeClock()
    bucket = TokenBucket(10, capacity=1, clock=fake.clock, sleep=fake.sleep)
    bucket.penalize(2)
    bucket.acquire()
    assert fake.now >= 2.0


def test_token_bucket_real_clock_rate():
    import time

    bucket = TokenBucket(200, capacity=1)
    start = time.monotonic()
    for _ in range(41):
        bucket.acquire()
    elapsed = time.monotonic() - start
    assert 0.18 <= elapsed < 2.0


def test_token_bucket_paces_evenly_by_default():
    fake = FakeClock()
    bucket = TokenBucket(200, clock=fake.clock, sleep=fake.sleep)
    assert bucket.try_acquire()
    assert not bucket.try_acquire()  # no burst of a whole second
    assert bucket.wait_time() == pytest.approx(0.005)


def test_token_bucket_throttled_slows_down_then_recovers():
    fake = FakeClock()
    bucket = TokenBucket(100, clock=fake.clock, sleep=fake.sleep)
    bucket.acquire()
    bucket.throttled()
    assert bucket.rate == pytest.approx(80)
    assert not bucket.try_acquire()
    for _ in range(20):
        bucket.throttled()
    assert bucket.rate == pytest.approx(5)  # floor: 5 % of the configured rate
    for _ in range(200):
        bucket.succeeded()
    assert bucket.rate == pytest.approx(100)
    bucket.throttled(retry_after=2)
    start = fake.now
    bucket.acquire()
    assert fake.now - start >= 2.0


def test_throttle_retry_seconds():
    assert throttle_retry_seconds() == 1
    assert throttle_retry_seconds(3) == 3
    assert throttle_retry_seconds(10_000) == 60
