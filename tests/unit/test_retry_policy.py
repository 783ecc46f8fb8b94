"""The retry loop of the shared Transport on a fake clock: which failures are retried, how long
each wait is (backoff doubling, Retry-After), when it gives up, and the process-wide
RetryPolicy that supplies what a caller does not pass. Real requests over loopback; only time
is fake, so every case runs in milliseconds."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from sms_cli.errors import NetworkError, ProviderUnavailable
from sms_cli.providers.http import (
    DEFAULT_RETRY_POLICY,
    OutcomeUnknown,
    RetryPolicy,
    Transport,
    retry_policy,
    set_retry_policy,
)
from tests.adversarial.loopback import LoopbackServer, Reply


class FakeTime:
    """A monotonic clock that only the recorded sleeps move."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_767_225_600.0 + self.now  # 2026-01-01T00:00:00Z

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class Scripted(LoopbackServer):
    """Answers the i-th request with `answers[i]` (the last one repeats)."""

    def __init__(self, *answers: Reply) -> None:
        self.answers = list(answers)
        self.count = 0
        super().__init__()

    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        self.count += 1
        return self.answers[min(self.count, len(self.answers)) - 1]


OK: Reply = (200, {"Content-Type": "application/json"}, b"{}")
UNAVAILABLE: Reply = (503, {}, b"")
LIMITED: Reply = (429, {}, b"")


def limited(retry_after: str) -> Reply:
    return 429, {"Retry-After": retry_after}, b""


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens: every connect is refused


def transport(url: str, fake: FakeTime, timeout: float = 30.0, **options: object) -> Transport:
    return Transport(url, title="T", timeout=timeout, sleep=fake.sleep, clock=fake.clock,
                     wall=fake.wall, **options)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
def serve() -> Iterator[list[Scripted]]:
    servers: list[Scripted] = []
    yield servers
    for server in servers:
        server.close()


def scripted(serve: list[Scripted], *answers: Reply) -> Scripted:
    server = Scripted(*answers)
    serve.append(server)
    return server


def test_a_refused_connection_is_retried_three_times_with_doubling_backoff(
    dead_url: str, fake: FakeTime
) -> None:
    client = transport(dead_url, fake)
    with pytest.raises(NetworkError, match="nothing was sent"):
        client.send("POST", "sms")
    assert fake.waits == [0.25, 0.5, 1.0]


def test_the_backoff_stops_where_the_next_wait_would_pass_the_timeout(
    dead_url: str, fake: FakeTime
) -> None:
    client = transport(dead_url, fake, timeout=1.0)
    with pytest.raises(NetworkError):
        client.query("GET", "status")
    assert fake.waits == [0.25, 0.5]  # 0.75 s waited; 1 s more would end past the timeout


def test_a_send_answered_5xx_is_never_retried(serve: list[Scripted], fake: FakeTime) -> None:
    server = scripted(serve, UNAVAILABLE, OK)
    with pytest.raises(OutcomeUnknown):
        transport(server.url, fake).send("POST", "sms")
    assert (fake.waits, server.count) == ([], 1)


def test_a_query_answered_5xx_is_retried_twice_then_unavailable(
    serve: list[Scripted], fake: FakeTime
) -> None:
    server = scripted(serve, UNAVAILABLE)
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        transport(server.url, fake).query("GET", "status")
    assert (fake.waits, server.count) == ([0.25, 0.5], 3)


def test_a_query_recovers_after_one_5xx(serve: list[Scripted], fake: FakeTime) -> None:
    server = scripted(serve, UNAVAILABLE, OK)
    assert transport(server.url, fake).query("GET", "status").status_code == 200
    assert (fake.waits, server.count) == ([0.25], 2)


def test_a_429_without_retry_after_backs_off_doubling_then_gives_up(
    serve: list[Scripted], fake: FakeTime
) -> None:
    server = scripted(serve, LIMITED)
    with pytest.raises(ProviderUnavailable, match="rate limited"):
        transport(server.url, fake).send("POST", "sms")
    assert (fake.waits, server.count) == ([0.25, 0.5, 1.0], 4)


def test_each_429_waits_its_own_retry_after(serve: list[Scripted], fake: FakeTime) -> None:
    server = scripted(serve, limited("2"), limited("0.5"), OK)
    assert transport(server.url, fake).send("POST", "sms").status_code == 200
    assert (fake.waits, server.count) == ([2.0, 0.5], 3)


def test_a_retry_after_that_leaves_too_little_of_the_timeout_is_not_waited(
    serve: list[Scripted], fake: FakeTime
) -> None:
    server = scripted(serve, limited("2"), OK)
    # 2 s of a 6 s timeout would leave 4 s, less than the 5 s reserve... but the reserve is at
    # most half the timeout (3 s): waited. Of a 3 s timeout, 1 s is left, under 1.5 s: not.
    assert transport(server.url, fake, timeout=6.0).send("POST", "sms").status_code == 200
    assert fake.waits == [2.0]
    server.count = 0
    with pytest.raises(ProviderUnavailable, match="retry after 2 s"):
        transport(server.url, fake, timeout=3.0).send("POST", "sms")
    assert (fake.waits, server.count) == ([2.0], 1)


def test_the_default_policy_is_the_production_one() -> None:
    policy = DEFAULT_RETRY_POLICY
    assert (policy.connect_retries, policy.rate_limit_retries, policy.query_retries) == (3, 3, 2)
    assert (policy.backoff, policy.max_retry_after) == (0.25, 60.0)
    assert policy.min_query_timeout == 5.0
    assert (policy.sleep, policy.clock, policy.wall) == (time.sleep, time.monotonic, time.time)


def test_each_status_request_gets_the_policy_floor_and_at_most_30_s() -> None:
    from sms_cli.services.tracking import request_timeout

    previous = set_retry_policy(DEFAULT_RETRY_POLICY)
    try:
        # Production: `status --timeout 0` (or 1) still gives each request 5 s; never over 30 s.
        assert [request_timeout(t) for t in (0, 1, 12, 300)] == [5.0, 5.0, 12, 30.0]
        set_retry_policy(replace(DEFAULT_RETRY_POLICY, min_query_timeout=0.25))
        assert [request_timeout(t) for t in (0, 1, 300)] == [0.25, 1, 30.0]
    finally:
        set_retry_policy(previous)


def test_a_transport_takes_what_it_is_not_given_from_the_process_wide_policy(
    dead_url: str, fake: FakeTime
) -> None:
    policy = RetryPolicy(connect_retries=2, backoff=0.01, sleep=fake.sleep, clock=fake.clock)
    previous = set_retry_policy(policy)
    try:
        assert retry_policy() is policy
        built = Transport(dead_url, title="T", timeout=30)
        with pytest.raises(NetworkError):
            built.send("POST", "sms")
        assert fake.waits == [0.01, 0.02]
        # What a caller passes wins over the policy.
        fake.waits.clear()
        own = Transport(dead_url, title="T", timeout=30, connect_retries=1, backoff=0.5)
        with pytest.raises(NetworkError):
            own.send("POST", "sms")
        assert fake.waits == [0.5]
    finally:
        set_retry_policy(previous)
    assert retry_policy() is previous
