"""AWS::Logs::LogGroup over the CloudWatch Logs operations.

Ref is the group name; GetAtt Arn is ``arn:aws:logs:<region>:<account>:log-group:<name>:*``
(as AWS documents it). Create is CreateLogGroup (KmsKeyId, LogGroupClass and tags in the same
call) then PutRetentionPolicy; if the second call fails the group is deleted again. A group that
already exists fails the resource (ResourceAlreadyExistsException, not adopted). Update puts or
deletes the retention policy and adds/removes tags; a changed KmsKeyId fails (no
AssociateKmsKey here). Delete of a missing group succeeds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_int, as_str
from ovis.services.cloudformation.resources.service_props import (
    check_properties,
    error_code,
    tag_changes,
    tag_map,
)

MAX_NAME = 512
PROPERTIES = ("LogGroupName", "RetentionInDays", "Tags", "KmsKeyId", "LogGroupClass")
# documented for the type, but features this server's Logs service does not have
UNSUPPORTED = {
    "DataProtectionPolicy": "CloudWatch Logs data protection is not served",
    "FieldIndexPolicies": "CloudWatch Logs field indexes are not served",
    "ResourcePolicyDocument": "CloudWatch Logs resource policies are not served",
}


class LogGroupProvider:
    type_name: ClassVar[str] = "AWS::Logs::LogGroup"
    create_only: ClassVar[frozenset[str]] = frozenset({"LogGroupName", "LogGroupClass"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    def _name(self, req: ResourceRequest) -> str:
        if req.properties.get("LogGroupName"):
            return as_str(req.properties["LogGroupName"], "LogGroupName")
        return req.physical_name(None, MAX_NAME)

    @staticmethod
    def _tag_arn(req: ResourceRequest, name: str) -> str:
        c = req.stack.caller
        return f"arn:aws:logs:{c.region}:{c.account_id}:log-group:{name}"

    def _result(self, req: ResourceRequest, name: str) -> ResourceResult:
        return ResourceResult(name, {"Arn": self._tag_arn(req, name) + ":*"})

    async def _retention(self, req: ResourceRequest, name: str, days: int | None) -> None:
        if days is None:
            await self.calls(
                "logs", "DeleteRetentionPolicy", {"logGroupName": name}, req.stack.caller
            )
        else:
            await self.calls(
                "logs",
                "PutRetentionPolicy",
                {"logGroupName": name, "retentionInDays": days},
                req.stack.caller,
            )

    @staticmethod
    def _days(props: dict[str, Any]) -> int | None:
        value = props.get("RetentionInDays")
        return None if value is None else as_int(value, "RetentionInDays")

    async def create(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, PROPERTIES, UNSUPPORTED)
        name = self._name(req)
        days = self._days(req.properties)
        params: dict[str, Any] = {"logGroupName": name}
        if req.properties.get("KmsKeyId") is not None:
            params["kmsKeyId"] = as_str(req.properties["KmsKeyId"], "KmsKeyId")
        if req.properties.get("LogGroupClass") is not None:
            params["logGroupClass"] = as_str(req.properties["LogGroupClass"], "LogGroupClass")
        if req.properties.get("Tags"):
            params["tags"] = tag_map(req.properties["Tags"])
        try:
            await self.calls("logs", "CreateLogGroup", params, req.stack.caller)
        except ApiError as e:
            if error_code(e) == "ResourceAlreadyExistsException":
                raise ResourceFailed(f"{name} already exists") from e
            raise
        if days is not None:
            try:
                await self._retention(req, name, days)
            except BaseException:
                await self._delete(req, name)
                raise
        return self._result(req, name)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, PROPERTIES, UNSUPPORTED)
        prev = req.previous_properties or {}
        name = req.physical_id or self._name(req)
        days = self._days(req.properties)
        if days != self._days(prev):
            await self._retention(req, name, days)
        if prev.get("KmsKeyId") != req.properties.get("KmsKeyId"):
            # AssociateKmsKey/DisassociateKmsKey are not served (there is no KMS here)
            raise ResourceFailed(
                "Property KmsKeyId cannot be changed on this server: the Logs service does not "
                "serve AssociateKmsKey/DisassociateKmsKey"
            )
        put, remove = tag_changes(prev.get("Tags"), req.properties.get("Tags"))
        arn = self._tag_arn(req, name)
        if remove:
            await self.calls(
                "logs", "UntagResource", {"resourceArn": arn, "tagKeys": remove}, req.stack.caller
            )
        if put:
            await self.calls(
                "logs", "TagResource", {"resourceArn": arn, "tags": put}, req.stack.caller
            )
        return self._result(req, name)

    async def _delete(self, req: ResourceRequest, name: str) -> None:
        try:
            await self.calls("logs", "DeleteLogGroup", {"logGroupName": name}, req.stack.caller)
        except ApiError as e:
            if error_code(e) != "ResourceNotFoundException":
                raise

    async def delete(self, req: ResourceRequest) -> None:
        await self._delete(req, req.physical_id or self._name(req))
