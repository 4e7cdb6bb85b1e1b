"""IAM roles and managed policies and STS's temporary credentials: stored whole, durable on
return (a second storage on the database sees them), role names unique regardless of case, and
migration 9 applied on top of an older database."""

from __future__ import annotations

import dataclasses
from typing import Protocol

from ovis.auth.credentials import TemporaryCredentialRepository
from ovis.models.iam import ManagedPolicy, PolicyVersion, Principal, Role, TemporaryCredentials
from ovis.services.iam.repository import IamRepository
from ovis.storage.sqlite.engine import Engine
from ovis.storage.sqlite.migrate import migrate
from ovis.storage.sqlite.migrations import MIGRATIONS
from tests.contract.conftest import Backend, Storage

ACCOUNT = "000000000000"


class IamStore(IamRepository, TemporaryCredentialRepository, Protocol):
    pass


def _iam(storage: Storage) -> IamStore:
    store: IamStore = storage.iam  # type: ignore[attr-defined]
    return store


def role(name: str = "Role1", **kw: object) -> Role:
    r = Role(
        name=name,
        role_id="AROAEXAMPLE0000000001",
        arn=f"arn:aws:iam::{ACCOUNT}:role/svc/{name}",
        path="/svc/",
        trust_policy='{"Statement": []}',
        created_s=1700000000.0,
        description="d",
        max_session_s=7200,
        permissions_boundary="arn:aws:iam::aws:policy/AdministratorAccess",
        tags=(("a", "1"), ("b", "2")),
        inline_policies=(("p1", "{}"), ("p0", '{"x": 1}')),
        attached=("arn:aws:iam::aws:policy/AdministratorAccess",),
    )
    return dataclasses.replace(r, **kw)  # type: ignore[arg-type]


def policy(name: str = "P") -> ManagedPolicy:
    return ManagedPolicy(
        name=name,
        policy_id="ANPAEXAMPLE0000000001",
        arn=f"arn:aws:iam::{ACCOUNT}:policy/{name}",
        path="/",
        created_s=1.0,
        updated_s=2.0,
        default_version="v3",
        versions=(PolicyVersion("v1", "{}", 1.0), PolicyVersion("v3", "{ }", 2.0)),
        next_version=4,
        description="x",
        tags=(("k", "v"),),
    )


def creds(key: str = "ASIAEXAMPLE", expires: float = 1700000900.0) -> TemporaryCredentials:
    return TemporaryCredentials(
        key,
        "secret",
        "token",
        expires,
        Principal(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s", "AROAX:s"),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/R",
        session_name="s",
        issued_s=1700000000.0,
        extra={"Tags": [["a", "b"]]},
    )


def test_roles_round_trip_and_are_durable(backend: Backend, storage: Storage) -> None:
    store = _iam(storage)
    store.iam_put_role(role())
    store.iam_put_role(role("Other"))
    other = _iam(backend.open())
    assert sorted(other.iam_roles(), key=lambda r: r.name) == [role("Other"), role()]
    # a name differing only in case is the same role
    store.iam_put_role(role("ROLE1", description="replaced"))
    assert sorted(r.name for r in other.iam_roles()) == ["Other", "ROLE1"]
    store.iam_delete_role("role1")
    assert [r.name for r in other.iam_roles()] == ["Other"]


def test_policies_round_trip_and_are_durable(backend: Backend, storage: Storage) -> None:
    store = _iam(storage)
    store.iam_put_policy(policy())
    assert _iam(backend.open()).iam_policies() == [policy()]
    changed = dataclasses.replace(policy(), default_version="v1")
    store.iam_put_policy(changed)
    assert _iam(backend.open()).iam_policies() == [changed]
    store.iam_delete_policy(policy().arn)
    assert _iam(backend.open()).iam_policies() == []


def test_temporary_credentials_round_trip_and_are_deleted_by_key(
    backend: Backend, storage: Storage
) -> None:
    store = _iam(storage)
    store.put_temporary_credentials(creds("ASIA1"))
    store.put_temporary_credentials(creds("ASIA2"))
    other = _iam(backend.open())
    assert sorted(c.access_key for c in other.temporary_credentials()) == ["ASIA1", "ASIA2"]
    assert [c for c in other.temporary_credentials() if c.access_key == "ASIA1"] == [creds("ASIA1")]
    store.delete_temporary_credentials(["ASIA1", "ASIA-none"])
    assert [c.access_key for c in other.temporary_credentials()] == ["ASIA2"]


def test_migration_9_applies_on_an_older_database(backend: Backend) -> None:
    if backend.name != "sqlite":
        return
    storage = backend.open()
    path = storage._engine.path  # type: ignore[attr-defined]
    storage.close()
    engine = Engine(path)
    try:
        engine.write("DROP TABLE iam_roles")
        engine.write("DROP TABLE iam_policies")
        engine.write("DROP TABLE sts_credentials")
        engine.write("DELETE FROM schema_version WHERE version >= 9")
        assert migrate(engine) == max(m.version for m in MIGRATIONS)
    finally:
        engine.close()
    _iam(backend.open()).iam_put_role(role())
