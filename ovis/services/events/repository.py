"""What the event bus service stores: buses, rules (with their targets), the delivery outbox,
and the last slot each scheduled rule fired for; and the tags of buses and rules (kept with
every other resource's tags, under the bus's or rule's ARN).

Contract (whatever the backend): synchronous, thread-safe, durable on return; every write is
one transaction, all-or-nothing. Errors are ``ovis.storage.errors`` types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ovis.models.event_bus import EventBusRecord, EventDelivery, RuleRecord


class EventBusRepository(Protocol):
    def event_buses(self) -> list[EventBusRecord]: ...
    def put_event_bus(self, bus: EventBusRecord) -> None: ...
    def delete_event_bus(self, name: str) -> None:
        """The bus and every rule on it (and those rules' fire slots)."""
        ...

    def event_rules(self) -> list[RuleRecord]: ...
    def put_event_rule(self, rule: RuleRecord) -> None:
        """Create or replace the rule (bus, name)."""
        ...

    def delete_event_rule(self, bus: str, name: str, rule_arn: str) -> None:
        """The rule and its fire slot; a missing rule is a no-op."""
        ...

    # --- the outbox ---
    def add_event_deliveries(self, deliveries: list[EventDelivery]) -> None:
        """Store every delivery in one transaction (one fsync): the group commit of PutEvents."""
        ...

    def due_event_deliveries(self, now_ms: int, limit: int) -> list[EventDelivery]:
        """Up to ``limit`` deliveries with next_ms <= now_ms, earliest due first."""
        ...

    def next_event_delivery_ms(self) -> int | None:
        """When the earliest stored delivery is due (None: the outbox is empty)."""
        ...

    def settle_event_deliveries(
        self,
        done: Iterable[str],
        retries: Iterable[tuple[str, int, int]],
        added: Iterable[EventDelivery] = (),
    ) -> None:
        """In one transaction: delete the ``done`` deliveries, set (attempts, next_ms) of each
        ``retries`` entry (delivery id, attempts, next_ms), and store ``added`` (events a
        bus-to-bus delivery forwarded), so a forward is exactly-once."""
        ...

    def pending_event_deliveries(self) -> int: ...

    # --- scheduled rules ---
    def schedule_fires(self) -> dict[str, int]:
        """Rule ARN -> the scheduled time (ms) of the last slot it fired for."""
        ...

    def fire_schedule(self, rule_arn: str, slot_ms: int, deliveries: list[EventDelivery]) -> None:
        """Record that ``rule_arn`` fired for ``slot_ms`` and store its deliveries, atomically:
        a slot is fired once, across crashes."""
        ...


class EventTagRepository(Protocol):
    """Tags by ARN; ``put_tags`` adds or overwrites keys, ``delete_tags(arn)`` drops all."""

    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...
