"""AWS::IAM::Role over the IAM operations.

Ref is the role name; GetAtt Arn, RoleId. Create is CreateRole (trust policy, path,
description, session duration, boundary and tags together), then PutRolePolicy for each inline
policy and AttachRolePolicy for each managed ARN; when one of those fails the role is removed
again (policies first), so nothing half-made is left. Update applies the difference: trust
policy, description and session duration, boundary, tags, inline policies put/deleted by name,
managed policies attached/detached. Delete detaches every managed policy and deletes every
inline one first (IAM refuses to delete a role that has them), then the role; a role already
gone is success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_int, as_list, as_str
from ovis.services.cloudformation.resources.service_props import (
    check_properties,
    error_code,
    json_text,
    tag_changes,
    tag_list,
)

GONE = ("NoSuchEntityException", "NoSuchEntity")
MAX_NAME = 64
PROPERTIES = (
    "AssumeRolePolicyDocument",
    "Description",
    "ManagedPolicyArns",
    "MaxSessionDuration",
    "Path",
    "PermissionsBoundary",
    "Policies",
    "RoleName",
    "Tags",
)


def inline_policies(props: dict[str, Any]) -> dict[str, str]:
    """The ``Policies`` property as {name: document text}."""
    out: dict[str, str] = {}
    for item in as_list(props.get("Policies") or [], "Policies"):
        if not isinstance(item, dict) or "PolicyName" not in item or "PolicyDocument" not in item:
            raise ResourceFailed(
                "Property validation failure: [Policies items need PolicyName and PolicyDocument]"
            )
        out[as_str(item["PolicyName"], "PolicyName")] = json_text(
            item["PolicyDocument"], "PolicyDocument"
        )
    return out


def managed_arns(props: dict[str, Any]) -> list[str]:
    arns = [
        as_str(a, "ManagedPolicyArns")
        for a in as_list(props.get("ManagedPolicyArns") or [], "ManagedPolicyArns")
    ]
    return list(dict.fromkeys(arns))


async def role_arn_result(calls: ServiceCalls, caller: Caller, name: str) -> ResourceResult:
    role = (await calls("iam", "GetRole", {"RoleName": name}, caller))["Role"]
    return ResourceResult(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})


class RoleProvider:
    type_name: ClassVar[str] = "AWS::IAM::Role"
    create_only: ClassVar[frozenset[str]] = frozenset({"RoleName", "Path"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn", "RoleId"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    def _name(self, req: ResourceRequest) -> str:
        return as_str(req.physical_name("RoleName", MAX_NAME), "RoleName")

    async def create(self, req: ResourceRequest) -> ResourceResult:
        p = req.properties
        check_properties(p, PROPERTIES, required=("AssumeRolePolicyDocument",))
        inline, managed = inline_policies(p), managed_arns(p)
        name = self._name(req)
        params: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": json_text(
                p["AssumeRolePolicyDocument"], "AssumeRolePolicyDocument"
            ),
        }
        if p.get("Path") is not None:
            params["Path"] = as_str(p["Path"], "Path")
        if p.get("Description") is not None:
            params["Description"] = as_str(p["Description"], "Description")
        if p.get("MaxSessionDuration") is not None:
            params["MaxSessionDuration"] = as_int(p["MaxSessionDuration"], "MaxSessionDuration")
        if p.get("PermissionsBoundary") is not None:
            params["PermissionsBoundary"] = as_str(p["PermissionsBoundary"], "PermissionsBoundary")
        if p.get("Tags"):
            params["Tags"] = tag_list(p["Tags"])
        caller = req.stack.caller
        try:
            await self.calls("iam", "CreateRole", params, caller)
        except ApiError as e:
            if error_code(e) in ("EntityAlreadyExistsException", "EntityAlreadyExists"):
                raise ResourceFailed(f"{name} already exists") from e
            raise
        try:
            for policy, doc in inline.items():
                await self._put_inline(caller, name, policy, doc)
            for arn in managed:
                await self.calls(
                    "iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn}, caller
                )
        except BaseException:
            await self._delete(caller, name)
            raise
        return await role_arn_result(self.calls, caller, name)

    async def _put_inline(self, caller: Caller, role: str, policy: str, doc: str) -> None:
        await self.calls(
            "iam",
            "PutRolePolicy",
            {"RoleName": role, "PolicyName": policy, "PolicyDocument": doc},
            caller,
        )

    async def update(self, req: ResourceRequest) -> ResourceResult:
        p, prev = req.properties, req.previous_properties or {}
        check_properties(p, PROPERTIES, required=("AssumeRolePolicyDocument",))
        name = req.physical_id or self._name(req)
        caller = req.stack.caller
        trust = json_text(p["AssumeRolePolicyDocument"], "AssumeRolePolicyDocument")
        if prev.get("AssumeRolePolicyDocument") != p["AssumeRolePolicyDocument"]:
            await self.calls(
                "iam",
                "UpdateAssumeRolePolicy",
                {"RoleName": name, "PolicyDocument": trust},
                caller,
            )
        if prev.get("Description") != p.get("Description") or prev.get(
            "MaxSessionDuration"
        ) != p.get("MaxSessionDuration"):
            await self.calls(
                "iam",
                "UpdateRole",
                {
                    "RoleName": name,
                    "Description": as_str(p.get("Description") or "", "Description"),
                    "MaxSessionDuration": as_int(
                        p.get("MaxSessionDuration") or 3600, "MaxSessionDuration"
                    ),
                },
                caller,
            )
        if prev.get("PermissionsBoundary") != p.get("PermissionsBoundary"):
            if p.get("PermissionsBoundary") is None:
                await self.calls("iam", "DeleteRolePermissionsBoundary", {"RoleName": name}, caller)
            else:
                await self.calls(
                    "iam",
                    "PutRolePermissionsBoundary",
                    {
                        "RoleName": name,
                        "PermissionsBoundary": as_str(
                            p["PermissionsBoundary"], "PermissionsBoundary"
                        ),
                    },
                    caller,
                )
        put, remove = tag_changes(prev.get("Tags"), p.get("Tags"))
        if remove:
            await self.calls("iam", "UntagRole", {"RoleName": name, "TagKeys": remove}, caller)
        if put:
            tags = [{"Key": k, "Value": v} for k, v in put.items()]
            await self.calls("iam", "TagRole", {"RoleName": name, "Tags": tags}, caller)
        old_inline, new_inline = inline_policies(prev), inline_policies(p)
        for policy, doc in new_inline.items():
            if old_inline.get(policy) != doc:
                await self._put_inline(caller, name, policy, doc)
        for policy in old_inline:
            if policy not in new_inline:
                await self._ignore_gone(
                    "DeleteRolePolicy", {"RoleName": name, "PolicyName": policy}, caller
                )
        old_managed, new_managed = managed_arns(prev), managed_arns(p)
        for arn in new_managed:
            if arn not in old_managed:
                await self.calls(
                    "iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn}, caller
                )
        for arn in old_managed:
            if arn not in new_managed:
                await self._ignore_gone(
                    "DetachRolePolicy", {"RoleName": name, "PolicyArn": arn}, caller
                )
        return await role_arn_result(self.calls, caller, name)

    async def _ignore_gone(self, op: str, params: dict[str, Any], caller: Caller) -> None:
        try:
            await self.calls("iam", op, params, caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise

    async def _delete(self, caller: Caller, name: str) -> None:
        try:
            attached = await self._all(
                "ListAttachedRolePolicies", {"RoleName": name}, "AttachedPolicies", caller
            )
            for item in attached:
                await self._ignore_gone(
                    "DetachRolePolicy", {"RoleName": name, "PolicyArn": item["PolicyArn"]}, caller
                )
            for policy in await self._all(
                "ListRolePolicies", {"RoleName": name}, "PolicyNames", caller
            ):
                await self._ignore_gone(
                    "DeleteRolePolicy", {"RoleName": name, "PolicyName": policy}, caller
                )
            await self.calls("iam", "DeleteRole", {"RoleName": name}, caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise

    async def _all(self, op: str, params: dict[str, Any], key: str, caller: Caller) -> list[Any]:
        out: list[Any] = []
        params = dict(params)
        while True:
            page = await self.calls("iam", op, params, caller)
            out.extend(page.get(key) or [])
            if not page.get("IsTruncated"):
                return out
            params["Marker"] = page["Marker"]

    async def delete(self, req: ResourceRequest) -> None:
        await self._delete(req.stack.caller, req.physical_id or self._name(req))
