"""In-memory stand-ins for the IAM and temporary-credential repositories (unit tests)."""

from __future__ import annotations

from ovis.models.iam import ManagedPolicy, Role, TemporaryCredentials


class MemoryIam:
    """IamRepository and TemporaryCredentialRepository in dicts; ``fail`` makes writes raise."""

    def __init__(self) -> None:
        self.roles: dict[str, Role] = {}
        self.policies: dict[str, ManagedPolicy] = {}
        self.creds: dict[str, TemporaryCredentials] = {}
        self.fail = False
        self.writes = 0

    def _write(self) -> None:
        if self.fail:
            raise OSError("disk full")
        self.writes += 1

    def iam_roles(self) -> list[Role]:
        return list(self.roles.values())

    def iam_put_role(self, role: Role) -> None:
        self._write()
        self.roles[role.name.lower()] = role

    def iam_delete_role(self, name: str) -> None:
        self._write()
        self.roles.pop(name.lower(), None)

    def iam_policies(self) -> list[ManagedPolicy]:
        return list(self.policies.values())

    def iam_put_policy(self, policy: ManagedPolicy) -> None:
        self._write()
        self.policies[policy.arn] = policy

    def iam_delete_policy(self, arn: str) -> None:
        self._write()
        self.policies.pop(arn, None)

    def temporary_credentials(self) -> list[TemporaryCredentials]:
        return list(self.creds.values())

    def put_temporary_credentials(self, creds: TemporaryCredentials) -> None:
        self._write()
        self.creds[creds.access_key] = creds

    def delete_temporary_credentials(self, access_keys: list[str]) -> None:
        self._write()
        for k in access_keys:
            self.creds.pop(k, None)
