"""Event buses: the ``default`` bus (always there, created on first start) and custom buses.

State: buses live in memory (loaded at start) and are written through to the store before a
call returns. ``resolve(name_or_arn)`` is how every operation finds a bus (EventBusName takes a
name or an ARN of this account and region). Deleting a bus deletes its rules (the caller's
job: ``EventBusService.delete_event_bus``). Contract: event-loop thread only.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from ovis.models.event_bus import DEFAULT_BUS, EventBusRecord
from ovis.services.events.errors import (
    ResourceAlreadyExistsException,
    ValidationException,
    bus_not_found,
)
from ovis.services.events.paging import page
from ovis.services.events.repository import EventBusRepository


@dataclass(frozen=True)
class Bus:
    record: EventBusRecord
    arn: str

    @property
    def name(self) -> str:
        return self.record.name

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Name": self.name,
            "Arn": self.arn,
            "CreationTime": self.record.created_ms / 1000,
            "LastModifiedTime": self.record.modified_ms / 1000,
        }
        if self.record.description:
            out["Description"] = self.record.description
        return out


class EventBuses:
    def __init__(self, store: EventBusRepository, region: str, account: str) -> None:
        self.store = store
        self.region = region
        self.account = account
        self._buses: dict[str, Bus] = {}

    def arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{name}"

    def load(self) -> None:
        records = {r.name: r for r in self.store.event_buses()}
        if DEFAULT_BUS not in records:
            now = int(time.time() * 1000)
            records[DEFAULT_BUS] = EventBusRecord(DEFAULT_BUS, "", now, now)
            self.store.put_event_bus(records[DEFAULT_BUS])
        self._buses = {n: Bus(r, self.arn(n)) for n, r in records.items()}

    def name_of(self, name_or_arn: str | None) -> str:
        """The bus name EventBusName gives (default when not given), without checking it."""
        if not name_or_arn:
            return DEFAULT_BUS
        if name_or_arn.startswith("arn:"):
            prefix = f"arn:aws:events:{self.region}:{self.account}:event-bus/"
            if not name_or_arn.startswith(prefix):
                return name_or_arn  # another account's or region's bus: never found here
            return name_or_arn[len(prefix) :]
        return name_or_arn

    def resolve(self, name_or_arn: str | None) -> Bus:
        name = self.name_of(name_or_arn)
        bus = self._buses.get(name)
        if bus is None:
            raise bus_not_found(name)
        return bus

    def get(self, name: str) -> Bus | None:
        return self._buses.get(name)

    def all(self) -> list[Bus]:
        return [self._buses[n] for n in sorted(self._buses)]

    async def create(self, name: str, description: str | None) -> Bus:
        if name in self._buses:
            raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
        if "/" in name:  # partner buses (aws.partner/...) come from event sources
            raise ValidationException("Event bus name must not contain '/'.")
        if name.startswith("aws."):
            raise ValidationException("Event bus name must not start with 'aws.'.")
        now = int(time.time() * 1000)
        record = EventBusRecord(name, description or "", now, now)
        await asyncio.to_thread(self.store.put_event_bus, record)
        bus = self._buses[name] = Bus(record, self.arn(name))
        return bus

    async def update(self, name: str | None, description: str | None) -> Bus:
        bus = self.resolve(name)
        record = EventBusRecord(
            bus.name, description or "", bus.record.created_ms, int(time.time() * 1000)
        )
        await asyncio.to_thread(self.store.put_event_bus, record)
        bus = self._buses[bus.name] = Bus(record, bus.arn)
        return bus

    def check_deletable(self, name: str) -> None:
        if name == DEFAULT_BUS:
            raise ValidationException("Cannot delete event bus default.")

    async def delete(self, name: str) -> None:
        """Drop the bus and its rules from the store; deleting a missing bus is a no-op."""
        self.check_deletable(name)
        if name not in self._buses:
            return
        await asyncio.to_thread(self.store.delete_event_bus, name)
        self._buses.pop(name, None)

    def list(
        self, prefix: str | None, limit: int | None, token: str | None
    ) -> tuple[list[Bus], str | None]:
        buses = [b for b in self.all() if b.name.startswith(prefix or "")]
        return page(buses, limit, token)
