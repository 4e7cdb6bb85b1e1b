"""The concurrency limiter: the account limit, reserved carve-outs and AWS's throttle reasons."""

from __future__ import annotations

import pytest

from ovis.errors import InvalidParameterValueException, TooManyRequestsException
from ovis.invoke.concurrency import MIN_UNRESERVED, ConcurrencyLimiter


def throttle_reason(limiter: ConcurrencyLimiter, name: str) -> object:
    """The Reason of the throttle ``acquire(name)`` raises, as the response body carries it."""
    with pytest.raises(TooManyRequestsException) as e:
        limiter.acquire(name)
    assert e.value.message == "Rate Exceeded."
    return e.value.extra["Reason"]


def test_the_account_limit_is_shared_by_functions_without_a_reservation() -> None:
    limiter = ConcurrencyLimiter(2)
    limiter.acquire("a")
    limiter.acquire("b")
    assert throttle_reason(limiter, "a") == "ConcurrentInvocationLimitExceeded"
    limiter.release("b")
    limiter.acquire("a")
    assert limiter.in_flight == {"a": 2}
    assert limiter.unreserved_in_flight == 2


def test_a_reservation_is_a_pool_of_its_own_carved_out_of_the_account() -> None:
    limiter = ConcurrencyLimiter(5, {"r": 2})
    assert limiter.unreserved_limit == 3
    limiter.acquire("r")
    limiter.acquire("r")
    assert throttle_reason(limiter, "r") == "ReservedFunctionConcurrentInvocationLimitExceeded"
    for _ in range(3):  # the others still get the whole unreserved pool
        limiter.acquire("other")
    assert throttle_reason(limiter, "x") == "ConcurrentInvocationLimitExceeded"
    assert limiter.unreserved_in_flight == 3  # reserved invocations do not count there


def test_a_reservation_of_zero_throttles_every_invocation() -> None:
    limiter = ConcurrencyLimiter(10, {"off": 0})
    assert throttle_reason(limiter, "off") == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_release_pairs_with_acquire_and_forgets_idle_functions() -> None:
    limiter = ConcurrencyLimiter(10, {"r": 1})
    limiter.acquire("r")
    limiter.acquire("u")
    limiter.release("r")
    limiter.release("u")
    assert limiter.in_flight == {} and limiter.unreserved_in_flight == 0


def test_changing_a_reservation_moves_running_invocations_between_pools() -> None:
    limiter = ConcurrencyLimiter(10)
    limiter.acquire("f")
    limiter.acquire("f")
    limiter.set_reserved("f", 5)
    assert limiter.unreserved_in_flight == 0 and limiter.unreserved_limit == 5
    limiter.release("f")  # finishes in the reserved pool
    limiter.set_reserved("f", None)
    assert limiter.unreserved_in_flight == 1 and limiter.unreserved_limit == 10
    limiter.release("f")
    assert limiter.unreserved_in_flight == 0


def test_a_reservation_must_leave_the_minimum_unreserved() -> None:
    limiter = ConcurrencyLimiter(1000, {"a": 800})
    limiter.check_reservation("b", 1000 - 800 - MIN_UNRESERVED)
    limiter.check_reservation("a", 900)  # its own current reservation does not count
    with pytest.raises(InvalidParameterValueException, match=str(MIN_UNRESERVED)):
        limiter.check_reservation("b", 1000 - 800 - MIN_UNRESERVED + 1)
