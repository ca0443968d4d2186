"""
The datastore's circuit breaker: while the datastore is known down, calls fail at once; after each cool-down one
call probes, and the first answer closes the breaker again (no restart needed).
"""

import pytest

from fahrplan.services.breaker import CircuitBreaker, State
from fahrplan.types import DatastoreUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock) -> CircuitBreaker:
    return CircuitBreaker(cooldown=2.0, clock=clock)


def test_closed_lets_every_call_through(breaker):
    for _ in range(3):
        breaker.before_call()
        breaker.succeeded()
    assert breaker.state is State.CLOSED and breaker.retry_after() == 0


def test_one_failure_opens_it_and_calls_fail_fast_until_the_cooldown_is_over(breaker, clock):
    """A failed call already waited its deadline (its retries included): the next ones must not wait again."""
    breaker.before_call()
    breaker.failed("lookup: no answer within the deadline")
    assert breaker.state is State.OPEN
    clock.now += 1.9
    with pytest.raises(DatastoreUnavailable, match="circuit open"):
        breaker.before_call()
    assert breaker.retry_after() == pytest.approx(0.1)


def test_after_the_cooldown_one_call_probes_and_others_keep_failing_fast(breaker, clock):
    breaker.failed("unreachable")
    clock.now += 2.0
    breaker.before_call()  # the probe
    assert breaker.state is State.HALF_OPEN
    with pytest.raises(DatastoreUnavailable):
        breaker.before_call()  # a second request while the probe runs


def test_a_probe_that_gets_an_answer_closes_it(breaker, clock):
    """Recovery without a restart: the first answer after the outage serves everyone again."""
    breaker.failed("unreachable")
    clock.now += 2.0
    breaker.before_call()
    breaker.succeeded()
    assert breaker.state is State.CLOSED
    breaker.before_call()


def test_a_probe_that_fails_opens_it_for_another_cooldown(breaker, clock):
    breaker.failed("unreachable")
    clock.now += 2.0
    breaker.before_call()
    breaker.failed("still unreachable")
    assert breaker.state is State.OPEN
    clock.now += 1.0
    with pytest.raises(DatastoreUnavailable, match="still unreachable"):
        breaker.before_call()
    clock.now += 1.0
    breaker.before_call()  # the next probe


def test_a_late_answer_of_a_call_started_before_the_outage_closes_it(breaker):
    """Any answer proves the datastore reachable, also one that began before the breaker opened."""
    breaker.failed("unreachable")
    breaker.succeeded()
    assert breaker.state is State.CLOSED
