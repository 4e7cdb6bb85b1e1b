"""StsService (ovis/services/sts/sessions.py) with a fake clock: durations, their scale,
refusals, and credentials issued through the book."""

from __future__ import annotations

import asyncio
import json

import pytest

from ovis.auth.credentials import CredentialBook
from ovis.errors import ValidationError
from ovis.services.iam.commands import CreateRole
from ovis.services.iam.service import Iam
from ovis.services.sts.commands import AssumeRole
from ovis.services.sts.errors import AccessDenied, MalformedPolicyDocumentException
from ovis.services.sts.sessions import StsService
from tests.unit.iam.fakes import MemoryIam

ACCOUNT = "123456789012"
NOW = 1_700_000_000.0
TRUST = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
)


def _setup(scale: float = 1.0) -> tuple[StsService, CredentialBook, MemoryIam, str]:
    store = MemoryIam()
    iam = Iam.build(store, ACCOUNT)
    role = asyncio.run(iam.roles.create(CreateRole("r", TRUST, max_session_s=7200)))
    book = CredentialBook({"root": "secret"}, ACCOUNT, store, clock=lambda: NOW)
    return StsService(book, iam.catalog, ACCOUNT, scale, clock=lambda: NOW), book, store, role.arn


def test_assume_role_issues_durable_credentials_for_the_session() -> None:
    sts, book, store, arn = _setup()
    creds = asyncio.run(sts.assume_role(AssumeRole(arn, "s", 7200), "root"))
    assert creds.expires_s == NOW + 7200
    assert store.creds[creds.access_key] == creds
    assert book.principal(creds.access_key).arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s"
    assert sts.caller_identity(creds.access_key).user_id.endswith(":s")
    assert creds.role_arn == arn and creds.access_key.startswith("ASIA")


def test_the_scale_shortens_real_lifetimes_only() -> None:
    sts, _book, _store, arn = _setup(scale=0.001)
    creds = asyncio.run(sts.assume_role(AssumeRole(arn, "s", 900), "root"))
    assert creds.expires_s == pytest.approx(NOW + 0.9)
    with pytest.raises(ValidationError):  # still checked against the role as given
        asyncio.run(sts.assume_role(AssumeRole(arn, "s", 7201), "root"))


def test_refusals() -> None:
    sts, _book, store, arn = _setup()
    with pytest.raises(AccessDenied):
        asyncio.run(sts.assume_role(AssumeRole(arn + "x", "s"), "root"))
    with pytest.raises(MalformedPolicyDocumentException):
        asyncio.run(sts.assume_role(AssumeRole(arn, "s", policy="{}"), "root"))
    session = asyncio.run(sts.get_session_token(900, "root"))
    assert session.principal.arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert session.source_access_key == "root"
    with pytest.raises(AccessDenied):
        asyncio.run(sts.get_session_token(900, session.access_key))
    chained = asyncio.run(sts.assume_role(AssumeRole(arn, "a"), "root"))
    with pytest.raises(ValidationError):
        asyncio.run(sts.assume_role(AssumeRole(arn, "b", 3601), chained.access_key))
    assert len(store.creds) == 2  # nothing issued by a refused call


def test_strict_mode_needs_a_trust_policy_naming_the_caller() -> None:
    store = MemoryIam()
    iam = Iam.build(store, ACCOUNT)
    lambda_only = asyncio.run(iam.roles.create(CreateRole("svc", TRUST)))
    account = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    )
    by_account = asyncio.run(iam.roles.create(CreateRole("acct", account)))
    book = CredentialBook({"root": "secret"}, ACCOUNT, store, clock=lambda: NOW)
    sts = StsService(book, iam.catalog, ACCOUNT, clock=lambda: NOW, strict=True)
    with pytest.raises(AccessDenied):
        asyncio.run(sts.assume_role(AssumeRole(lambda_only.arn, "s"), "root"))
    session = asyncio.run(sts.assume_role(AssumeRole(by_account.arn, "s"), "root"))
    # an assumed-role caller is named by its role's ARN (or the account)
    self_trust = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": by_account.arn},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    )
    chained = asyncio.run(iam.roles.create(CreateRole("chained", self_trust)))
    with pytest.raises(AccessDenied):
        asyncio.run(sts.assume_role(AssumeRole(chained.arn, "s"), "root"))
    assert (
        asyncio.run(sts.assume_role(AssumeRole(chained.arn, "s"), session.access_key)).role_arn
        == chained.arn
    )


def test_function_sessions_are_the_roles_in_memory_and_named_after_the_function() -> None:
    sts, book, store, arn = _setup(scale=0.5)
    writes = store.writes
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"
    creds = sts.function_session(arn, "orders", fn)
    assert store.writes == writes and creds.access_key not in store.creds  # memory only
    assert creds.access_key.startswith("ASIA") and len(creds.access_key) == 20
    assert creds.expires_s == NOW + 6 * 3600 * 0.5 and creds.issued_s == NOW
    role_id = sts.roles.role_by_arn(arn).role_id  # type: ignore[union-attr]
    assert book.principal(creds.access_key).arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/r/orders"
    assert book.principal(creds.access_key).user_id == f"{role_id}:orders"
    assert (creds.role_arn, creds.extra) == (arn, {"SourceFunctionArn": fn})
    # a role ARN that names no role still gets a session (the evaluator limits it)
    made_up = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
    other = sts.function_session(made_up, "orders", fn)
    assert other.access_key != creds.access_key and other.role_arn == made_up
    assert other.principal.user_id.startswith("AROA")
    assert other.principal.user_id == sts.function_session(made_up, "orders", fn).principal.user_id
