"""EventBusService: EventBridge-compatible event buses, in process and behind ``operations``.

In-process use (EventBridge Scheduler's bus targets)::

    event_id = await events.put_event(bus_name_or_arn, source, detail_type, detail, resources)

matches the event against the bus's rules and returns once every matched delivery is stored
(durable on return); it raises ``DeliveryError`` (ovis.invoke.destinations) for a missing bus
or a Detail that is not a JSON object.

It is a ``Component`` (``start`` loads buses, rules and fire slots and starts the supervised
``events-delivery`` and ``events-schedules`` loops; ``close`` stops them; deliveries left in
the outbox are delivered after the next start). Targets reach other services only through
the protocols of ``targets`` (None: that kind of target is refused at PutTargets).
Contract: event-loop thread only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from ovis.invoke.destinations import DeliveryError, FunctionTriggers, QueueSender, TopicSender
from ovis.models.event_bus import EventDelivery
from ovis.models.event_pattern import compile_pattern
from ovis.services.events import event as events
from ovis.services.events.buses import Bus, EventBuses
from ovis.services.events.delivery import LOOP as DELIVERY_LOOP
from ovis.services.events.delivery import Deliveries, Failure, plan
from ovis.services.events.errors import ValidationException, bus_not_found, rule_not_found
from ovis.services.events.operations import EventsApi
from ovis.services.events.repository import EventBusRepository, EventTagRepository
from ovis.services.events.rules import Rules
from ovis.services.events.schedules import LOOP as SCHEDULE_LOOP
from ovis.services.events.schedules import ScheduledRules
from ovis.services.table import ServiceTable
from ovis.settings import Settings
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

MAX_HOPS = 16  # bus-to-bus forwards of one event before it is dropped (a loop of buses)
MAX_TAGS = 50
TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def _now_ms() -> int:
    return int(time.time() * 1000)


class EventBusService:
    name = "event-buses"

    def __init__(
        self,
        store: EventBusRepository,
        tags: EventTagRepository,
        settings: Settings,
        *,
        supervisor: Supervisor,
        functions: FunctionTriggers | None = None,
        queues: QueueSender | None = None,
        topics: TopicSender | None = None,
    ) -> None:
        self.store = store
        self.tags = tags
        self.supervisor = supervisor
        self.account = settings.account_id
        self.region = settings.region
        self.buses = EventBuses(store, self.region, self.account)
        self.deliveries = Deliveries(
            store,
            self.account,
            forward=self._forward,
            functions=functions,
            queues=queues,
            topics=topics,
            time_scale=settings.events_time_scale,
        )
        self.rules = Rules(store, tags, self.buses, can_deliver=self.deliveries.can_deliver)
        self.schedules = ScheduledRules(
            self.rules,
            store,
            self.deliveries,
            self.account,
            self.region,
            settings.events_time_scale,
        )
        self.rules.on_change = self.schedules.replan
        self.rules.on_enable = self.schedules.skip_missed

    # ---- lifecycle -------------------------------------------------------------------------

    def load(self) -> None:
        self.buses.load()
        self.rules.load()
        self.schedules.load()

    async def start(self) -> None:
        await asyncio.to_thread(self.load)
        self.supervisor.loop(DELIVERY_LOOP, self.deliveries.step)
        self.supervisor.loop(SCHEDULE_LOOP, self.schedules.step)

    async def close(self) -> None:
        await self.supervisor.stop(SCHEDULE_LOOP)
        await self.supervisor.stop(DELIVERY_LOOP)

    # ---- buses -----------------------------------------------------------------------------

    async def create_event_bus(
        self, name: str, description: str | None, tags: dict[str, str]
    ) -> Bus:
        self._check_tags(tags)
        bus = await self.buses.create(name, description)
        if tags:
            await asyncio.to_thread(self.tags.put_tags, bus.arn, tags)
        return bus

    async def delete_event_bus(self, name: str) -> None:
        bus = self.buses.get(name)
        self.buses.check_deletable(name)
        if bus is None:
            return
        await self.buses.delete(name)
        for rule in self.rules.forget_bus(name):
            await asyncio.to_thread(self.tags.delete_tags, rule.arn)
        await asyncio.to_thread(self.tags.delete_tags, bus.arn)

    # ---- events ----------------------------------------------------------------------------

    def _plan(
        self, bus: str, event: dict[str, Any], now_ms: int, hops: int = 0
    ) -> list[EventDelivery]:
        rules = self.rules.matching(bus, event)
        if not rules:
            return []  # an event no rule matches goes nowhere (as on AWS)
        event_json = json.dumps(event)
        return [d for rule in rules for d in plan(rule, event, event_json, now_ms, hops)]

    def _forward(self, bus: str, event: dict[str, Any], hops: int) -> list[EventDelivery]:
        if self.buses.get(bus) is None:
            raise Failure("NO_RESOURCE", f"Event bus {bus} does not exist.", False)
        if hops > MAX_HOPS:
            log.warning("event %s dropped: forwarded between buses %d times", event["id"], hops)
            return []
        return self._plan(bus, event, _now_ms(), hops)

    async def put_events(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """PutEvents: one result per entry (EventId, or ErrorCode and ErrorMessage), every
        matched delivery committed before it returns."""
        total = sum(events.entry_size(e) for e in entries)
        if total > events.MAX_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        now = _now_ms()
        results: list[dict[str, Any]] = []
        batch: list[EventDelivery] = []
        for entry in entries:
            ev = events.from_entry(entry, self.account, self.region, now)
            if isinstance(ev, events.EntryError):
                results.append({"ErrorCode": ev.code, "ErrorMessage": ev.message})
                continue
            name = self.buses.name_of(entry.get("EventBusName"))
            if self.buses.get(name) is None:
                err = bus_not_found(name)
                results.append({"ErrorCode": err.code, "ErrorMessage": err.message})
                continue
            batch.extend(self._plan(name, ev, now))
            results.append({"EventId": ev["id"]})
        await self.deliveries.add(batch)
        return results

    async def put_event(
        self,
        bus_name_or_arn: str,
        source: str,
        detail_type: str,
        detail: str,
        resources: list[str] | None = None,
    ) -> str:
        """The in-process PutEvents of one event (module docstring)."""
        name = self.buses.name_of(bus_name_or_arn)
        if self.buses.get(name) is None:
            raise DeliveryError(f"ResourceNotFoundException: Event bus {name} does not exist.")
        try:
            doc = json.loads(detail)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise DeliveryError("MalformedDetail: Detail is malformed.")
        now = _now_ms()
        ev = events.envelope(
            source=source,
            detail_type=detail_type,
            detail=doc,
            resources=list(resources or ()),
            account=self.account,
            region=self.region,
            time_ms=now,
        )
        await self.deliveries.add(self._plan(name, ev, now))
        return str(ev["id"])

    @staticmethod
    def test_event_pattern(pattern: str, event: str) -> bool:
        compiled = compile_pattern(pattern)  # InvalidEventPatternException first, as AWS
        try:
            doc = json.loads(event)
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or any(k not in doc for k in TEST_EVENT_FIELDS):
            raise ValidationException("Parameter Event is not valid.")
        return compiled.matches(doc)

    # ---- tags ------------------------------------------------------------------------------

    def _resource(self, arn: str) -> str:
        """The ARN if it names a bus or rule of this server; ResourceNotFoundException if not."""
        bus_prefix = f"arn:aws:events:{self.region}:{self.account}:event-bus/"
        if arn.startswith(bus_prefix):
            name = arn[len(bus_prefix) :]
            if self.buses.get(name) is None:
                raise bus_not_found(name)
            return arn
        if self.rules.by_arn(arn) is None:
            tail = arn.rsplit(":rule/", 1)[-1]
            bus, _, rule = tail.rpartition("/")
            raise rule_not_found(rule, bus or "default")
        return arn

    @staticmethod
    def _check_tags(tags: dict[str, str]) -> None:
        if len(tags) > MAX_TAGS:
            raise ValidationException(f"A resource can have at most {MAX_TAGS} tags.")
        if any(k.startswith("aws:") for k in tags):
            raise ValidationException("Tag keys must not start with 'aws:'.")

    async def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        self._check_tags(tags)
        await asyncio.to_thread(self.tags.put_tags, self._resource(arn), tags)

    async def untag_resource(self, arn: str, keys: list[str]) -> None:
        await asyncio.to_thread(self.tags.delete_tags, self._resource(arn), keys)

    async def list_tags(self, arn: str) -> dict[str, str]:
        return await asyncio.to_thread(self.tags.get_tags, self._resource(arn))


def events_service(service: EventBusService) -> ServiceTable:
    """The EventBridge service package's face to the front door."""
    return ServiceTable("events", EventsApi(service).handlers)
