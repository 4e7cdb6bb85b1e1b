"""IAM roles and managed policies, and STS's temporary credentials, in SQLite (migration 9).

Contract: synchronous, thread-safe, durable on return; each write is one statement (one row per
aggregate), so a write is all or nothing. Implements ``ovis.services.iam.repository.
IamRepository`` and ``ovis.auth.credentials.TemporaryCredentialRepository``.
"""

from __future__ import annotations

from ovis.models.iam import ManagedPolicy, Role, TemporaryCredentials
from ovis.storage.sqlite.engine import Engine


class SqliteIam:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ---- roles

    def iam_roles(self) -> list[Role]:
        return [Role.from_json(r[0]) for r in self._engine.read("SELECT data FROM iam_roles")]

    def iam_put_role(self, role: Role) -> None:
        self._engine.put_or_delete(
            "iam_roles", {"name_key": role.name.lower()}, {"data": role.to_json()}
        )

    def iam_delete_role(self, name: str) -> None:
        self._engine.put_or_delete("iam_roles", {"name_key": name.lower()}, None)

    # ---- managed policies

    def iam_policies(self) -> list[ManagedPolicy]:
        rows = self._engine.read("SELECT data FROM iam_policies")
        return [ManagedPolicy.from_json(r[0]) for r in rows]

    def iam_put_policy(self, policy: ManagedPolicy) -> None:
        self._engine.put_or_delete("iam_policies", {"arn": policy.arn}, {"data": policy.to_json()})

    def iam_delete_policy(self, arn: str) -> None:
        self._engine.put_or_delete("iam_policies", {"arn": arn}, None)

    # ---- temporary credentials

    def temporary_credentials(self) -> list[TemporaryCredentials]:
        rows = self._engine.read("SELECT data FROM sts_credentials")
        return [TemporaryCredentials.from_json(r[0]) for r in rows]

    def put_temporary_credentials(self, creds: TemporaryCredentials) -> None:
        self._engine.put_or_delete(
            "sts_credentials",
            {"access_key": creds.access_key},
            {"expires_s": creds.expires_s, "data": creds.to_json()},
        )

    def delete_temporary_credentials(self, access_keys: list[str]) -> None:
        with self._engine.transaction() as db:
            db.executemany(
                "DELETE FROM sts_credentials WHERE access_key = ?", [(k,) for k in access_keys]
            )
