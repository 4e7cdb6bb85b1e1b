"""Versions and aliases: PublishVersion, ListVersionsByFunction, and the alias use cases.

A version is an immutable snapshot of $LATEST's code and configuration, numbered 1, 2, 3...
per function, never reused (the counter survives deleting versions). An alias names a version,
optionally splitting traffic with one additional version by weight.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ovis.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from ovis.models.alias import Alias
from ovis.models.function import LATEST, FunctionConfig, State, UpdateStatus
from ovis.services.lambda_.commands import CreateAlias, PublishVersion, UpdateAlias
from ovis.services.lambda_.functions import FunctionService, _now_iso
from ovis.services.lambda_.paging import paginate

# Fields that make two snapshots "the same function" for PublishVersion's no-op rule.
_VOLATILE = {
    "version",
    "revision_id",
    "last_modified",
    "state",
    "state_reason",
    "state_reason_code",
    "last_update_status",
    "last_update_status_reason",
    "last_update_status_reason_code",
    "published_from",
}


def _fingerprint(cfg: FunctionConfig) -> dict[str, Any]:
    return {k: v for k, v in cfg.to_json().items() if k not in _VOLATILE}


class VersionService:
    def __init__(self, functions: FunctionService) -> None:
        self.functions = functions
        self.registry = functions.registry

    def _versions(self, name: str) -> list[FunctionConfig]:
        published = [c for c in self.registry.versions(name) if c.version != LATEST]
        return sorted(published, key=lambda c: int(c.version))

    def _latest(self, text: str) -> FunctionConfig:
        name, q = self.functions.ref(text)
        if q not in (None, LATEST):
            raise InvalidParameterValueException("Versions are published from $LATEST only.")
        return self.functions.get_config(name)

    # ---- versions --------------------------------------------------------------------------

    async def publish(self, cmd: PublishVersion) -> FunctionConfig:
        text, code_sha256 = cmd.function_name, cmd.code_sha256
        description, revision_id = cmd.description, cmd.revision_id
        latest = self._latest(text)
        name = latest.name
        async with self.functions._serialized(name):
            latest = self.functions.get_config(name)
            if latest.state != State.ACTIVE and latest.state != State.PENDING:
                raise ResourceConflictException(
                    f"The function is currently in the following state: {latest.state}"
                )
            if latest.last_update_status == UpdateStatus.IN_PROGRESS:
                raise ResourceConflictException(
                    "The operation cannot be performed at this time. An update is in progress "
                    f"for resource: {self.functions.arn(name)}"
                )
            if code_sha256 is not None and code_sha256 != latest.code_sha256:
                raise InvalidParameterValueException(
                    f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in "
                    f"$LATEST ({latest.code_sha256}). Please try again with the CodeSHA256 in "
                    "$LATEST."
                )
            if revision_id is not None and revision_id != latest.revision_id:
                raise PreconditionFailedException(
                    "The Revision Id provided does not match the latest Revision Id. Call the "
                    "GetFunction/GetAlias API to retrieve the latest Revision Id"
                )
            versions = self._versions(name)
            if versions and (
                versions[-1].published_from == latest.revision_id
                or _fingerprint(versions[-1]) == _fingerprint(latest)
            ):
                return versions[-1]
            number = await self._next_number(name)
            cfg = latest.replace(
                version=str(number),
                revision_id=str(uuid.uuid4()),
                last_modified=_now_iso(),
                description=latest.description if description is None else description,
                state=State.ACTIVE,
                state_reason=None,
                state_reason_code=None,
                last_update_status=UpdateStatus.SUCCESSFUL,
                last_update_status_reason=None,
                last_update_status_reason_code=None,
                published_from=latest.revision_id,
            )
            await self.registry.publish(cfg)
            return cfg

    async def _next_number(self, name: str) -> int:
        last = await asyncio.to_thread(self.registry.store.last_version, name)
        return max([last, *(int(c.version) for c in self._versions(name))]) + 1

    def list_versions(
        self, text: str, marker: str | None, max_items: int | None
    ) -> tuple[list[FunctionConfig], str | None]:
        latest = self._latest(text)
        items = [latest, *self._versions(latest.name)]
        return paginate(items, marker, max_items, key=lambda c: c.version)

    # ---- aliases ---------------------------------------------------------------------------

    def _alias_arn(self, name: str, alias: str) -> str:
        return self.functions.arn(name, alias)

    def _check_target(self, name: str, version: str, weights: dict[str, float]) -> None:
        if version != LATEST and self.registry.get(name, version) is None:
            raise ResourceNotFoundException(
                f"Function not found: {self.functions.arn(name, version)}"
            )
        if not weights:
            return
        if len(weights) > 1:
            raise InvalidParameterValueException(
                "Number of items in AdditionalVersionWeights cannot be greater than 1"
            )
        if version == LATEST:
            raise InvalidParameterValueException(
                "$LATEST is not supported for an alias pointing to more than 1 version"
            )
        for extra, weight in weights.items():
            if extra == version:
                raise InvalidParameterValueException(
                    f"Invalid function version {extra}. Function version {extra} is already "
                    "included in routing configuration."
                )
            if self.registry.get(name, extra) is None:
                raise InvalidParameterValueException(
                    f"Function version {extra} does not exist for function {name}."
                )
            if not 0.0 <= weight <= 1.0:
                raise InvalidParameterValueException(
                    "Invalid weight: weights must be between 0.0 and 1.0"
                )

    def _function(self, text: str) -> str:
        name, q = self.functions.ref(text)
        if q is not None:
            raise InvalidParameterValueException(
                "Aliases are managed on the unqualified function name."
            )
        self.functions.get_config(name)
        return name

    async def create_alias(self, cmd: CreateAlias) -> Alias:
        name = self._function(cmd.function_name)
        async with self.functions._serialized(name):
            if self.registry.alias(name, cmd.name) is not None:
                raise ResourceConflictException(
                    f"Alias already exists: {self._alias_arn(name, cmd.name)}"
                )
            weights = dict(cmd.weights)
            self._check_target(name, cmd.function_version, weights)
            alias = Alias(
                name,
                cmd.name,
                cmd.function_version,
                str(uuid.uuid4()),
                cmd.description,
                weights,
            )
            await self.registry.put_alias(alias)
            return alias

    def get_alias(self, text: str, alias_name: str) -> Alias:
        name = self._function(text)
        alias = self.registry.alias(name, alias_name)
        if alias is None:
            raise ResourceNotFoundException(
                f"Cannot find alias arn: {self._alias_arn(name, alias_name)}"
            )
        return alias

    async def update_alias(self, cmd: UpdateAlias) -> Alias:
        name = self._function(cmd.function_name)
        async with self.functions._serialized(name):
            alias = self.get_alias(name, cmd.name)
            if cmd.revision_id is not None and cmd.revision_id != alias.revision_id:
                raise PreconditionFailedException(
                    "The Revision Id provided does not match the latest Revision Id. Call the "
                    "GetFunction/GetAlias API to retrieve the latest Revision Id"
                )
            version = cmd.function_version if cmd.function_version is not None else alias.version
            weights = dict(cmd.weights) if cmd.weights is not None else dict(alias.weights)
            self._check_target(name, version, weights)
            alias = alias.replace(
                version=version,
                weights=weights,
                description=cmd.description if cmd.description is not None else alias.description,
                revision_id=str(uuid.uuid4()),
            )
            await self.registry.put_alias(alias)
            return alias

    async def delete_alias(self, text: str, alias_name: str) -> None:
        name = self._function(text)
        async with self.functions._serialized(name):
            if self.registry.alias(name, alias_name) is not None:
                await self.registry.delete_alias(name, alias_name)

    def list_aliases(
        self, text: str, version: str | None, marker: str | None, max_items: int | None
    ) -> tuple[list[Alias], str | None]:
        name = self._function(text)
        items = [
            a
            for a in self.registry.aliases(name)
            if version is None or a.version == version or version in a.weights
        ]
        return paginate(items, marker, max_items, key=lambda a: a.name, sorted_by_key=True)
