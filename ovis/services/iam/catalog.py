"""The IAM catalog: every role and customer managed policy, in memory, written through.

State is loaded from the store at start (``load``) and each change is stored before memory
changes, so what a caller was told happened survives a restart or a kill -9, and a failed
write changes nothing. Writes are serialized by one lock (``writing``): each use case checks
and then awaits the store, and two concurrent requests must not both pass a check (two
CreateRoles of one name). Reads take no lock. Role names are unique regardless of case.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ovis.models.iam import ManagedPolicy, Role
from ovis.services.iam.errors import no_such_role
from ovis.services.iam.repository import IamRepository


class IamCatalog:
    def __init__(self, store: IamRepository, account_id: str) -> None:
        self.store = store
        self.account_id = account_id
        self._roles: dict[str, Role] = {}  # lower-cased name -> role
        self._policies: dict[str, ManagedPolicy] = {}  # ARN -> policy
        self._lock = asyncio.Lock()

    def load(self) -> None:
        self._roles = {r.name.lower(): r for r in self.store.iam_roles()}
        self._policies = {p.arn: p for p in self.store.iam_policies()}

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        async with self._lock:
            yield

    # ---- roles

    def role(self, name: str) -> Role:
        found = self._roles.get(name.lower())
        if found is None:
            raise no_such_role(name)
        return found

    def find_role(self, name: str) -> Role | None:
        return self._roles.get(name.lower())

    def roles(self) -> list[Role]:
        return list(self._roles.values())

    async def put_role(self, role: Role) -> None:
        await asyncio.to_thread(self.store.iam_put_role, role)
        self._roles[role.name.lower()] = role

    async def delete_role(self, role: Role) -> None:
        await asyncio.to_thread(self.store.iam_delete_role, role.name)
        self._roles.pop(role.name.lower(), None)

    def role_by_arn(self, arn: str) -> Role | None:
        """The role an ARN names (``arn:aws:iam::<account>:role[/path/]<name>``), if any."""
        prefix = f"arn:aws:iam::{self.account_id}:role/"
        if not arn.startswith(prefix):
            return None
        role = self._roles.get(arn.rsplit("/", 1)[-1].lower())
        return role if role is not None and role.arn == arn else None

    # ---- customer managed policies

    def policy(self, arn: str) -> ManagedPolicy | None:
        return self._policies.get(arn)

    def policies(self) -> list[ManagedPolicy]:
        return list(self._policies.values())

    async def put_policy(self, policy: ManagedPolicy) -> None:
        await asyncio.to_thread(self.store.iam_put_policy, policy)
        self._policies[policy.arn] = policy

    async def delete_policy(self, arn: str) -> None:
        await asyncio.to_thread(self.store.iam_delete_policy, arn)
        self._policies.pop(arn, None)

    def attachments(self, arn: str) -> list[Role]:
        return [r for r in self._roles.values() if arn in r.attached]

    def boundary_uses(self, arn: str) -> int:
        return sum(1 for r in self._roles.values() if r.permissions_boundary == arn)
