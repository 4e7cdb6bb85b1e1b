"""Console sign-in sessions and their CSRF tokens.

Contract: a session is created only by ``sign_in`` with an access key and secret the server's
``CredentialLookup`` knows (static keys, or temporary ones with their session token, not
expired); its id is 32 random bytes (the cookie's value) and it carries its own random CSRF
token, which every POST must echo in ``X-CSRF-Token``. Sessions live in memory only: a restart
signs everyone out (nothing acknowledged is lost: a session is not data). ``sign_out`` forgets
the session at once, so a copied cookie stops working. Sessions expire ``ttl_s`` after they were
made, or when the temporary credentials they were opened with expire; at most ``MAX_SESSIONS``
live at once (the oldest go first).

Before sign-in there is no session, but the sign-in POST needs a CSRF token too (login CSRF):
``pre_token(nonce)`` is an HMAC of a random per-browser nonce (kept in its own cookie) under a
key derived from the server secret, so it needs no state and no other site can mint one.

Thread-safety: called on the event loop only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ovis.auth.sigv4 import CredentialLookup

MAX_SESSIONS = 10_000
DEFAULT_TTL_S = 12 * 3600.0


@dataclass(frozen=True)
class Session:
    sid: str
    access_key: str
    csrf: str
    expires_s: float


class Sessions:
    def __init__(
        self,
        credentials: CredentialLookup,
        key: bytes,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._key = key
        self._ttl_s = ttl_s
        self._clock = clock
        self._live: OrderedDict[str, Session] = OrderedDict()

    def sign_in(self, access_key: str, secret: str, session_token: str = "") -> Session | None:
        """A new session for a key the server knows, or None (wrong key, secret or token, or
        expired temporary credentials: the same answer for each, so nothing leaks)."""
        cred = self._credentials.lookup(access_key)
        if cred is None or not hmac.compare_digest(cred.secret.encode(), secret.encode()):
            return None
        if cred.session_token is not None and not hmac.compare_digest(
            cred.session_token.encode(), session_token.encode()
        ):
            return None
        now = self._clock()
        if cred.expires_s is not None and cred.expires_s <= now:
            return None
        session = Session(
            secrets.token_urlsafe(32), access_key, secrets.token_urlsafe(32), now + self._ttl_s
        )
        self._live[session.sid] = session
        while len(self._live) > MAX_SESSIONS:
            self._live.popitem(last=False)
        return session

    def get(self, sid: str | None) -> Session | None:
        """The live session with this id; None if unknown, signed out or expired."""
        if not sid:
            return None
        session = self._live.get(sid)
        if session is None:
            return None
        now = self._clock()
        cred = self._credentials.lookup(session.access_key)
        # a session lasts no longer than the credentials it was opened with
        if (
            session.expires_s <= now
            or cred is None
            or (cred.expires_s is not None and cred.expires_s <= now)
        ):
            self._live.pop(sid, None)
            return None
        return session

    def sign_out(self, sid: str | None) -> None:
        if sid:
            self._live.pop(sid, None)

    def pre_token(self, nonce: str) -> str:
        """The sign-in form's CSRF token for the browser holding ``nonce``."""
        return hmac.new(self._key, b"console-signin|" + nonce.encode(), hashlib.sha256).hexdigest()

    def check_pre_token(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.pre_token(nonce), token)

    @staticmethod
    def check_csrf(session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(session.csrf, token)
