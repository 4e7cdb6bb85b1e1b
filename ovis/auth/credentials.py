"""The credentials the server accepts: its static keys (from settings) and the temporary ones
STS issued (AssumeRole, GetSessionToken), and who each belongs to.

``CredentialBook`` is the ``CredentialLookup`` the SigV4 verifier asks on every request: one
dict lookup, no I/O. Temporary credentials live in memory, loaded from the store by ``load()``
at start (expired ones are dropped there) and written through by ``issue()``: ``issue`` returns
only once the store has them, so credentials handed to a client survive a restart or a kill -9.
Expired credentials stay in memory until the next ``issue`` or ``load`` sweeps them, so that the
verifier can answer ExpiredToken (rather than an unknown key) for a while after they expire.

Function sessions (``accept``): the role sessions each function instance runs with are kept in
memory only, never stored. Nothing that holds one outlives the server (its instances die with
it and start-up kills any left), so nothing must survive a restart, and issuing one costs a dict
insert rather than an fsync on the cold start path. They are swept like the stored ones.

Thread-safety: lookups may run on any thread; ``issue``/``load`` are called from one thread at a
time (the store is thread-safe; each dict operation here is atomic).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

from ovis.auth.sigv4 import CredentialLookup, SigningCredential
from ovis.models.iam import Principal, TemporaryCredentials

# Expired credentials are forgotten this long after their expiry (AWS keeps answering
# ExpiredToken for them; a bounded memory matters more here).
FORGET_AFTER_S = 24 * 3600.0


class TemporaryCredentialRepository(Protocol):
    """Durable temporary credentials. Synchronous, thread-safe, durable on return."""

    def temporary_credentials(self) -> list[TemporaryCredentials]: ...
    def put_temporary_credentials(self, creds: TemporaryCredentials) -> None: ...
    def delete_temporary_credentials(self, access_keys: list[str]) -> None: ...


def root_principal(account_id: str) -> Principal:
    """The account's root user: what the server's static keys are (AWS answers UserId = the
    account id for the root user)."""
    return Principal(account_id, f"arn:aws:iam::{account_id}:root", account_id)


class _WithExtra:
    __slots__ = ("_book", "_extra")

    def __init__(self, book: CredentialBook, extra: dict[str, SigningCredential]) -> None:
        self._book = book
        self._extra = extra

    def lookup(self, access_key: str) -> SigningCredential | None:
        return self._book.lookup(access_key) or self._extra.get(access_key)


class CredentialBook:
    def __init__(
        self,
        static: Mapping[str, str],
        account_id: str,
        store: TemporaryCredentialRepository | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._static = {k: SigningCredential(secret) for k, secret in static.items()}
        self._root = root_principal(account_id)
        self._store = store
        self._clock = clock
        self._temporary: dict[str, tuple[SigningCredential, TemporaryCredentials]] = {}
        self._memory_only: set[str] = set()  # function sessions: never in the store

    # ---- what the verifier and GetCallerIdentity ask ------------------------------------

    def lookup(self, access_key: str) -> SigningCredential | None:
        found = self._static.get(access_key)
        if found is not None:
            return found
        temp = self._temporary.get(access_key)
        return temp[0] if temp is not None else None

    def principal(self, access_key: str) -> Principal:
        """Who ``access_key`` is; the account root for the static keys (and unknown keys,
        which never get past the verifier)."""
        temp = self._temporary.get(access_key)
        return temp[1].principal if temp is not None else self._root

    def temporary(self, access_key: str) -> TemporaryCredentials | None:
        temp = self._temporary.get(access_key)
        return temp[1] if temp is not None else None

    def is_static(self, access_key: str) -> bool:
        return access_key in self._static

    def with_extra(self, secrets: Mapping[str, str]) -> CredentialLookup:
        """This book plus more static keys (other accounts' keys, which only AWS_IAM function
        URLs accept); the book's own keys win."""
        return _WithExtra(self, {k: SigningCredential(v) for k, v in secrets.items()})

    # ---- issuing and loading -------------------------------------------------------------

    def issue(self, creds: TemporaryCredentials) -> None:
        """Store ``creds`` (durable on return), then accept them. Blocking: call it off the
        event loop."""
        self._sweep()
        if self._store is not None:
            self._store.put_temporary_credentials(creds)
        self._remember(creds)

    def accept(self, creds: TemporaryCredentials) -> None:
        """Accept ``creds`` in memory only (a function instance's role session): no I/O, safe on
        the event loop. They stop working at their expiry and vanish with the server."""
        if len(self._memory_only) % 64 == 63:  # amortized: one scan per 64 sessions
            cutoff = self._clock() - FORGET_AFTER_S
            for k in [k for k in self._memory_only if self._temporary[k][1].expires_s < cutoff]:
                self._temporary.pop(k, None)
                self._memory_only.discard(k)
        self._memory_only.add(creds.access_key)
        self._remember(creds)

    def load(self) -> None:
        """Accept every stored credential that has not expired (long) ago; forget the rest."""
        if self._store is None:
            return
        for creds in self._store.temporary_credentials():
            self._remember(creds)
        self._sweep()

    def _remember(self, creds: TemporaryCredentials) -> None:
        signing = SigningCredential(creds.secret_key, creds.session_token, creds.expires_s)
        self._temporary[creds.access_key] = (signing, creds)

    def _sweep(self) -> None:
        cutoff = self._clock() - FORGET_AFTER_S
        gone = [k for k, (_s, c) in list(self._temporary.items()) if c.expires_s < cutoff]
        if not gone:
            return
        stored = [k for k in gone if k not in self._memory_only]
        if stored and self._store is not None:
            self._store.delete_temporary_credentials(stored)
        for k in gone:
            self._temporary.pop(k, None)
            self._memory_only.discard(k)
