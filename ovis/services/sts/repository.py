"""What STS needs from elsewhere, as protocols it owns: the roles (IAM's catalog implements
``RoleDirectory``); the credentials themselves are ``ovis.auth.credentials.CredentialBook``."""

from __future__ import annotations

from typing import Protocol

from ovis.models.iam import Role


class RoleDirectory(Protocol):
    def role_by_arn(self, arn: str) -> Role | None:
        """The role of this account that ``arn`` names exactly, or None."""
        ...
