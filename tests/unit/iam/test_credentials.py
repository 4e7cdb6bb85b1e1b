"""CredentialBook (ovis/auth/credentials.py) and the SigV4 verifier asking it: temporary
credentials need their session token, expire, are written through and loaded back."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ovis.auth.credentials import FORGET_AFTER_S, CredentialBook, root_principal
from ovis.auth.sigv4 import SigningCredential, SigV4Verifier
from ovis.errors import (
    ExpiredTokenException,
    InvalidClientTokenId,
    QueryExpiredToken,
    UnrecognizedClientException,
)
from ovis.models.iam import Principal, TemporaryCredentials
from tests.unit.iam.fakes import MemoryIam
from tests.unit.test_sigv4 import ENDPOINT, NOW, SIGNED_AT, Wire, on_wire, sign

ACCOUNT = "123456789012"
ROLE_PRINCIPAL = Principal(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", "AROAX:s")


def _temp(key: str = "ASIATEMP", expires: float = NOW + 900) -> TemporaryCredentials:
    return TemporaryCredentials(key, "temp-secret", "the-token", expires, ROLE_PRINCIPAL)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_static_keys_are_the_account_root() -> None:
    book = CredentialBook({"test": "secret"}, ACCOUNT)
    assert book.lookup("test") == SigningCredential("secret")
    assert book.principal("test") == root_principal(ACCOUNT)
    assert root_principal(ACCOUNT).arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert book.lookup("nobody") is None and book.temporary("test") is None


def test_issued_credentials_are_stored_before_they_are_accepted() -> None:
    store = MemoryIam()
    book = CredentialBook({}, ACCOUNT, store, clock=Clock())
    store.fail = True
    with pytest.raises(OSError):
        book.issue(_temp())
    assert book.lookup("ASIATEMP") is None  # refused write: never accepted
    store.fail = False
    book.issue(_temp())
    assert store.creds["ASIATEMP"] == _temp()
    assert book.lookup("ASIATEMP") == SigningCredential("temp-secret", "the-token", NOW + 900)
    assert book.principal("ASIATEMP") == ROLE_PRINCIPAL
    # a new book over the same store (a restart) knows them
    again = CredentialBook({}, ACCOUNT, store, clock=Clock())
    again.load()
    assert again.temporary("ASIATEMP") == _temp()


def test_long_expired_credentials_are_forgotten() -> None:
    store = MemoryIam()
    clock = Clock()
    book = CredentialBook({}, ACCOUNT, store, clock=clock)
    book.issue(_temp("ASIAOLD", expires=NOW - FORGET_AFTER_S - 1))
    book.issue(_temp("ASIARECENT", expires=NOW - 10))
    clock.now += 1
    book.issue(_temp("ASIANEW"))
    assert book.lookup("ASIAOLD") is None and "ASIAOLD" not in store.creds
    assert book.lookup("ASIARECENT") is not None  # still answered as expired, not unknown


def _request(token: str | None, *, service: str = "lambda") -> Wire:
    """A GET signed by botocore with the temporary key (and ``token``) for ``service``."""
    req = AWSRequest(method="GET", url=f"{ENDPOINT}/2015-03-31/functions/")
    signer = SigV4Auth(Credentials("ASIATEMP", "temp-secret", token), service, "us-east-1")
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT):
        signer.add_auth(req)
    return on_wire(req.prepare())


def test_the_verifier_requires_the_session_token_and_refuses_expired_keys() -> None:
    clock = Clock()
    book = CredentialBook({}, ACCOUNT, MemoryIam(), clock=clock)
    book.issue(_temp(expires=NOW + 60))
    verifier = SigV4Verifier(book, clock=clock)
    ident = verifier.verify(*_request("the-token"))
    assert ident.access_key == "ASIATEMP"
    for token in (None, "other-token"):
        with pytest.raises(UnrecognizedClientException) as e:
            verifier.verify(*_request(token))
        assert e.value.message == "The security token included in the request is invalid."
        with pytest.raises(InvalidClientTokenId):
            verifier.verify(*_request(token, service="sts"))
    # the signature is still fresh (5 min skew) but the credentials are past their expiry
    late = Clock(NOW + 60)
    verifier = SigV4Verifier(book, clock=late)
    with pytest.raises(ExpiredTokenException) as e:
        verifier.verify(*_request("the-token"))
    assert e.value.message == "The security token included in the request is expired"
    with pytest.raises(QueryExpiredToken) as q:
        verifier.verify(*_request("the-token", service="iam"))
    assert q.value.code == "ExpiredToken"


def test_a_presigned_url_carries_the_session_token_as_a_parameter() -> None:
    clock = Clock()
    book = CredentialBook({}, ACCOUNT, MemoryIam(), clock=clock)
    book.issue(_temp())
    req = AWSRequest(method="GET", url=f"{ENDPOINT}/2015-03-31/functions/")
    signer = SigV4QueryAuth(
        Credentials("ASIATEMP", "temp-secret", "the-token"), "lambda", "us-east-1", expires=60
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT):
        signer.add_auth(req)
    wire = on_wire(req.prepare())
    assert b"X-Amz-Security-Token=the-token" in wire[2]
    assert SigV4Verifier(book, clock=clock).verify(*wire).access_key == "ASIATEMP"


def test_static_keys_refuse_a_session_token() -> None:
    # A token that names no session of the key is a forgery, even with a long-term key (#19).
    verifier = SigV4Verifier({"AKIDEXAMPLE": "s"}, clock=lambda: NOW)
    wire = sign(
        "GET", f"{ENDPOINT}/x", key="AKIDEXAMPLE", secret="s", headers={"X-Amz-Security-Token": "t"}
    )
    with pytest.raises(UnrecognizedClientException):
        verifier.verify(*wire)
    assert verifier.verify(*sign("GET", f"{ENDPOINT}/x", key="AKIDEXAMPLE", secret="s"))


def test_stored_form_round_trips() -> None:
    creds = TemporaryCredentials(
        "ASIAK",
        "s",
        "t",
        NOW,
        ROLE_PRINCIPAL,
        role_arn="arn",
        session_name="n",
        extra={"Tags": [["a", "b"]]},
    )
    assert TemporaryCredentials.from_json(creds.to_json()) == creds
    assert dt.datetime.fromtimestamp(NOW, dt.UTC).year == 2024


def test_function_sessions_are_accepted_in_memory_and_swept_without_the_store() -> None:
    store, clock = MemoryIam(), Clock()
    book = CredentialBook({"AKIDSTATIC": "s"}, ACCOUNT, store, clock)
    sessions = [_temp(f"ASIAFN{i:04d}") for i in range(70)]
    for creds in sessions:
        book.accept(creds)
    assert store.writes == 0 and not store.creds  # nothing stored: no fsync on a cold start
    assert book.lookup("ASIAFN0000") == SigningCredential("temp-secret", "the-token", NOW + 900)
    assert book.temporary("ASIAFN0069") == sessions[-1]
    assert book.principal("ASIAFN0001") == ROLE_PRINCIPAL and not book.is_static("ASIAFN0001")
    clock.now = NOW + 900 + FORGET_AFTER_S + 1  # long expired: the next sweep forgets them
    for i in range(64):
        book.accept(_temp(f"ASIANEW{i:04d}", expires=clock.now + 900))
    assert book.lookup("ASIAFN0000") is None and book.lookup("ASIANEW0000") is not None
    book.issue(_temp("ASIASTORED", expires=clock.now + 900))  # a stored sweep spares them
    assert store.writes == 1 and list(store.creds) == ["ASIASTORED"]
