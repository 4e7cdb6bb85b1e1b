"""MappingService: the event source mapping API's use cases, and what the runner and the
pollers read.

Contract:
- Every write validates fully, is stored (durable) and only then changes the in-memory view
  and notifies the listeners (the runner) with the mapping's UUID; a refused request stores
  nothing. Writes are serialized (one at a time), so two creates of one function and source
  cannot both succeed.
- Create answers ``Creating``, Update ``Updating`` (``Enabling``/``Disabling`` when only
  Enabled changed), Delete ``Deleting``; the runner moves the mapping on (``settle``,
  ``forget``), compare-and-set against the value it saw, so a user's newer write always wins.
- A mapping outlives its function: deleting the function leaves it (and its poller) as it is;
  its pollers keep the items until the function exists again.
- ``current(uuid)`` (no I/O) is what a poller's factory reads; ``stats`` holds the running
  pollers' counters (set by the runner), from which LastProcessingResult is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid as uuids
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ovis.errors import ApiError, InvalidParameterValueException, ResourceConflictException
from ovis.models.event_source import QueueInfo
from ovis.models.event_source_mapping import (
    EventSourceMapping,
    MappingState,
    SourceKind,
    source_kind,
)
from ovis.models.function import LATEST
from ovis.services.lambda_.esm.commands import CreateMapping, MappingSettings, UpdateMapping
from ovis.services.lambda_.esm.errors import ResourceInUseException, mapping_not_found
from ovis.services.lambda_.esm.poller import MappingStats
from ovis.services.lambda_.esm.repository import MappingRepository
from ovis.services.lambda_.esm.sources import StreamSource
from ovis.services.lambda_.esm.validation import (
    STREAM_KINDS,
    check_create,
    check_mapping,
    check_settings,
    queue_not_found,
    stream_not_found,
    unrecognized_source,
)
from ovis.services.lambda_.esm.wire import render
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.paging import paginate
from ovis.services.lambda_.repositories import TagRepository
from ovis.storage.errors import ConflictError

log = logging.getLogger(__name__)

SUPPORTED_KINDS = (SourceKind.SQS, SourceKind.KINESIS)
QUEUE_BATCH = 10  # AWS's default BatchSize for queues
STREAM_BATCH = 100  # ... and for streams


class QueueLookup(Protocol):
    """What validation needs of the queue service (``SqsQueueSource`` has it)."""

    def queue_info(self, arn: str) -> QueueInfo | None: ...


Listener = Callable[[str], None]


def _now() -> float:
    return round(time.time(), 3)


class MappingService:
    def __init__(
        self,
        functions: FunctionService,
        store: MappingRepository,
        tags: TagRepository,
        queues: QueueLookup,
        streams: StreamSource | None = None,
    ) -> None:
        self.functions = functions
        self.store = store
        self.tag_store = tags
        self.queues = queues
        self.streams = streams  # None: no stream service, every stream ARN "does not exist"
        self.region = functions.settings.region
        self.account_id = functions.settings.account_id
        self.mappings: dict[str, EventSourceMapping] = {}
        self.stats: dict[str, MappingStats] = {}  # uuid -> its poller's counters (the runner)
        self._listeners: list[Listener] = []
        self._lock = asyncio.Lock()

    # ---- the runner's side ------------------------------------------------------------------

    async def load(self) -> None:
        loaded = await asyncio.to_thread(self.store.esm_mappings)
        self.mappings = {m.uuid: m for m in loaded}

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _notify(self, uuid: str) -> None:
        for listener in list(self._listeners):
            listener(uuid)

    def current(self, uuid: str) -> EventSourceMapping | None:
        """The mapping as stored now (None once deleted); no I/O."""
        return self.mappings.get(uuid)

    def all(self) -> list[EventSourceMapping]:
        return list(self.mappings.values())

    def last_result(self, uuid: str) -> str | None:
        st = self.stats.get(uuid)
        return st.last_processing_result if st is not None else None

    async def settle(self, seen: EventSourceMapping, state: MappingState) -> bool:
        """Store ``seen`` in ``state`` (the runner finished a transition) unless the mapping
        changed since the runner read it; True if stored."""
        async with self._lock:
            if self.mappings.get(seen.uuid) is not seen:
                return False
            result = self.last_result(seen.uuid) or seen.last_processing_result
            new = dataclasses.replace(
                seen, state=state, last_modified=_now(), last_processing_result=result
            )
            await asyncio.to_thread(self.store.esm_put, new)
            self.mappings[new.uuid] = new
            return True

    async def forget(self, seen: EventSourceMapping) -> bool:
        """Finish a deletion: remove the mapping and its tags (if still as seen)."""
        async with self._lock:
            if self.mappings.get(seen.uuid) is not seen:
                return False
            await asyncio.to_thread(self.store.esm_delete, seen.uuid, self.arn(seen.uuid))
            del self.mappings[seen.uuid]
            self.stats.pop(seen.uuid, None)
            return True

    # ---- lookups ----------------------------------------------------------------------------

    def arn(self, uuid: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:event-source-mapping:{uuid}"

    def render(self, m: EventSourceMapping) -> dict[str, Any]:
        return render(m, self.arn(m.uuid), self.last_result(m.uuid))

    def get(self, uuid: str) -> EventSourceMapping:
        m = self.mappings.get(uuid)
        if m is None:
            raise mapping_not_found()
        return m

    def list(
        self,
        function_name: str | None,
        event_source_arn: str | None,
        marker: str | None,
        max_items: int | None,
    ) -> tuple[list[EventSourceMapping], str | None]:
        items = sorted(self.mappings.values(), key=lambda m: m.uuid)
        if function_name is not None:
            name, q = self.functions.ref(function_name)
            arn = self.functions.arn(name, q)
            items = [m for m in items if m.function_arn == arn]
        if event_source_arn is not None:
            items = [m for m in items if m.event_source_arn == event_source_arn]
        return paginate(items, marker, max_items, key=lambda m: m.uuid, sorted_by_key=True)

    # ---- validation helpers -----------------------------------------------------------------

    def _function(self, text: str) -> tuple[str, int]:
        """(FunctionArn as AWS reports it, the function's timeout) of a FunctionName."""
        name, q = self.functions.ref(text)
        if self.functions.registry.get(name, LATEST) is None:
            raise InvalidParameterValueException("Function does not exist")
        cfg = self.functions.get_config(name, q)  # 404 for a missing version or alias
        return self.functions.arn(name, q), cfg.timeout

    def _source(self, arn: str | None) -> tuple[SourceKind, QueueInfo | None]:
        kind = source_kind(arn) if arn else None
        if arn is None or kind is None:
            raise unrecognized_source(arn)
        if kind not in SUPPORTED_KINDS:
            raise InvalidParameterValueException(
                f"Event source mappings of {kind.value} sources are not supported by this "
                f"server yet: {arn}"
            )
        if kind == SourceKind.SQS:
            queue = self.queues.queue_info(arn)
            if queue is None:
                raise queue_not_found()
            return kind, queue
        if self.streams is None or not self.streams.stream_exists(arn):
            raise stream_not_found(arn)
        return kind, None

    def _function_timeout(self, function_arn: str) -> int:
        """The timeout of the function a stored mapping names (0 if it is gone)."""
        try:
            return self._function(function_arn)[1]
        except ApiError:  # the function was deleted: nothing to compare with
            return 0

    def _conflict(self, function_arn: str, source: str, name: str, skip: str = "") -> None:
        for other in self.mappings.values():
            if (
                other.uuid != skip
                and other.function_arn == function_arn
                and other.event_source_arn == source
            ):
                raise conflict(other, name)

    # ---- use cases --------------------------------------------------------------------------

    async def create(self, cmd: CreateMapping) -> EventSourceMapping:
        async with self._lock:
            function_arn, timeout = self._function(cmd.function_name)
            kind, queue = self._source(cmd.event_source_arn)
            assert cmd.event_source_arn is not None  # _source refused a missing one
            check_settings(cmd.settings, kind)
            check_create(cmd, kind)
            m = _with_settings(_defaults(cmd, kind, function_arn), cmd.settings)
            check_mapping(m, queue, timeout)
            name = self.functions.ref(cmd.function_name)[0]
            self._conflict(function_arn, m.event_source_arn, name)
            try:
                await asyncio.to_thread(self.store.esm_insert, m, self.arn(m.uuid), cmd.tags)
            except ConflictError:  # another process created the same pair meanwhile
                raise ResourceConflictException(
                    f"A mapping of function {function_arn} and {m.event_source_arn} already exists."
                ) from None
            self.mappings[m.uuid] = m
        self._notify(m.uuid)
        return m

    async def update(self, cmd: UpdateMapping) -> EventSourceMapping:
        async with self._lock:
            m = self.get(cmd.uuid)
            if m.state == MappingState.DELETING:
                raise ResourceInUseException(
                    "Cannot update the event source mapping because it is in use."
                )
            kind = m.source
            if kind is None:  # stored by a version that knew more kinds
                raise unrecognized_source(m.event_source_arn)
            check_settings(cmd.settings, kind)
            new = _with_settings(m, cmd.settings)
            if cmd.function_name is not None:
                function_arn, timeout = self._function(cmd.function_name)
                name = self.functions.ref(cmd.function_name)[0]
                self._conflict(function_arn, m.event_source_arn, name, skip=m.uuid)
                new = dataclasses.replace(new, function_arn=function_arn)
            else:
                timeout = self._function_timeout(m.function_arn)
            queue = self.queues.queue_info(m.event_source_arn) if kind == SourceKind.SQS else None
            check_mapping(new, queue, timeout)
            only_enabled = dataclasses.replace(new, enabled=m.enabled) == m
            if only_enabled and new.enabled != m.enabled:
                state = MappingState.ENABLING if new.enabled else MappingState.DISABLING
            else:
                state = MappingState.UPDATING
            new = dataclasses.replace(
                new, state=state, last_modified=_now(), state_transition_reason=user_reason(kind)
            )
            await asyncio.to_thread(self.store.esm_put, new)
            self.mappings[new.uuid] = new
        self._notify(new.uuid)
        return new

    async def delete(self, uuid: str) -> EventSourceMapping:
        async with self._lock:
            m = self.get(uuid)
            if m.state != MappingState.DELETING:
                m = dataclasses.replace(m, state=MappingState.DELETING, last_modified=_now())
                await asyncio.to_thread(self.store.esm_put, m)
                self.mappings[uuid] = m
        self._notify(uuid)
        return m

    # ---- tags on the mapping's ARN ------------------------------------------------------------

    def is_mapping_arn(self, arn: str) -> bool:
        return ":event-source-mapping:" in arn

    def _tag_target(self, arn: str) -> str:
        uuid = arn.rsplit(":", 1)[-1]
        if arn != self.arn(uuid) or uuid not in self.mappings:
            raise mapping_not_found()
        return arn

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        async with self._lock:
            await asyncio.to_thread(self.tag_store.put_tags, self._tag_target(arn), dict(tags))

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        async with self._lock:
            await asyncio.to_thread(self.tag_store.delete_tags, self._tag_target(arn), keys)

    async def tags(self, arn: str) -> dict[str, str]:
        return await asyncio.to_thread(self.tag_store.get_tags, self._tag_target(arn))


def user_reason(kind: SourceKind) -> str:
    """StateTransitionReason of a user's change: AWS words it per source kind."""
    return "USER_INITIATED" if kind == SourceKind.SQS else "User action"


def conflict(existing: EventSourceMapping, function_name: str) -> ResourceConflictException:
    """AWS's words for a second mapping of one function and source (SQS words it its own way)."""
    if existing.source == SourceKind.SQS:
        return ResourceConflictException(
            f'An event source mapping with SQS arn (" {existing.event_source_arn} ") and '
            f'function (" {function_name} ") already exists. Please update or delete the '
            f"existing mapping with UUID {existing.uuid}"
        )
    return ResourceConflictException(
        f'The event source arn (" {existing.event_source_arn} ") and function '
        f'(" {function_name} ") provided mapping already exists. Please update or delete the '
        f"existing mapping with UUID {existing.uuid}"
    )


def _defaults(cmd: CreateMapping, kind: SourceKind, function_arn: str) -> EventSourceMapping:
    """A new mapping with AWS's defaults for its kind (before the given settings apply)."""
    assert cmd.event_source_arn is not None
    enabled = cmd.settings.enabled is not False
    base = EventSourceMapping(
        uuid=str(uuids.uuid4()),
        function_arn=function_arn,
        event_source_arn=cmd.event_source_arn,
        batch_size=QUEUE_BATCH if kind == SourceKind.SQS else STREAM_BATCH,
        maximum_batching_window_s=0,
        state=MappingState.CREATING,
        enabled=enabled,
        last_modified=_now(),
    )
    if kind not in STREAM_KINDS:
        return base
    return dataclasses.replace(
        base,
        state_transition_reason=user_reason(kind),
        starting_position=cmd.starting_position,
        starting_position_timestamp=cmd.starting_position_timestamp,
        parallelization_factor=1,
        maximum_record_age_s=-1,
        bisect_batch_on_function_error=False,
        maximum_retry_attempts=-1,
        tumbling_window_s=0,
    )


def _with_settings(m: EventSourceMapping, s: MappingSettings) -> EventSourceMapping:
    """``m`` with every given setting applied (None: keep the value ``m`` has)."""
    changes: dict[str, Any] = {}
    for attr in (
        "enabled",
        "batch_size",
        "maximum_batching_window_s",
        "filter_patterns",
        "function_response_types",
        "metrics",
        "parallelization_factor",
        "maximum_record_age_s",
        "bisect_batch_on_function_error",
        "maximum_retry_attempts",
        "tumbling_window_s",
    ):
        value = getattr(s, attr)
        if value is not None:
            changes[attr] = value
    if s.scaling_given:
        changes["scaling_maximum_concurrency"] = s.scaling_maximum_concurrency
    if s.kms_key_arn is not None:
        changes["kms_key_arn"] = s.kms_key_arn or None  # "" clears it
    if s.destinations is not None:
        changes["on_failure_destination"] = s.destinations.on_failure
    return dataclasses.replace(m, **changes)
