"""Role use cases: create, read, list, update, delete; trust policy; inline policies; managed
policy attachments; permissions boundary; tags. And the check Lambda's --strict-iam asks
(``lambda_can_assume``).

Rules as IAM has them: role names unique regardless of case (EntityAlreadyExists); a role
with inline or attached policies cannot be deleted (DeleteConflict); at most 10 attached
managed policies; the trust policy and inline policies are validated (MalformedPolicyDocument)
and stored exactly as given. Every write stores one aggregate (the role), or nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from ovis.models.iam import Role
from ovis.models.policy_document import allows_service_assume, parse_policy
from ovis.services.iam import documents, tags
from ovis.services.iam.catalog import IamCatalog
from ovis.services.iam.commands import CreateRole
from ovis.services.iam.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    LimitExceededException,
    NoSuchEntityException,
    no_such_policy,
)
from ovis.services.iam.ids import unique_id
from ovis.services.iam.paging import page
from ovis.services.iam.policies import ManagedPolicies

MAX_ATTACHED = 10


class RoleService:
    def __init__(
        self,
        catalog: IamCatalog,
        policies: ManagedPolicies,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.policies = policies
        self.clock = clock

    # ---- roles

    def get(self, name: str) -> Role:
        return self.catalog.role(name)

    def list_roles(
        self, path_prefix: str | None, marker: str | None, max_items: int | None
    ) -> tuple[list[Role], str | None]:
        prefix = path_prefix or "/"
        roles = sorted(
            (r for r in self.catalog.roles() if r.path.startswith(prefix)),
            key=lambda r: r.name.lower(),
        )
        return page(roles, lambda r: r.name.lower(), marker, max_items)

    async def create(self, cmd: CreateRole) -> Role:
        documents.checked_trust(cmd.trust_policy)
        if cmd.permissions_boundary:
            self.policies.attachable_name(cmd.permissions_boundary)
        async with self.catalog.writing():
            if self.catalog.find_role(cmd.name) is not None:
                raise EntityAlreadyExistsException(f"Role with name {cmd.name} already exists.")
            role = Role(
                name=cmd.name,
                role_id=unique_id("AROA"),
                arn=f"arn:aws:iam::{self.catalog.account_id}:role{cmd.path}{cmd.name}",
                path=cmd.path,
                trust_policy=cmd.trust_policy,
                created_s=float(int(self.clock())),
                description=cmd.description,
                max_session_s=cmd.max_session_s,
                permissions_boundary=cmd.permissions_boundary,
                tags=cmd.tags,
            )
            await self.catalog.put_role(role)
            return role

    async def _change(self, name: str, change: Callable[[Role], Role]) -> Role:
        async with self.catalog.writing():
            role = change(self.catalog.role(name))
            await self.catalog.put_role(role)
            return role

    async def update(self, name: str, description: str | None, max_session_s: int | None) -> Role:
        def change(r: Role) -> Role:
            return dataclasses.replace(
                r,
                description=r.description if description is None else description,
                max_session_s=r.max_session_s if max_session_s is None else max_session_s,
            )

        return await self._change(name, change)

    async def update_trust(self, name: str, document: str) -> None:
        documents.checked_trust(document)
        await self._change(name, lambda r: dataclasses.replace(r, trust_policy=document))

    async def delete(self, name: str) -> None:
        async with self.catalog.writing():
            role = self.catalog.role(name)
            if role.inline_policies:
                raise DeleteConflictException("Cannot delete entity, must delete policies first.")
            if role.attached:
                raise DeleteConflictException(
                    "Cannot delete entity, must detach all policies first."
                )
            await self.catalog.delete_role(role)

    # ---- tags

    async def tag(self, name: str, new: tags.Tags) -> None:
        await self._change(name, lambda r: dataclasses.replace(r, tags=tags.merged(r.tags, new)))

    async def untag(self, name: str, keys: list[str]) -> None:
        await self._change(name, lambda r: dataclasses.replace(r, tags=tags.without(r.tags, keys)))

    # ---- inline policies

    async def put_inline(self, name: str, policy_name: str, document: str) -> None:
        documents.checked(document, "identity")

        def change(r: Role) -> Role:
            others = tuple((n, d) for n, d in r.inline_policies if n != policy_name)
            total = sum(documents.size(d) for _n, d in others) + documents.size(document)
            if total > documents.INLINE_ROLE_POLICIES_SIZE:
                raise LimitExceededException(
                    f"Maximum policy size of {documents.INLINE_ROLE_POLICIES_SIZE} bytes exceeded "
                    f"for role {r.name}"
                )
            existing = [n for n, _d in r.inline_policies]
            if policy_name in existing:  # replaced in place: listing order is kept
                updated = tuple(
                    (n, document if n == policy_name else d) for n, d in r.inline_policies
                )
            else:
                updated = (*r.inline_policies, (policy_name, document))
            return dataclasses.replace(r, inline_policies=updated)

        await self._change(name, change)

    def get_inline(self, name: str, policy_name: str) -> str:
        doc = self.catalog.role(name).inline(policy_name)
        if doc is None:
            raise NoSuchEntityException(f"The role policy with name {policy_name} cannot be found.")
        return doc

    async def delete_inline(self, name: str, policy_name: str) -> None:
        def change(r: Role) -> Role:
            if r.inline(policy_name) is None:
                raise NoSuchEntityException(
                    f"The role policy with name {policy_name} cannot be found."
                )
            kept = tuple((n, d) for n, d in r.inline_policies if n != policy_name)
            return dataclasses.replace(r, inline_policies=kept)

        await self._change(name, change)

    def list_inline(
        self, name: str, marker: str | None, max_items: int | None
    ) -> tuple[list[str], str | None]:
        names = sorted(n for n, _d in self.catalog.role(name).inline_policies)
        return page(names, lambda n: n, marker, max_items)

    # ---- managed policy attachments

    async def attach(self, name: str, policy_arn: str) -> None:
        self.policies.attachable_name(policy_arn)

        def change(r: Role) -> Role:
            if policy_arn in r.attached:
                return r
            if len(r.attached) >= MAX_ATTACHED:
                raise LimitExceededException(
                    f"Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED}"
                )
            return dataclasses.replace(r, attached=(*r.attached, policy_arn))

        await self._change(name, change)

    async def detach(self, name: str, policy_arn: str) -> None:
        def change(r: Role) -> Role:
            if policy_arn not in r.attached:
                raise no_such_policy(policy_arn)
            return dataclasses.replace(r, attached=tuple(a for a in r.attached if a != policy_arn))

        await self._change(name, change)

    def attached(
        self, name: str, path_prefix: str | None, marker: str | None, max_items: int | None
    ) -> tuple[list[tuple[str, str]], str | None]:
        """(policy name, ARN) pairs attached to the role."""
        pairs: list[tuple[str, str]] = []
        for arn in self.catalog.role(name).attached:
            try:
                view = self.policies.view(arn)
            except NoSuchEntityException:
                continue
            if view.path.startswith(path_prefix or "/"):
                pairs.append((view.name, arn))
        pairs.sort(key=lambda p: p[1])
        return page(pairs, lambda p: p[1], marker, max_items)

    # ---- permissions boundary

    async def put_boundary(self, name: str, policy_arn: str) -> None:
        self.policies.attachable_name(policy_arn)
        await self._change(name, lambda r: dataclasses.replace(r, permissions_boundary=policy_arn))

    async def delete_boundary(self, name: str) -> None:
        await self._change(name, lambda r: dataclasses.replace(r, permissions_boundary=""))

    # ---- Lambda's --strict-iam check (the RoleChecker protocol of ovis.services.lambda_)

    async def lambda_can_assume(self, role_arn: str) -> bool:
        """Whether ``role_arn`` names a role of this account whose trust policy lets
        ``lambda.amazonaws.com`` call sts:AssumeRole."""
        role = self.catalog.role_by_arn(role_arn)
        if role is None:
            return False
        return allows_service_assume(
            parse_policy(role.trust_policy, "trust"), "lambda.amazonaws.com"
        )
