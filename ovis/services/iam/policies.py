"""Managed policies: customer managed ones (create, versions, default version, delete, tags)
and the built-in AWS managed ones (read-only), as one view for Get/List/Attach.

Rules as IAM has them: at most 5 versions per policy (LimitExceeded for a 6th), version ids
never reused (v1, v2, ...), the default version cannot be deleted, a policy attached to a role
or with versions besides the default cannot be deleted (DeleteConflict). Every write validates
the document first and stores one aggregate, or nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from ovis.models.iam import ManagedPolicy, PolicyVersion, Role
from ovis.services.iam import documents, tags
from ovis.services.iam.aws_policies import AWS_POLICIES, CREATED_S, AwsPolicy
from ovis.services.iam.catalog import IamCatalog
from ovis.services.iam.commands import CreatePolicy, ListPolicies
from ovis.services.iam.errors import (
    DeleteConflictException,
    EntityAlreadyExistsException,
    InvalidInputException,
    LimitExceededException,
    NoSuchEntityException,
    no_such_policy,
    not_attachable,
)
from ovis.services.iam.ids import unique_id
from ovis.services.iam.paging import page

MAX_VERSIONS = 5


@dataclass(frozen=True)
class PolicyView:
    """What GetPolicy/ListPolicies show of a managed policy, AWS's or the account's."""

    name: str
    policy_id: str
    arn: str
    path: str
    default_version: str
    attachment_count: int
    boundary_usage_count: int
    description: str
    created_s: float
    updated_s: float
    tags: tags.Tags
    aws_managed: bool


class ManagedPolicies:
    def __init__(self, catalog: IamCatalog, clock: Callable[[], float] = time.time) -> None:
        self.catalog = catalog
        self.clock = clock

    # ---- reading

    def _customer(self, arn: str) -> ManagedPolicy:
        found = self.catalog.policy(arn)
        if found is None:
            raise no_such_policy(arn)
        return found

    def view(self, arn: str) -> PolicyView:
        aws = AWS_POLICIES.get(arn)
        if aws is not None:
            return self._aws_view(aws)
        return self._view(self._customer(arn))

    def _aws_view(self, p: AwsPolicy) -> PolicyView:
        return PolicyView(
            p.name,
            p.policy_id,
            p.arn,
            p.path,
            p.version_id,
            len(self.catalog.attachments(p.arn)),
            self.catalog.boundary_uses(p.arn),
            p.description,
            CREATED_S,
            CREATED_S,
            (),
            True,
        )

    def _view(self, p: ManagedPolicy) -> PolicyView:
        return PolicyView(
            p.name,
            p.policy_id,
            p.arn,
            p.path,
            p.default_version,
            len(self.catalog.attachments(p.arn)),
            self.catalog.boundary_uses(p.arn),
            p.description,
            p.created_s,
            p.updated_s,
            p.tags,
            False,
        )

    def attachable_name(self, arn: str) -> str:
        """The name of the policy ``arn`` names, for attaching it; NoSuchEntity if none."""
        aws = AWS_POLICIES.get(arn)
        if aws is not None:
            return aws.name
        found = self.catalog.policy(arn)
        if found is None:
            raise not_attachable(arn)
        return found.name

    def list_policies(self, q: ListPolicies) -> tuple[list[PolicyView], str | None]:
        views: list[PolicyView] = []
        if q.scope in ("All", "AWS"):
            views += [self._aws_view(p) for p in AWS_POLICIES.values()]
        if q.scope in ("All", "Local"):
            views += [self._view(p) for p in self.catalog.policies()]
        views = [v for v in views if v.path.startswith(q.path_prefix or "/")]
        if q.only_attached:
            views = [v for v in views if v.attachment_count or v.boundary_usage_count]
        if q.usage_filter == "PermissionsPolicy":
            views = [v for v in views if not q.only_attached or v.attachment_count]
        elif q.usage_filter == "PermissionsBoundary":
            views = [v for v in views if not q.only_attached or v.boundary_usage_count]
        views.sort(key=lambda v: v.arn)
        return page(views, lambda v: v.arn, q.marker, q.max_items)

    def document(self, arn: str, version_id: str) -> tuple[PolicyVersion, bool]:
        """(the version, whether it is the default)."""
        aws = AWS_POLICIES.get(arn)
        if aws is not None:
            if version_id != aws.version_id:
                raise self._no_version(arn, version_id)
            return PolicyVersion(aws.version_id, aws.document, CREATED_S), True
        p = self._customer(arn)
        v = p.version(version_id)
        if v is None:
            raise self._no_version(arn, version_id)
        return v, version_id == p.default_version

    def versions(self, arn: str) -> tuple[list[PolicyVersion], str]:
        """(versions newest first, the default version id)."""
        aws = AWS_POLICIES.get(arn)
        if aws is not None:
            return [PolicyVersion(aws.version_id, aws.document, CREATED_S)], aws.version_id
        p = self._customer(arn)
        return list(reversed(p.versions)), p.default_version

    def entities(self, arn: str) -> list[Role]:
        self.view(arn)  # NoSuchEntity for an unknown policy
        return sorted(self.catalog.attachments(arn), key=lambda r: r.name.lower())

    @staticmethod
    def _no_version(arn: str, version_id: str) -> NoSuchEntityException:
        return NoSuchEntityException(
            f"Policy {arn} version {version_id} does not exist or is not attachable."
        )

    def _local(self, arn: str) -> ManagedPolicy:
        if arn in AWS_POLICIES:
            raise InvalidInputException(
                f"Policy {arn} is an AWS managed policy and cannot be changed."
            )
        return self._customer(arn)

    # ---- writing

    async def create(self, cmd: CreatePolicy) -> ManagedPolicy:
        documents.checked_managed(cmd.document)
        arn = f"arn:aws:iam::{self.catalog.account_id}:policy{cmd.path}{cmd.name}"
        async with self.catalog.writing():
            if any(p.name.lower() == cmd.name.lower() for p in self.catalog.policies()):
                raise EntityAlreadyExistsException(
                    f"A policy called {cmd.name} already exists. Duplicate names are not allowed."
                )
            now = float(int(self.clock()))
            policy = ManagedPolicy(
                name=cmd.name,
                policy_id=unique_id("ANPA"),
                arn=arn,
                path=cmd.path,
                created_s=now,
                updated_s=now,
                default_version="v1",
                versions=(PolicyVersion("v1", cmd.document, now),),
                next_version=2,
                description=cmd.description,
                tags=cmd.tags,
            )
            await self.catalog.put_policy(policy)
            return policy

    async def delete(self, arn: str) -> None:
        async with self.catalog.writing():
            p = self._local(arn)
            if self.catalog.attachments(arn) or self.catalog.boundary_uses(arn):
                raise DeleteConflictException("Cannot delete a policy attached to entities.")
            if len(p.versions) > 1:
                raise DeleteConflictException(
                    "This policy has more than one version. Before you delete a policy, you must "
                    "delete the policy's versions. The default version is deleted with the policy."
                )
            await self.catalog.delete_policy(arn)

    async def create_version(self, arn: str, document: str, set_default: bool) -> PolicyVersion:
        documents.checked_managed(document)
        async with self.catalog.writing():
            p = self._local(arn)
            if len(p.versions) >= MAX_VERSIONS:
                raise LimitExceededException(
                    f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create "
                    "a new version, you must delete an existing version."
                )
            now = float(int(self.clock()))
            version = PolicyVersion(f"v{p.next_version}", document, now)
            await self.catalog.put_policy(
                dataclasses.replace(
                    p,
                    versions=(*p.versions, version),
                    next_version=p.next_version + 1,
                    default_version=version.version_id if set_default else p.default_version,
                    updated_s=now,
                )
            )
            return version

    async def delete_version(self, arn: str, version_id: str) -> None:
        async with self.catalog.writing():
            p = self._local(arn)
            if p.version(version_id) is None:
                raise self._no_version(arn, version_id)
            if version_id == p.default_version:
                raise DeleteConflictException("Cannot delete the default version of a policy.")
            rest = tuple(v for v in p.versions if v.version_id != version_id)
            await self.catalog.put_policy(dataclasses.replace(p, versions=rest))

    async def set_default(self, arn: str, version_id: str) -> None:
        async with self.catalog.writing():
            p = self._local(arn)
            if p.version(version_id) is None:
                raise self._no_version(arn, version_id)
            now = float(int(self.clock()))
            await self.catalog.put_policy(
                dataclasses.replace(p, default_version=version_id, updated_s=now)
            )

    async def tag(self, arn: str, new: tags.Tags) -> None:
        async with self.catalog.writing():
            p = self._local(arn)
            await self.catalog.put_policy(dataclasses.replace(p, tags=tags.merged(p.tags, new)))

    async def untag(self, arn: str, keys: list[str]) -> None:
        async with self.catalog.writing():
            p = self._local(arn)
            await self.catalog.put_policy(dataclasses.replace(p, tags=tags.without(p.tags, keys)))

    def tags_of(self, arn: str) -> tags.Tags:
        return self.view(arn).tags
