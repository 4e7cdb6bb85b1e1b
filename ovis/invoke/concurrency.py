"""Lambda's concurrency controls: the account limit, reserved pools, and throttling.

A function with reserved concurrency N runs at most N invocations at once, from a pool no other
function can use; every other function shares the unreserved pool (the account limit minus all
reservations). Over a limit, an invocation is refused with TooManyRequestsException and AWS's
Reason. Contract: event-loop thread only; ``acquire``/``release`` are O(1) and always paired.
"""

from __future__ import annotations

from ovis.errors import InvalidParameterValueException, TooManyRequestsException

MIN_UNRESERVED = 100  # AWS keeps at least this much for functions without a reservation


class ConcurrencyLimiter:
    def __init__(self, account_limit: int, reserved: dict[str, int] | None = None) -> None:
        self.account_limit = account_limit
        self.reserved: dict[str, int] = dict(reserved or {})
        self.in_flight: dict[str, int] = {}
        self.unreserved_in_flight = 0

    @property
    def unreserved_limit(self) -> int:
        return self.account_limit - sum(self.reserved.values())

    def acquire(self, name: str) -> None:
        """Count one invocation of ``name`` in, or raise the throttle AWS would."""
        current = self.in_flight.get(name, 0)
        limit = self.reserved.get(name)
        if limit is not None:
            if current >= limit:
                raise TooManyRequestsException(
                    "Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
                )
        elif self.unreserved_in_flight >= self.unreserved_limit:
            raise TooManyRequestsException(
                "Rate Exceeded.", Reason="ConcurrentInvocationLimitExceeded"
            )
        else:
            self.unreserved_in_flight += 1
        self.in_flight[name] = current + 1

    def release(self, name: str) -> None:
        current = self.in_flight.get(name, 0) - 1
        if current <= 0:
            self.in_flight.pop(name, None)
        else:
            self.in_flight[name] = current
        if name not in self.reserved:
            self.unreserved_in_flight -= 1

    def set_reserved(self, name: str, value: int | None) -> None:
        """Change a reservation; invocations already running finish in the pool they started in."""
        was_reserved = name in self.reserved
        if value is None:
            self.reserved.pop(name, None)
        else:
            self.reserved[name] = value
        # Move this function's running invocations between the shared and reserved counts.
        running = self.in_flight.get(name, 0)
        if was_reserved and value is None:
            self.unreserved_in_flight += running
        elif not was_reserved and value is not None:
            self.unreserved_in_flight -= running

    def check_reservation(self, name: str, value: int) -> None:
        """Raise if reserving ``value`` for ``name`` would leave too little unreserved."""
        others = sum(v for k, v in self.reserved.items() if k != name)
        if self.account_limit - others - value < MIN_UNRESERVED:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
            )
