"""Console sessions: who may sign in, what a session's CSRF token guards, sign-out and expiry."""

from __future__ import annotations

from ovis.auth.credentials import CredentialBook
from ovis.auth.sigv4 import SigningCredential
from ovis.frontdoor.console.sessions import MAX_SESSIONS, Sessions


class _Lookup:
    def __init__(self, creds: dict[str, SigningCredential]) -> None:
        self.creds = creds

    def lookup(self, access_key: str) -> SigningCredential | None:
        return self.creds.get(access_key)


def _sessions(clock: list[float] | None = None, ttl: float = 100.0) -> Sessions:
    now = clock if clock is not None else [1000.0]
    book = CredentialBook({"AKIDEXAMPLE": "s3cret"}, "000000000000")
    return Sessions(book, b"k" * 32, ttl_s=ttl, clock=lambda: now[0])


def test_sign_in_needs_the_right_secret() -> None:
    s = _sessions()
    assert s.sign_in("AKIDEXAMPLE", "wrong") is None
    assert s.sign_in("NOSUCHKEY", "s3cret") is None
    session = s.sign_in("AKIDEXAMPLE", "s3cret")
    assert session is not None and session.access_key == "AKIDEXAMPLE"
    assert s.get(session.sid) == session


def test_each_sign_in_is_a_new_session_with_its_own_csrf_token() -> None:
    s = _sessions()
    a, b = s.sign_in("AKIDEXAMPLE", "s3cret"), s.sign_in("AKIDEXAMPLE", "s3cret")
    assert a is not None and b is not None
    assert a.sid != b.sid and a.csrf != b.csrf
    assert Sessions.check_csrf(a, a.csrf)
    assert not Sessions.check_csrf(a, b.csrf)
    assert not Sessions.check_csrf(a, None)


def test_sign_out_forgets_the_session_at_once() -> None:
    s = _sessions()
    session = s.sign_in("AKIDEXAMPLE", "s3cret")
    assert session is not None
    s.sign_out(session.sid)
    assert s.get(session.sid) is None
    assert s.get(None) is None and s.get("") is None


def test_sessions_expire() -> None:
    clock = [1000.0]
    s = _sessions(clock, ttl=60.0)
    session = s.sign_in("AKIDEXAMPLE", "s3cret")
    assert session is not None
    clock[0] += 59.0
    assert s.get(session.sid) is not None
    clock[0] += 1.0
    assert s.get(session.sid) is None


def test_temporary_credentials_need_their_token_and_must_not_be_expired() -> None:
    clock = [1000.0]
    lookup = _Lookup({"ASIATEMP": SigningCredential("tsecret", "tok", 2000.0)})
    s = Sessions(lookup, b"k" * 32, clock=lambda: clock[0])
    assert s.sign_in("ASIATEMP", "tsecret") is None
    assert s.sign_in("ASIATEMP", "tsecret", "other") is None
    assert s.sign_in("ASIATEMP", "tsecret", "tok") is not None
    clock[0] = 2000.0
    assert s.sign_in("ASIATEMP", "tsecret", "tok") is None


def test_the_pre_sign_in_token_is_bound_to_its_nonce_and_key() -> None:
    s = _sessions()
    token = s.pre_token("nonce-a")
    assert s.check_pre_token("nonce-a", token)
    assert not s.check_pre_token("nonce-b", token)
    assert not s.check_pre_token(None, token)
    assert not s.check_pre_token("nonce-a", None)
    other = Sessions(CredentialBook({}, "000000000000"), b"x" * 32)
    assert not other.check_pre_token("nonce-a", token)


def test_live_sessions_are_bounded_oldest_first() -> None:
    s = _sessions(ttl=1e9)
    first = s.sign_in("AKIDEXAMPLE", "s3cret")
    assert first is not None
    for _ in range(MAX_SESSIONS):
        s.sign_in("AKIDEXAMPLE", "s3cret")
    assert s.get(first.sid) is None


def test_a_session_ends_when_its_temporary_credentials_expire() -> None:
    clock = [1000.0]
    lookup = _Lookup({"ASIATEMP": SigningCredential("tsecret", "tok", 1500.0)})
    s = Sessions(lookup, b"k" * 32, ttl_s=1e6, clock=lambda: clock[0])
    session = s.sign_in("ASIATEMP", "tsecret", "tok")
    assert session is not None
    clock[0] = 1499.0
    assert s.get(session.sid) is not None
    clock[0] = 1500.0
    assert s.get(session.sid) is None
