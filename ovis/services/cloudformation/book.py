"""The stacks, their resources and change sets the service knows, in memory over the
repository: every write goes to the repository first (durable on return) and only then to
the in-memory view the API answers from, so what a client sees was persisted.

Single event loop: the maps are read and written only from it (writes await the repository
in a thread, then update the maps); nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
import secrets
import string
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace

from ovis.models.stack import ChangeSet, Stack, StackEvent, StackResource
from ovis.services.cloudformation.repository import StackRepository

STACK_TYPE = "AWS::CloudFormation::Stack"
_TOKEN_CHARS = string.ascii_uppercase + string.digits


def new_token() -> str:
    """A resource's 12-character token (its generated name's suffix)."""
    return "".join(secrets.choice(_TOKEN_CHARS) for _ in range(12))


class StackBook:
    def __init__(self, repo: StackRepository) -> None:
        self.repo = repo
        self.stacks: dict[str, Stack] = {}  # by stack id, in creation order
        self.resources: dict[str, dict[str, StackResource]] = {}  # stack id -> logical id ->
        self.change_sets: dict[str, ChangeSet] = {}  # by change set id
        # saves one at a time, events stamped in commit order: newest first by time and by
        # sequence are the same order
        self._lock = asyncio.Lock()
        self._last_stamp = 0.0

    def load(self) -> None:
        self.stacks = {s.stack_id: s for s in self.repo.cfn_stacks()}
        self.resources = {
            sid: {r.logical_id: r for r in self.repo.cfn_resources(sid)} for sid in self.stacks
        }
        self.change_sets = {c.change_set_id: c for c in self.repo.cfn_change_sets()}

    # ---- reads

    def live(self) -> list[Stack]:
        return [s for s in self.stacks.values() if s.status != "DELETE_COMPLETE"]

    def by_name(self, name: str) -> Stack | None:
        """The live stack named ``name`` (one at most)."""
        return next((s for s in self.live() if s.name == name), None)

    def find(self, name_or_id: str) -> Stack | None:
        """A stack by name (live ones only) or by id (deleted ones too), as AWS addresses."""
        if name_or_id.startswith("arn:"):
            return self.stacks.get(name_or_id)
        return self.by_name(name_or_id)

    def resources_of(self, stack_id: str) -> dict[str, StackResource]:
        return self.resources.get(stack_id, {})

    # ---- writes (persisted first)

    async def save(
        self,
        *,
        stack: Stack | None = None,
        resources: Sequence[StackResource] = (),
        events: Sequence[StackEvent] = (),
        removed: Sequence[str] = (),
        stack_id: str = "",
    ) -> None:
        sid = stack.stack_id if stack is not None else stack_id
        async with self._lock:
            stamped = []
            for e in events:
                self._last_stamp = max(time.time(), self._last_stamp + 0.001)
                stamped.append(replace(e, timestamp=round(self._last_stamp, 3)))
            await asyncio.to_thread(
                self.repo.cfn_save,
                stack=stack,
                resources=resources,
                events=stamped,
                removed=removed,
                stack_id=sid,
            )
        if stack is not None:
            self.stacks[stack.stack_id] = stack
        mine = self.resources.setdefault(sid, {})
        for r in resources:
            mine[r.logical_id] = r
        for lid in removed:
            mine.pop(lid, None)

    async def put_change_set(self, cs: ChangeSet) -> None:
        await asyncio.to_thread(self.repo.cfn_put_change_set, cs)
        self.change_sets[cs.change_set_id] = cs

    async def delete_change_sets(self, ids: Sequence[str]) -> None:
        await asyncio.to_thread(self.repo.cfn_delete_change_sets, ids)
        for i in ids:
            self.change_sets.pop(i, None)

    async def purge(self, stack_id: str) -> None:
        await asyncio.to_thread(self.repo.cfn_purge_stack, stack_id)
        self.stacks.pop(stack_id, None)
        self.resources.pop(stack_id, None)
        for cid in [c for c, cs in self.change_sets.items() if cs.stack_id == stack_id]:
            self.change_sets.pop(cid)

    # ---- events

    @staticmethod
    def stack_event(stack: Stack, status: str, reason: str = "") -> StackEvent:
        return StackEvent(
            str(uuid.uuid4()),
            stack.stack_id,
            stack.name,
            stack.name,
            stack.stack_id,
            STACK_TYPE,
            time.time(),
            status,
            reason,
            None,
            stack.client_request_token,
        )

    @staticmethod
    def resource_event(
        stack: Stack, r: StackResource, status: str, reason: str = "", props: str | None = None
    ) -> StackEvent:
        return StackEvent(
            f"{r.logical_id}-{status}-{uuid.uuid4()}",
            stack.stack_id,
            stack.name,
            r.logical_id,
            r.physical_id or "",
            r.type,
            time.time(),
            status,
            reason,
            props,
            stack.client_request_token,
        )
