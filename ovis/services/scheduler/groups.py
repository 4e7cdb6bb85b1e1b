"""Schedule groups: Create/Get/Delete/ListScheduleGroups and the tags of groups.

State: groups live in memory (loaded at start, written through before the API answers).
``default`` always exists (created on first start) and cannot be deleted. Deleting a group
deletes its schedules (in the store's same transaction) and its tags; while that runs the group
is refused to new schedules. ``ClientToken``: a CreateScheduleGroup repeated with the token that
created the group answers the group's ARN again instead of ConflictException.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from ovis.models.schedule import DEFAULT_GROUP, ScheduleGroup, group_arn
from ovis.services.scheduler.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
    group_not_found,
)
from ovis.services.scheduler.repository import GroupTagRepository, ScheduleRepository

MAX_GROUPS = 500  # AWS's default quota of schedule groups per account and region
MAX_TAGS = 200


def _now_ms() -> int:
    return int(time.time() * 1000)


class GroupService:
    def __init__(
        self, store: ScheduleRepository, tags: GroupTagRepository, region: str, account: str
    ) -> None:
        self.store = store
        self.tags = tags
        self.region = region
        self.account = account
        self._groups: dict[str, ScheduleGroup] = {}
        self._deleting: set[str] = set()
        # Called with a group's name once it and its schedules are deleted (ScheduleService).
        self.on_deleted: Callable[[str], None] = lambda name: None

    def load(self) -> None:
        self._groups = {g.name: g for g in self.store.schedule_groups()}
        if DEFAULT_GROUP not in self._groups:
            now = _now_ms()
            default = ScheduleGroup(
                DEFAULT_GROUP, group_arn(self.region, self.account, DEFAULT_GROUP), now, now
            )
            self.store.put_schedule_group(default)
            self._groups[DEFAULT_GROUP] = default

    def require(self, name: str) -> ScheduleGroup:
        group = self._groups.get(name)
        if group is None or name in self._deleting:
            raise group_not_found(name)
        return group

    def exists(self, name: str) -> bool:
        return name in self._groups and name not in self._deleting

    # ---- API ---------------------------------------------------------------------------

    async def create(self, name: str, tags: list[dict[str, str]], client_token: str) -> str:
        existing = self._groups.get(name)
        if existing is not None:
            if client_token and existing.client_token == client_token:
                return existing.arn
            raise ConflictException(f"Schedule group {name} already exists.")
        if len(self._groups) >= MAX_GROUPS:
            raise ServiceQuotaExceededException(
                f"The quota of {MAX_GROUPS} schedule groups is reached."
            )
        now = _now_ms()
        group = ScheduleGroup(
            name, group_arn(self.region, self.account, name), now, now, client_token
        )
        tag_map = _tag_map(tags)
        self._groups[name] = group  # reserved: a concurrent create of the same name conflicts
        try:
            await asyncio.to_thread(self.store.put_schedule_group, group)
            if tag_map:
                await asyncio.to_thread(self.tags.put_tags, group.arn, tag_map)
        except BaseException:
            self._groups.pop(name, None)
            raise
        return group.arn

    def get(self, name: str) -> dict[str, Any]:
        return _describe(self.require(name))

    async def delete(self, name: str) -> None:
        group = self.require(name)
        if name == DEFAULT_GROUP:
            raise ValidationException("The default schedule group cannot be deleted.")
        self._deleting.add(name)
        try:
            await asyncio.to_thread(self.store.delete_schedule_group, name)
            await asyncio.to_thread(self.tags.delete_tags, group.arn)
            self._groups.pop(name, None)
            self.on_deleted(name)
        finally:
            self._deleting.discard(name)

    def list_groups(
        self, prefix: str | None, next_token: str | None, max_results: int | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        names = sorted(n for n in self._groups if n not in self._deleting)
        if prefix:
            names = [n for n in names if n.startswith(prefix)]
        if next_token:
            names = [n for n in names if n > next_token]
        limit = max_results or 100
        page = names[:limit]
        token = page[-1] if len(names) > limit else None
        return [_describe(self._groups[n]) for n in page], token

    # ---- tags --------------------------------------------------------------------------

    def _group_of_arn(self, arn: str) -> ScheduleGroup:
        for group in self._groups.values():
            if group.arn == arn and group.name not in self._deleting:
                return group
        name = arn.rsplit("/", 1)[-1]
        raise ResourceNotFoundException(f"Schedule group {name} does not exist.")

    async def tag(self, arn: str, tags: list[dict[str, str]]) -> None:
        group = self._group_of_arn(arn)
        tag_map = _tag_map(tags)
        current = await asyncio.to_thread(self.tags.get_tags, group.arn)
        if len(current.keys() | tag_map.keys()) > MAX_TAGS:
            raise ValidationException(f"A schedule group can have at most {MAX_TAGS} tags.")
        await asyncio.to_thread(self.tags.put_tags, group.arn, tag_map)

    async def untag(self, arn: str, keys: list[str]) -> None:
        group = self._group_of_arn(arn)
        await asyncio.to_thread(self.tags.delete_tags, group.arn, keys)

    async def list_tags(self, arn: str) -> list[dict[str, str]]:
        group = self._group_of_arn(arn)
        tags = await asyncio.to_thread(self.tags.get_tags, group.arn)
        return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _tag_map(tags: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags:
        key = tag["Key"]
        if key.lower().startswith("aws:"):
            raise ValidationException(f"Tag keys beginning with aws: are reserved: {key}")
        out[key] = tag["Value"]
    return out


def _describe(group: ScheduleGroup) -> dict[str, Any]:
    return {
        "Arn": group.arn,
        "Name": group.name,
        "State": "ACTIVE",
        "CreationDate": group.created_ms / 1000,
        "LastModificationDate": group.modified_ms / 1000,
    }
