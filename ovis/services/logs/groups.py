"""Log groups as CloudWatch Logs declares them: CreateLogGroup, retention, tags, deletion,
and the merged view DescribeLogGroups answers (declared groups plus the groups functions wrote
to without a declaration, e.g. ``/aws/lambda/<name>``).

Contract: a declaration is durable when the call answers. Names follow the Logs rules
(1-512 of ``[.-_/#A-Za-z0-9]``); a taken name answers ResourceAlreadyExistsException.
Retention is honoured at read time: events older than the group's retention are never
answered by GetLogEvents/FilterLogEvents (their rows are reclaimed with the group). Writes
of one group are serialized in this process (read-modify-write of one row). KMS keys are
refused (no KMS here), as is the DELIVERY class (no delivery sources).
"""

from __future__ import annotations

import asyncio
import re
import time

from ovis.errors import ApiError
from ovis.models.log_group import LogGroup
from ovis.services.logs.repository import LogGroupRepository

RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653}
)  # fmt: skip
_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
MAX_TAGS = 50
DAY_MS = 86_400_000


class LogsError(ApiError):
    code, status = "InvalidParameterException", 400

    def body(self) -> dict[str, object]:
        return {"__type": self.code, "message": self.message}


class LogsResourceNotFound(LogsError):
    code = "ResourceNotFoundException"


class LogsInvalidParameter(LogsError):
    code = "InvalidParameterException"


class LogsAlreadyExists(LogsError):
    code = "ResourceAlreadyExistsException"


def check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise LogsInvalidParameter(
            "1 validation error detected: Value '"
            + str(name)
            + "' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )
    return name


def check_tags(tags: object) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise LogsInvalidParameter("tags must be a map of strings.")
    for k, v in tags.items():
        if not 1 <= len(k) <= 128 or k.startswith("aws:"):
            raise LogsInvalidParameter(f"Invalid tag key: {k}")
        if len(v) > 256:
            raise LogsInvalidParameter(f"Invalid tag value for key: {k}")
    return dict(tags)


def group_name_of_arn(arn: object) -> str:
    """The group an ``arn:aws:logs:<region>:<account>:log-group:<name>[:*]`` names."""
    if not isinstance(arn, str) or ":log-group:" not in arn or not arn.startswith("arn:"):
        raise LogsInvalidParameter(f"Invalid resource ARN: {arn}")
    return arn.split(":log-group:", 1)[1].removesuffix(":*")


class LogGroups:
    def __init__(self, repo: LogGroupRepository) -> None:
        self.repo = repo
        self._lock = asyncio.Lock()

    async def create(
        self, name: str, tags: dict[str, str], kms_key_id: object, group_class: object
    ) -> LogGroup:
        check_name(name)
        if kms_key_id:
            raise LogsInvalidParameter(
                f"The specified KMS key {kms_key_id} cannot be used: KMS is not served here "
                "(log groups are not encrypted with customer keys)."
            )
        if group_class not in (None, "", "STANDARD", "INFREQUENT_ACCESS"):
            raise LogsInvalidParameter(
                f"Log group class {group_class} is not supported here (only STANDARD and "
                "INFREQUENT_ACCESS)."
            )
        if len(tags) > MAX_TAGS:
            raise LogsInvalidParameter(f"A log group can have at most {MAX_TAGS} tags.")
        group = LogGroup(name, int(time.time() * 1000), None, str(group_class or "STANDARD"), tags)
        if not await asyncio.to_thread(self.repo.create_log_group, group):
            raise LogsAlreadyExists("The specified log group already exists")
        return group

    async def get(self, name: str) -> LogGroup | None:
        return await asyncio.to_thread(self.repo.log_group, name)

    async def declared(self) -> list[LogGroup]:
        return await asyncio.to_thread(self.repo.declared_log_groups)

    async def adopt(self, name: str, created_ms: int) -> None:
        """Declare a group that exists only through its events, so it can be configured."""
        await asyncio.to_thread(self.repo.create_log_group, LogGroup(name, created_ms))

    async def _update(self, name: str, **changes: object) -> LogGroup:
        async with self._lock:
            group = await self.get(name)
            if group is None:
                raise LogsResourceNotFound("The specified log group does not exist.")
            updated = group.with_(**changes)
            await asyncio.to_thread(self.repo.put_log_group, updated)
            return updated

    async def put_retention(self, name: str, days: object) -> None:
        if not isinstance(days, int) or isinstance(days, bool) or days not in RETENTION_DAYS:
            raise LogsInvalidParameter(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                "satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(str(d) for d in sorted(RETENTION_DAYS))}]"
            )
        await self._update(name, retention_days=days)

    async def delete_retention(self, name: str) -> None:
        await self._update(name, retention_days=None)

    async def tag(self, name: str, tags: dict[str, str]) -> None:
        async with self._lock:
            group = await self.get(name)
            if group is None:
                raise LogsResourceNotFound("The specified log group does not exist.")
            merged = {**group.tags, **tags}
            if len(merged) > MAX_TAGS:
                raise LogsInvalidParameter(f"A log group can have at most {MAX_TAGS} tags.")
            await asyncio.to_thread(self.repo.put_log_group, group.with_(tags=merged))

    async def untag(self, name: str, keys: list[str]) -> None:
        async with self._lock:
            group = await self.get(name)
            if group is None:
                raise LogsResourceNotFound("The specified log group does not exist.")
            kept = {k: v for k, v in group.tags.items() if k not in keys}
            await asyncio.to_thread(self.repo.put_log_group, group.with_(tags=kept))

    async def delete(self, name: str) -> bool:
        """Drop the declaration; False if there was none."""
        return await asyncio.to_thread(self.repo.delete_log_group_declaration, name)


def retention_cutoff_ms(group: LogGroup | None, now_ms: int) -> int:
    """The oldest event timestamp a read may answer for ``group`` (0: all)."""
    if group is None or group.retention_days is None:
        return 0
    return now_ms - group.retention_days * DAY_MS
