"""AWS::IAM::Policy (an inline policy put on roles) and AWS::IAM::ManagedPolicy over the IAM
operations. This server's IAM has roles but no users or groups: a non-empty ``Users`` or
``Groups`` fails the resource naming the property.

Policy: PutRolePolicy on every role in ``Roles``; Ref is a generated id (as AWS: the stack,
logical id and a token). A failed create deletes what it put. Update puts the new document
(under the new name, deleting the old name when it changed) and deletes it from roles no
longer listed. Delete removes it from every role; roles or policies already gone are success.

ManagedPolicy: CreatePolicy then AttachRolePolicy for each of ``Roles`` (a failed attach
detaches and deletes the policy). Ref is the policy ARN; GetAtt PolicyArn, PolicyId,
AttachmentCount, CreateDate, DefaultVersionId, IsAttachable, PermissionsBoundaryUsageCount,
UpdateDate. A changed document is a new default version (the oldest non-default version is
deleted first when the policy already has IAM's five). Delete detaches every role, deletes
non-default versions, then the policy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_list, as_str
from ovis.services.cloudformation.resources.service_props import (
    check_properties,
    error_code,
    json_text,
)

GONE = ("NoSuchEntityException", "NoSuchEntity")
MAX_VERSIONS = 5
NO_USERS = "this server's IAM has roles but no users or groups"


def names(props: dict[str, Any], key: str) -> list[str]:
    return list(dict.fromkeys(as_str(v, key) for v in as_list(props.get(key) or [], key)))


def refuse_users_and_groups(props: dict[str, Any]) -> None:
    for key in ("Users", "Groups"):
        if props.get(key):
            raise ResourceFailed(f"Property {key} is not supported by this server: {NO_USERS}")


async def ignore_gone(calls: ServiceCalls, op: str, params: dict[str, Any], caller: Caller) -> None:
    try:
        await calls("iam", op, params, caller)
    except ApiError as e:
        if error_code(e) not in GONE:
            raise


class PolicyProvider:
    type_name: ClassVar[str] = "AWS::IAM::Policy"
    create_only: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"Id"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    @staticmethod
    def _check(props: dict[str, Any]) -> tuple[str, str]:
        check_properties(
            props,
            ("PolicyName", "PolicyDocument", "Roles", "Users", "Groups"),
            required=("PolicyName", "PolicyDocument"),
        )
        refuse_users_and_groups(props)
        if not props.get("Roles"):
            raise ResourceFailed(
                "Property validation failure: [At least one of [Groups, Roles, Users] is required]"
            )
        return as_str(props["PolicyName"], "PolicyName"), json_text(
            props["PolicyDocument"], "PolicyDocument"
        )

    async def _put(self, caller: Caller, role: str, name: str, doc: str) -> None:
        await self.calls(
            "iam",
            "PutRolePolicy",
            {"RoleName": role, "PolicyName": name, "PolicyDocument": doc},
            caller,
        )

    async def _remove(self, caller: Caller, role: str, name: str) -> None:
        await ignore_gone(
            self.calls, "DeleteRolePolicy", {"RoleName": role, "PolicyName": name}, caller
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        name, doc = self._check(req.properties)
        caller = req.stack.caller
        done: list[str] = []
        try:
            for role in names(req.properties, "Roles"):
                await self._put(caller, role, name, doc)
                done.append(role)
        except BaseException:
            for role in done:
                await self._remove(caller, role, name)
            raise
        pid = req.physical_name(None, 128)
        return ResourceResult(pid, {"Id": pid})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        name, doc = self._check(req.properties)
        prev = req.previous_properties or {}
        caller = req.stack.caller
        old_name = as_str(prev.get("PolicyName") or name, "PolicyName")
        roles = names(req.properties, "Roles")
        for role in roles:
            await self._put(caller, role, name, doc)
            if old_name != name:
                await self._remove(caller, role, old_name)
        for role in names(prev, "Roles"):
            if role not in roles:
                await self._remove(caller, role, old_name)
        pid = req.physical_id or req.physical_name(None, 128)
        return ResourceResult(pid, {"Id": pid})

    async def delete(self, req: ResourceRequest) -> None:
        if not req.properties.get("PolicyName"):
            return
        name = as_str(req.properties["PolicyName"], "PolicyName")
        for role in names(req.properties, "Roles"):
            await self._remove(req.stack.caller, role, name)


def _iso(epoch: Any) -> str:
    if isinstance(epoch, datetime):
        return epoch.isoformat()
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ManagedPolicyProvider:
    type_name: ClassVar[str] = "AWS::IAM::ManagedPolicy"
    create_only: ClassVar[frozenset[str]] = frozenset({"ManagedPolicyName", "Path", "Description"})
    attributes: ClassVar[frozenset[str]] = frozenset(
        {
            "PolicyArn",
            "PolicyId",
            "AttachmentCount",
            "CreateDate",
            "DefaultVersionId",
            "IsAttachable",
            "PermissionsBoundaryUsageCount",
            "UpdateDate",
        }
    )
    PROPERTIES = (
        "Description",
        "Groups",
        "ManagedPolicyName",
        "Path",
        "PolicyDocument",
        "Roles",
        "Users",
    )

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    def _check(self, props: dict[str, Any]) -> str:
        check_properties(props, self.PROPERTIES, required=("PolicyDocument",))
        refuse_users_and_groups(props)
        return json_text(props["PolicyDocument"], "PolicyDocument")

    def _arn(self, req: ResourceRequest) -> str:
        path = as_str(req.properties.get("Path") or "/", "Path")
        name = req.physical_name("ManagedPolicyName", 128)
        return f"arn:aws:iam::{req.stack.caller.account_id}:policy{path}{name}"

    async def _result(self, caller: Caller, arn: str) -> ResourceResult:
        policy = (await self.calls("iam", "GetPolicy", {"PolicyArn": arn}, caller))["Policy"]
        return ResourceResult(
            arn,
            {
                "PolicyArn": arn,
                "PolicyId": policy["PolicyId"],
                "AttachmentCount": policy["AttachmentCount"],
                "CreateDate": _iso(policy["CreateDate"]),
                "DefaultVersionId": policy["DefaultVersionId"],
                "IsAttachable": policy["IsAttachable"],
                "PermissionsBoundaryUsageCount": policy["PermissionsBoundaryUsageCount"],
                "UpdateDate": _iso(policy["UpdateDate"]),
            },
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        doc = self._check(req.properties)
        caller = req.stack.caller
        params: dict[str, Any] = {
            "PolicyName": req.physical_name("ManagedPolicyName", 128),
            "PolicyDocument": doc,
        }
        for key in ("Path", "Description"):
            if req.properties.get(key) is not None:
                params[key] = as_str(req.properties[key], key)
        try:
            out = await self.calls("iam", "CreatePolicy", params, caller)
        except ApiError as e:
            if error_code(e) in ("EntityAlreadyExistsException", "EntityAlreadyExists"):
                raise ResourceFailed(f"{params['PolicyName']} already exists") from e
            raise
        arn = str(out["Policy"]["Arn"])
        try:
            for role in names(req.properties, "Roles"):
                await self.calls(
                    "iam", "AttachRolePolicy", {"RoleName": role, "PolicyArn": arn}, caller
                )
        except BaseException:
            await self._delete(caller, arn)
            raise
        return await self._result(caller, arn)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        doc = self._check(req.properties)
        prev = req.previous_properties or {}
        caller = req.stack.caller
        arn = req.physical_id or self._arn(req)
        if prev.get("PolicyDocument") != req.properties["PolicyDocument"]:
            versions = (await self.calls("iam", "ListPolicyVersions", {"PolicyArn": arn}, caller))[
                "Versions"
            ]
            if len(versions) >= MAX_VERSIONS:
                oldest = min(
                    (v for v in versions if not v["IsDefaultVersion"]),
                    key=lambda v: int(str(v["VersionId"]).lstrip("v")),
                )
                await self.calls(
                    "iam",
                    "DeletePolicyVersion",
                    {"PolicyArn": arn, "VersionId": oldest["VersionId"]},
                    caller,
                )
            await self.calls(
                "iam",
                "CreatePolicyVersion",
                {"PolicyArn": arn, "PolicyDocument": doc, "SetAsDefault": True},
                caller,
            )
        roles, old_roles = names(req.properties, "Roles"), names(prev, "Roles")
        for role in roles:
            if role not in old_roles:
                await self.calls(
                    "iam", "AttachRolePolicy", {"RoleName": role, "PolicyArn": arn}, caller
                )
        for role in old_roles:
            if role not in roles:
                await ignore_gone(
                    self.calls, "DetachRolePolicy", {"RoleName": role, "PolicyArn": arn}, caller
                )
        return await self._result(caller, arn)

    async def _delete(self, caller: Caller, arn: str) -> None:
        try:
            entities = await self.calls("iam", "ListEntitiesForPolicy", {"PolicyArn": arn}, caller)
            for role in entities.get("PolicyRoles") or []:
                await ignore_gone(
                    self.calls,
                    "DetachRolePolicy",
                    {"RoleName": role["RoleName"], "PolicyArn": arn},
                    caller,
                )
            versions = (await self.calls("iam", "ListPolicyVersions", {"PolicyArn": arn}, caller))[
                "Versions"
            ]
            for v in versions:
                if not v["IsDefaultVersion"]:
                    await ignore_gone(
                        self.calls,
                        "DeletePolicyVersion",
                        {"PolicyArn": arn, "VersionId": v["VersionId"]},
                        caller,
                    )
            await self.calls("iam", "DeletePolicy", {"PolicyArn": arn}, caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise

    async def delete(self, req: ResourceRequest) -> None:
        await self._delete(req.stack.caller, req.physical_id or self._arn(req))
