"""The IAM operations (query protocol, XML replies): one handler per operation, ``(ctx, params)
-> output``. The query codec parses and validates members against the botocore model (names,
paths, lengths, MaxItems); the use cases do the rest. Policy documents are returned
URL-encoded, as IAM does (botocore and the AWS CLI decode them). Operations of the model that
are not listed answer InvalidAction."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ovis.models.iam import PolicyVersion, Role
from ovis.services.context import Handler, RequestContext
from ovis.services.iam import tags
from ovis.services.iam.commands import CreatePolicy, CreateRole, ListPolicies
from ovis.services.iam.paging import page
from ovis.services.iam.policies import ManagedPolicies, PolicyView
from ovis.services.iam.roles import RoleService


def encoded(document: str) -> str:
    """A policy document as IAM returns it: percent-encoded (RFC 3986 unreserved kept)."""
    return quote(document, safe="-_.~")


def role_to_api(r: Role, *, listing: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": r.path,
        "RoleName": r.name,
        "RoleId": r.role_id,
        "Arn": r.arn,
        "CreateDate": r.created_s,
        "AssumeRolePolicyDocument": encoded(r.trust_policy),
        "MaxSessionDuration": r.max_session_s,
    }
    if r.description:
        out["Description"] = r.description
    if listing:
        return out
    if r.permissions_boundary:
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": r.permissions_boundary,
        }
    if r.tags:
        out["Tags"] = tags.to_api(r.tags)
    out["RoleLastUsed"] = {}
    return out


def policy_to_api(v: PolicyView, *, listing: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "PolicyName": v.name,
        "PolicyId": v.policy_id,
        "Arn": v.arn,
        "Path": v.path,
        "DefaultVersionId": v.default_version,
        "AttachmentCount": v.attachment_count,
        "PermissionsBoundaryUsageCount": v.boundary_usage_count,
        "IsAttachable": True,
        "CreateDate": v.created_s,
        "UpdateDate": v.updated_s,
    }
    if v.description and not listing:
        out["Description"] = v.description
    if v.tags and not listing:
        out["Tags"] = tags.to_api(v.tags)
    return out


def version_to_api(v: PolicyVersion, default: bool, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": v.version_id,
        "IsDefaultVersion": default,
        "CreateDate": v.created_s,
    }
    if document:
        out["Document"] = encoded(v.document)
    return out


def _paged(key: str, items: list[Any], marker: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {key: items, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


class IamApi:
    def __init__(self, roles: RoleService, policies: ManagedPolicies) -> None:
        self.roles = roles
        self.policies = policies
        self.handlers: dict[str, Handler] = {
            "CreateRole": self.create_role,
            "GetRole": self.get_role,
            "ListRoles": self.list_roles,
            "UpdateRole": self.update_role,
            "UpdateRoleDescription": self.update_role_description,
            "UpdateAssumeRolePolicy": self.update_assume_role_policy,
            "DeleteRole": self.delete_role,
            "TagRole": self.tag_role,
            "UntagRole": self.untag_role,
            "ListRoleTags": self.list_role_tags,
            "PutRolePolicy": self.put_role_policy,
            "GetRolePolicy": self.get_role_policy,
            "DeleteRolePolicy": self.delete_role_policy,
            "ListRolePolicies": self.list_role_policies,
            "AttachRolePolicy": self.attach_role_policy,
            "DetachRolePolicy": self.detach_role_policy,
            "ListAttachedRolePolicies": self.list_attached_role_policies,
            "PutRolePermissionsBoundary": self.put_role_permissions_boundary,
            "DeleteRolePermissionsBoundary": self.delete_role_permissions_boundary,
            "ListInstanceProfilesForRole": self.list_instance_profiles_for_role,
            "CreatePolicy": self.create_policy,
            "GetPolicy": self.get_policy,
            "DeletePolicy": self.delete_policy,
            "ListPolicies": self.list_policies,
            "CreatePolicyVersion": self.create_policy_version,
            "GetPolicyVersion": self.get_policy_version,
            "ListPolicyVersions": self.list_policy_versions,
            "DeletePolicyVersion": self.delete_policy_version,
            "SetDefaultPolicyVersion": self.set_default_policy_version,
            "ListEntitiesForPolicy": self.list_entities_for_policy,
            "TagPolicy": self.tag_policy,
            "UntagPolicy": self.untag_policy,
            "ListPolicyTags": self.list_policy_tags,
        }

    # ---- roles

    async def create_role(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        role = await self.roles.create(
            CreateRole(
                name=p["RoleName"],
                trust_policy=p["AssumeRolePolicyDocument"],
                path=p.get("Path") or "/",
                description=p.get("Description", ""),
                max_session_s=p.get("MaxSessionDuration") or 3600,
                permissions_boundary=p.get("PermissionsBoundary", ""),
                tags=tags.checked(p.get("Tags")),
            )
        )
        out = role_to_api(role)
        out.pop("RoleLastUsed")
        return {"Role": out}

    async def get_role(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Role": role_to_api(self.roles.get(p["RoleName"]))}

    async def list_roles(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        roles, marker = self.roles.list_roles(
            p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems")
        )
        return _paged("Roles", [role_to_api(r, listing=True) for r in roles], marker)

    async def update_role(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.update(p["RoleName"], p.get("Description"), p.get("MaxSessionDuration"))
        return {}

    async def update_role_description(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        role = await self.roles.update(p["RoleName"], p["Description"], None)
        return {"Role": role_to_api(role)}

    async def update_assume_role_policy(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.roles.update_trust(p["RoleName"], p["PolicyDocument"])
        return {}

    async def delete_role(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.delete(p["RoleName"])
        return {}

    async def tag_role(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.tag(p["RoleName"], tags.checked(p["Tags"]))
        return {}

    async def untag_role(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.untag(p["RoleName"], p["TagKeys"])
        return {}

    async def list_role_tags(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        pairs = list(self.roles.get(p["RoleName"]).tags)
        got, marker = page(pairs, lambda t: t[0].lower(), p.get("Marker"), p.get("MaxItems"))
        return _paged("Tags", tags.to_api(tuple(got)), marker)

    # ---- inline policies

    async def put_role_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.put_inline(p["RoleName"], p["PolicyName"], p["PolicyDocument"])
        return {}

    async def get_role_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        role = self.roles.get(p["RoleName"])
        doc = self.roles.get_inline(p["RoleName"], p["PolicyName"])
        return {
            "RoleName": role.name,
            "PolicyName": p["PolicyName"],
            "PolicyDocument": encoded(doc),
        }

    async def delete_role_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.delete_inline(p["RoleName"], p["PolicyName"])
        return {}

    async def list_role_policies(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        names, marker = self.roles.list_inline(p["RoleName"], p.get("Marker"), p.get("MaxItems"))
        return _paged("PolicyNames", names, marker)

    # ---- attachments

    async def attach_role_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.attach(p["RoleName"], p["PolicyArn"])
        return {}

    async def detach_role_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.roles.detach(p["RoleName"], p["PolicyArn"])
        return {}

    async def list_attached_role_policies(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        pairs, marker = self.roles.attached(
            p["RoleName"], p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems")
        )
        items = [{"PolicyName": n, "PolicyArn": a} for n, a in pairs]
        return _paged("AttachedPolicies", items, marker)

    async def put_role_permissions_boundary(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.roles.put_boundary(p["RoleName"], p["PermissionsBoundary"])
        return {}

    async def delete_role_permissions_boundary(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.roles.delete_boundary(p["RoleName"])
        return {}

    async def list_instance_profiles_for_role(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        self.roles.get(p["RoleName"])  # NoSuchEntity for an unknown role
        return {"InstanceProfiles": [], "IsTruncated": False}

    # ---- managed policies

    async def create_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        policy = await self.policies.create(
            CreatePolicy(
                name=p["PolicyName"],
                document=p["PolicyDocument"],
                path=p.get("Path") or "/",
                description=p.get("Description", ""),
                tags=tags.checked(p.get("Tags")),
            )
        )
        return {"Policy": policy_to_api(self.policies.view(policy.arn))}

    async def get_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": policy_to_api(self.policies.view(p["PolicyArn"]))}

    async def delete_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.policies.delete(p["PolicyArn"])
        return {}

    async def list_policies(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        views, marker = self.policies.list_policies(
            ListPolicies(
                scope=p.get("Scope") or "All",
                only_attached=bool(p.get("OnlyAttached")),
                path_prefix=p.get("PathPrefix") or "/",
                usage_filter=p.get("PolicyUsageFilter") or "",
                marker=p.get("Marker"),
                max_items=p.get("MaxItems"),
            )
        )
        return _paged("Policies", [policy_to_api(v, listing=True) for v in views], marker)

    async def create_policy_version(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        default = bool(p.get("SetAsDefault"))
        version = await self.policies.create_version(p["PolicyArn"], p["PolicyDocument"], default)
        return {"PolicyVersion": version_to_api(version, default, document=False)}

    async def get_policy_version(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        version, default = self.policies.document(p["PolicyArn"], p["VersionId"])
        return {"PolicyVersion": version_to_api(version, default)}

    async def list_policy_versions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        versions, default = self.policies.versions(p["PolicyArn"])
        items = [version_to_api(v, v.version_id == default, document=False) for v in versions]
        return {"Versions": items, "IsTruncated": False}

    async def delete_policy_version(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.policies.delete_version(p["PolicyArn"], p["VersionId"])
        return {}

    async def set_default_policy_version(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.policies.set_default(p["PolicyArn"], p["VersionId"])
        return {}

    async def list_entities_for_policy(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        roles = self.policies.entities(p["PolicyArn"])
        flt = p.get("EntityFilter")
        prefix = p.get("PathPrefix") or "/"
        listed = [
            {"RoleName": r.name, "RoleId": r.role_id}
            for r in roles
            if flt in (None, "Role", "LocalManagedPolicy", "AWSManagedPolicy")
            and r.path.startswith(prefix)
        ]
        return {
            "PolicyGroups": [],
            "PolicyUsers": [],
            "PolicyRoles": listed,
            "IsTruncated": False,
        }

    async def tag_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.policies.tag(p["PolicyArn"], tags.checked(p["Tags"]))
        return {}

    async def untag_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.policies.untag(p["PolicyArn"], p["TagKeys"])
        return {}

    async def list_policy_tags(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": tags.to_api(self.policies.tags_of(p["PolicyArn"])), "IsTruncated": False}
