"""IAM and STS values: roles (with their inline policies, attached policy ARNs and tags),
customer managed policies (with their versions) and temporary credentials.

All frozen; a change is a new value (``dataclasses.replace``). ``to_json``/``from_json`` are the
stored form (one JSON document per aggregate), stable across releases: unknown keys are ignored
on load and missing ones take their defaults, so a later release may add fields.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Role:
    name: str
    role_id: str  # AROA...
    arn: str
    path: str
    trust_policy: str  # the AssumeRolePolicyDocument exactly as given (JSON text)
    created_s: float
    description: str = ""
    max_session_s: int = 3600
    permissions_boundary: str = ""  # a policy ARN, or ""
    tags: tuple[tuple[str, str], ...] = ()  # in the order they were added
    inline_policies: tuple[tuple[str, str], ...] = ()  # (name, document text), in put order
    attached: tuple[str, ...] = ()  # managed policy ARNs, in attach order

    def inline(self, name: str) -> str | None:
        return next((doc for n, doc in self.inline_policies if n == name), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> Role:
        d = _known(Role, json.loads(text))
        for key in ("tags", "inline_policies"):
            d[key] = tuple(tuple(pair) for pair in d.get(key, ()))
        d["attached"] = tuple(d.get("attached", ()))
        return Role(**d)


@dataclass(frozen=True)
class PolicyVersion:
    version_id: str  # "v1", "v2", ...
    document: str  # as given (JSON text)
    created_s: float


@dataclass(frozen=True)
class ManagedPolicy:
    """A customer managed policy (AWS managed ones are built in: ``aws_policies``)."""

    name: str
    policy_id: str  # ANPA...
    arn: str
    path: str
    created_s: float
    updated_s: float
    default_version: str
    versions: tuple[PolicyVersion, ...]  # oldest first; at most 5
    next_version: int  # version numbers are never reused
    description: str = ""
    tags: tuple[tuple[str, str], ...] = ()

    def version(self, version_id: str) -> PolicyVersion | None:
        return next((v for v in self.versions if v.version_id == version_id), None)

    @property
    def default_document(self) -> str:
        v = self.version(self.default_version)
        return v.document if v is not None else ""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> ManagedPolicy:
        d = _known(ManagedPolicy, json.loads(text))
        d["versions"] = tuple(PolicyVersion(**v) for v in d.get("versions", ()))
        d["tags"] = tuple(tuple(pair) for pair in d.get("tags", ()))
        return ManagedPolicy(**d)


@dataclass(frozen=True)
class Principal:
    """Who a set of credentials is: what GetCallerIdentity answers."""

    account: str
    arn: str
    user_id: str


@dataclass(frozen=True)
class TemporaryCredentials:
    """Credentials issued by AssumeRole or GetSessionToken; valid until ``expires_s``."""

    access_key: str  # ASIA...
    secret_key: str
    session_token: str
    expires_s: float  # epoch seconds
    principal: Principal
    source_access_key: str = ""  # the long-term key behind a GetSessionToken session
    role_arn: str = ""  # set for assumed-role sessions
    session_name: str = ""
    issued_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # session policy, tags, source identity

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> TemporaryCredentials:
        d = _known(TemporaryCredentials, json.loads(text))
        d["principal"] = Principal(**d["principal"])
        return TemporaryCredentials(**d)


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {k: v for k, v in d.items() if k in names}
