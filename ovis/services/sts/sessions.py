"""STS use cases: who the caller is, and temporary credentials (AssumeRole, GetSessionToken).

Credentials are issued through the ``CredentialBook``: stored before the reply is sent, so they
keep working across a restart until they expire, and accepted by every service on the port.
``duration_scale`` multiplies how long they really last (tests shrink it so that expiry can be
observed without waiting 15 minutes); Expiration reports the real moment.

Function sessions (``function_session``): what each function instance runs with (Lambda assumes
the execution role for it). Issued in process, synchronously, and kept in memory only
(``CredentialBook.accept``): an instance never outlives the server, so there is nothing a restart
must keep, and the cold start path pays a few random bytes and a dict insert, not an fsync. A
role ARN that names no role still gets a session (the evaluator limits it to its account's
resources, outside --strict-iam). They last ``FUNCTION_SESSION_S`` (times ``duration_scale``);
the invoker refreshes them at half-life (see ``ovis/invoke/invoker.py``).

Not evaluated (as nowhere in this server): session policies, tags. AssumeRole requires that the
role exists in this account; with ``strict`` (the server's --strict-iam) its trust policy must
also let the caller assume it (the account id, the account root, the caller's ARN, or for an
assumed-role caller its role's ARN, as an AWS principal).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import Callable

from ovis.auth.credentials import CredentialBook
from ovis.errors import ValidationError
from ovis.models.iam import Principal, TemporaryCredentials
from ovis.models.policy_document import PolicyDocumentError, allows_assume, parse_policy
from ovis.services.sts.commands import AssumeRole
from ovis.services.sts.errors import AccessDenied, MalformedPolicyDocumentException
from ovis.services.sts.repository import RoleDirectory

CHAINED_MAX_S = 3600
FUNCTION_SESSION_S = 6 * 3600  # a function's role session; refreshed at half-life
GET_SESSION_TOKEN_DEFAULT_S = 43200
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _access_key() -> str:
    # 10 random bytes are exactly 16 base32 characters (the alphabet above): one urandom call,
    # where 16 secrets.choice calls cost ~100 us, a cold start's worth of budget
    return "ASIA" + base64.b32encode(secrets.token_bytes(10)).decode()


def _secret() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode()


def _session_token() -> str:
    return "IQoJb3JpZ2luX2Vj" + base64.b64encode(secrets.token_bytes(192)).decode()


def _stable_id(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return base64.b32encode(digest).decode()[:17]


class StsService:
    def __init__(
        self,
        credentials: CredentialBook,
        roles: RoleDirectory,
        account_id: str,
        duration_scale: float = 1.0,
        clock: Callable[[], float] = time.time,
        *,
        strict: bool = False,
    ) -> None:
        self.strict = strict
        self.credentials = credentials
        self.roles = roles
        self.account_id = account_id
        self.duration_scale = duration_scale
        self.clock = clock

    def caller_identity(self, access_key: str) -> Principal:
        return self.credentials.principal(access_key)

    async def assume_role(self, cmd: AssumeRole, caller_key: str) -> TemporaryCredentials:
        caller = self.credentials.principal(caller_key)
        role = self.roles.role_by_arn(cmd.role_arn)
        chained = self.credentials.temporary(caller_key)
        if role is None or (self.strict and not self._trusts(role.trust_policy, caller_key)):
            raise AccessDenied(
                f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: "
                f"{cmd.role_arn}"
            )
        if chained is not None and chained.role_arn and cmd.duration_s > CHAINED_MAX_S:
            raise ValidationError(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining."
            )
        if cmd.duration_s > role.max_session_s:
            raise ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        if cmd.policy is not None:
            try:
                parse_policy(cmd.policy, "identity")
            except PolicyDocumentError as e:
                raise MalformedPolicyDocumentException(str(e)) from None
        extra: dict[str, object] = {}
        if cmd.policy is not None:
            extra["Policy"] = cmd.policy
        if cmd.policy_arns:
            extra["PolicyArns"] = list(cmd.policy_arns)
        if cmd.tags:
            extra["Tags"] = [list(t) for t in cmd.tags]
        if cmd.source_identity:
            extra["SourceIdentity"] = cmd.source_identity
        principal = Principal(
            self.account_id,
            f"arn:aws:sts::{self.account_id}:assumed-role/{role.name}/{cmd.session_name}",
            f"{role.role_id}:{cmd.session_name}",
        )
        return await self._issue(
            principal, cmd.duration_s, role_arn=role.arn, session_name=cmd.session_name, extra=extra
        )

    def function_session(
        self, role_arn: str, function_name: str, function_arn: str
    ) -> TemporaryCredentials:
        """A role session for an instance of ``function_arn`` (session name: the function's
        name, as Lambda's). In memory only; synchronous and cheap (no I/O)."""
        role = self.roles.role_by_arn(role_arn)
        role_name = role_arn.rsplit("/", 1)[-1] if "/" in role_arn else role_arn
        role_id = role.role_id if role is not None else "AROA" + _stable_id(role_arn)
        principal = Principal(
            self.account_id,
            f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{function_name}",
            f"{role_id}:{function_name}",
        )
        now = self.clock()
        creds = TemporaryCredentials(
            access_key=_access_key(),
            secret_key=_secret(),
            session_token=_session_token(),
            expires_s=now + FUNCTION_SESSION_S * self.duration_scale,
            principal=principal,
            role_arn=role_arn,
            session_name=function_name,
            issued_s=now,
            extra={"SourceFunctionArn": function_arn},
        )
        self.credentials.accept(creds)
        return creds

    def _trusts(self, trust_policy: str, caller_key: str) -> bool:
        caller = self.credentials.principal(caller_key)
        names = [caller.account, f"arn:aws:iam::{caller.account}:root", caller.arn]
        temp = self.credentials.temporary(caller_key)
        if temp is not None and temp.role_arn:
            names.append(temp.role_arn)
        return allows_assume(parse_policy(trust_policy, "trust"), "AWS", names)

    async def get_session_token(
        self, duration_s: int | None, caller_key: str
    ) -> TemporaryCredentials:
        if self.credentials.temporary(caller_key) is not None:
            raise AccessDenied("Cannot call GetSessionToken with session credentials")
        principal = self.credentials.principal(caller_key)
        return await self._issue(
            principal,
            duration_s or GET_SESSION_TOKEN_DEFAULT_S,
            source_access_key=caller_key,
        )

    async def _issue(
        self,
        principal: Principal,
        duration_s: int,
        *,
        role_arn: str = "",
        session_name: str = "",
        source_access_key: str = "",
        extra: dict[str, object] | None = None,
    ) -> TemporaryCredentials:
        now = self.clock()
        creds = TemporaryCredentials(
            access_key=_access_key(),
            secret_key=_secret(),
            session_token=_session_token(),
            expires_s=now + duration_s * self.duration_scale,
            principal=principal,
            source_access_key=source_access_key,
            role_arn=role_arn,
            session_name=session_name,
            issued_s=now,
            extra=dict(extra or {}),
        )
        await asyncio.to_thread(self.credentials.issue, creds)
        return creds
