"""RoleService and IamCatalog over an in-memory store: one write at a time, nothing changed
by a failed write, state loaded back, and the --strict-iam question."""

from __future__ import annotations

import asyncio
import json

import pytest

from ovis.services.iam.commands import CreateRole
from ovis.services.iam.errors import EntityAlreadyExistsException, NoSuchEntityException
from ovis.services.iam.service import Iam
from tests.unit.iam.fakes import MemoryIam

ACCOUNT = "123456789012"


def _trust(service: str = "lambda.amazonaws.com") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def test_concurrent_creates_of_one_name_make_one_role() -> None:
    store = MemoryIam()
    iam = Iam.build(store, ACCOUNT)

    async def main() -> list[object]:
        return await asyncio.gather(
            *(iam.roles.create(CreateRole(n, _trust())) for n in ("dup", "DUP", "Dup")),
            return_exceptions=True,
        )

    results = asyncio.run(main())
    assert sum(isinstance(r, EntityAlreadyExistsException) for r in results) == 2
    assert len(store.roles) == 1 and len(iam.catalog.roles()) == 1


def test_a_failed_write_changes_nothing() -> None:
    store = MemoryIam()
    iam = Iam.build(store, ACCOUNT)
    asyncio.run(iam.roles.create(CreateRole("r", _trust())))
    store.fail = True
    with pytest.raises(OSError):
        asyncio.run(iam.roles.create(CreateRole("other", _trust())))
    with pytest.raises(NoSuchEntityException):
        iam.roles.get("other")
    with pytest.raises(OSError):
        asyncio.run(iam.roles.tag("r", (("k", "v"),)))
    assert iam.roles.get("r").tags == ()
    with pytest.raises(OSError):
        asyncio.run(iam.roles.delete("r"))
    assert iam.roles.get("r").name == "r"


def test_state_is_loaded_back_from_the_store() -> None:
    store = MemoryIam()
    iam = Iam.build(store, ACCOUNT)
    role = asyncio.run(iam.roles.create(CreateRole("r", _trust(), path="/p/")))
    asyncio.run(
        iam.roles.put_inline(
            "r",
            "inline",
            json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
        )
    )
    again = Iam.build(store, ACCOUNT)
    again.catalog.load()
    assert again.roles.get("R") == iam.roles.get("r")
    assert again.catalog.role_by_arn(role.arn) is not None
    assert again.catalog.role_by_arn(f"arn:aws:iam::{ACCOUNT}:role/r") is None  # path differs


def test_lambda_can_assume() -> None:
    iam = Iam.build(MemoryIam(), ACCOUNT)
    ok = asyncio.run(iam.roles.create(CreateRole("ok", _trust())))
    ec2 = asyncio.run(iam.roles.create(CreateRole("ec2", _trust("ec2.amazonaws.com"))))
    assert asyncio.run(iam.roles.lambda_can_assume(ok.arn))
    assert not asyncio.run(iam.roles.lambda_can_assume(ec2.arn))
    assert not asyncio.run(iam.roles.lambda_can_assume(f"arn:aws:iam::{ACCOUNT}:role/missing"))
    assert not asyncio.run(iam.roles.lambda_can_assume("arn:aws:iam::999999999999:role/ok"))
