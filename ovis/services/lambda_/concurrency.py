"""Reserved concurrency use cases: Put/Get/DeleteFunctionConcurrency."""

from __future__ import annotations

import asyncio

from ovis.errors import InvalidParameterValueException
from ovis.invoke.concurrency import ConcurrencyLimiter
from ovis.invoke.repositories import ReservedConcurrencyRepository
from ovis.models.function import LATEST
from ovis.services.lambda_.functions import FunctionService


class ConcurrencyService:
    def __init__(
        self,
        functions: FunctionService,
        limiter: ConcurrencyLimiter,
        store: ReservedConcurrencyRepository,
    ) -> None:
        self.functions = functions
        self.store = store
        self.limiter = limiter

    def _name(self, text: str) -> str:
        name, q = self.functions.ref(text)
        if q not in (None, LATEST):
            raise InvalidParameterValueException(
                "Reserved concurrency applies to the function, not to a version or alias: "
                "specify an unqualified function name."
            )
        self.functions.get_config(name)  # ResourceNotFoundException if missing
        return name

    async def put(self, text: str, reserved: int) -> int:
        name = self._name(text)
        self.limiter.check_reservation(name, reserved)
        await asyncio.to_thread(self.store.put_reserved_concurrency, name, reserved)
        self.limiter.set_reserved(name, reserved)
        return reserved

    def get(self, text: str) -> int | None:
        return self.limiter.reserved.get(self._name(text))

    async def delete(self, text: str) -> None:
        name = self._name(text)
        await asyncio.to_thread(self.store.put_reserved_concurrency, name, None)
        self.limiter.set_reserved(name, None)
