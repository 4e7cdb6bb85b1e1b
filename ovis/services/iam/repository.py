"""What the IAM service stores: roles (each with its inline policies, attached policy ARNs and
tags) and customer managed policies (each with its versions), one aggregate per write.

Contract (whatever the backend): synchronous, thread-safe, durable on return; each method is
one transaction. Role names are unique regardless of case.
"""

from __future__ import annotations

from typing import Protocol

from ovis.models.iam import ManagedPolicy, Role


class IamRepository(Protocol):
    def iam_roles(self) -> list[Role]: ...
    def iam_put_role(self, role: Role) -> None:
        """Create or replace the role named ``role.name`` (any case)."""
        ...

    def iam_delete_role(self, name: str) -> None: ...
    def iam_policies(self) -> list[ManagedPolicy]: ...
    def iam_put_policy(self, policy: ManagedPolicy) -> None: ...
    def iam_delete_policy(self, arn: str) -> None: ...
