"""The resource types that set one policy document on a list of other resources
(AWS::SQS::QueuePolicy on ``Queues``, AWS::SNS::TopicPolicy on ``Topics``).

Contract: create and update set ``PolicyDocument`` on every target; a create that fails part
way clears what it set, so nothing half-applied is left; an update clears the policy of targets
no longer listed; delete clears every target's policy, a target already gone counting as done.
The physical id is CloudFormation's generated name (AWS's Ref of these types); GetAtt ``Id``
answers it too. Subclasses name the targets' property and how one target's policy is set.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceRequest, ResourceResult
from ovis.services.cloudformation.resources.coerce import as_list, as_str
from ovis.services.cloudformation.resources.service_props import (
    check_properties,
    error_code,
    json_text,
)


class PolicyOnTargets(ABC):
    create_only: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"Id"})
    targets: ClassVar[str]  # the property listing the targets: "Queues", "Topics"
    gone: ClassVar[tuple[str, ...]]  # the service's error codes for a target that is gone

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    @abstractmethod
    async def put(self, req: ResourceRequest, target: str, policy: str) -> None:
        """Set (``policy`` "" clears) one target's policy through its service."""

    def _targets(self, props: dict[str, Any]) -> list[str]:
        name = self.targets
        return [as_str(t, name) for t in as_list(props.get(name) or [], name)]

    async def _set(self, req: ResourceRequest, target: str, policy: str, missing_ok: bool) -> None:
        try:
            await self.put(req, target, policy)
        except ApiError as e:
            if not (missing_ok and error_code(e) in self.gone):
                raise

    async def _apply(self, req: ResourceRequest) -> ResourceResult:
        allowed = ("PolicyDocument", self.targets)
        check_properties(req.properties, allowed, required=allowed)
        policy = json_text(req.properties["PolicyDocument"], "PolicyDocument")
        done: list[str] = []
        try:
            for target in self._targets(req.properties):
                await self._set(req, target, policy, missing_ok=False)
                done.append(target)
        except BaseException:
            if req.previous_properties is None:  # a failed create leaves no policy behind
                for target in done:
                    await self._set(req, target, "", missing_ok=True)
            raise
        pid = req.physical_id or req.physical_name(None, 128)
        return ResourceResult(pid, {"Id": pid})

    async def create(self, req: ResourceRequest) -> ResourceResult:
        return await self._apply(req)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        result = await self._apply(req)
        now = set(self._targets(req.properties))
        for target in self._targets(req.previous_properties or {}):
            if target not in now:
                await self._set(req, target, "", missing_ok=True)
        return result

    async def delete(self, req: ResourceRequest) -> None:
        for target in self._targets(req.properties):
            await self._set(req, target, "", missing_ok=True)
