"""Authorization of API requests signed with role sessions: the ``Authorizer`` the front door
calls after SigV4 verification and parsing, before the operation runs.

Who is evaluated: credentials with a role (AssumeRole sessions and functions' role sessions).
The server's own keys, and GetSessionToken sessions of them, are the account's root: full
access, no evaluation (the tests and the CLI use them). ``sts:GetCallerIdentity`` needs no
permission, as on AWS.

What is evaluated (``evaluation.evaluate``): the role's inline policies and attached managed
policies (customer managed: their default version; AWS managed: ``aws_policies``), its
permissions boundary, the session policy AssumeRole was given, and the resource's own policy
where the composition root supplied a lookup for that service (``resource_policies``). The
action and resource come from ``requests``.

A role ARN that names no role (functions created with a made-up ``role/lambda-role``): outside
``strict`` (--strict-iam) its session may do anything to resources of its own account (ARNs with
its account id, S3's account-less ARNs, AWS managed policies, and ``*``), nothing else; with
``strict`` it is denied everything.

Denied: ``AccessDenied`` with AWS's wording, its code per protocol (``AccessDeniedException`` for
Lambda and the JSON services, ``AccessDenied`` for the query and rest-xml ones).

Cost: one dict lookup for the static keys' fast path; for a role session, the catalog's role,
documents parsed once per distinct text (``parse_document``'s cache), and a walk over the
statements.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from ovis.errors import ApiError
from ovis.models.iam import Role, TemporaryCredentials
from ovis.services.iam.aws_policies import AWS_POLICIES
from ovis.services.iam.evaluation import (
    ALLOW,
    EXPLICIT_DENY,
    Document,
    Request,
    evaluate,
    parse_document,
)
from ovis.services.iam.requests import action_of, resource_of

# services whose protocol's error is AccessDeniedException (the others': AccessDenied)
_EXCEPTION_CODE = frozenset(
    {
        "lambda",
        "kinesis",
        "logs",
        "events",
        "scheduler",
        "schemas",
        "cloudwatch",
        "application-autoscaling",
    }
)

# service -> the policy documents of the resource an ARN names (none: [])
ResourcePolicies = Mapping[str, Callable[[str], Sequence[Document]]]


class AccessDeniedException(ApiError):
    code, status = "AccessDeniedException", 403


class AccessDenied(ApiError):
    code, status = "AccessDenied", 403


class SessionSource(Protocol):
    """What the authorizer asks the credential book (``CredentialBook``)."""

    def temporary(self, access_key: str) -> TemporaryCredentials | None: ...


class PolicySource(Protocol):
    """What the authorizer asks the IAM catalog (``IamCatalog``)."""

    def role_by_arn(self, arn: str) -> Role | None: ...
    def policy(self, arn: str) -> Any: ...


class IamAuthorizer:
    def __init__(
        self,
        credentials: SessionSource,
        catalog: PolicySource,
        account_id: str,
        *,
        strict: bool = False,
        resource_policies: ResourcePolicies | None = None,
    ) -> None:
        self.credentials = credentials
        self.catalog = catalog
        self.account_id = account_id
        self.strict = strict
        self.resource_policies = resource_policies or {}

    def is_admin(self, access_key: str) -> bool:
        """Whether ``access_key`` may use the admin endpoints: the server's own keys and their
        GetSessionToken sessions (the account root's, as ``authorize`` treats them); never a
        role session."""
        session = self.credentials.temporary(access_key)
        return session is None or not session.role_arn

    def authorize(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        access_key: str,
        region: str,
        secure: bool = False,
    ) -> None:
        """Return if the caller may make this request; raise AccessDenied otherwise."""
        session = self.credentials.temporary(access_key)
        if session is None or not session.role_arn:
            return  # the account's root (static keys and their GetSessionToken sessions)
        if service == "sts" and operation == "GetCallerIdentity":
            return
        action = action_of(service, operation)
        resource = resource_of(service, operation, params, region, self.account_id)
        decision = self.decide(session, action, resource, service, region, secure)
        if decision == ALLOW:
            return
        who = session.principal.arn
        why = (
            "with an explicit deny in an identity-based policy"
            if decision == EXPLICIT_DENY
            else f"because no identity-based policy allows the {action} action"
        )
        message = (
            f"User: {who} is not authorized to perform: {action} on resource: {resource} {why}"
        )
        if service in _EXCEPTION_CODE:
            raise AccessDeniedException(message)
        raise AccessDenied(message)

    def decide(
        self,
        session: TemporaryCredentials,
        action: str,
        resource: str,
        service: str,
        region: str,
        secure: bool = False,
    ) -> str:
        role = self.catalog.role_by_arn(session.role_arn)
        if role is None:
            if self.strict or not self._own(resource):
                return "implicit-deny"
            return ALLOW
        request = Request(
            action,
            resource,
            (
                session.principal.arn,
                role.arn,
                self.account_id,
                f"arn:aws:iam::{self.account_id}:root",
            ),
            self._context(session, role, region, secure),
        )
        identity = [parse_document(doc) for _name, doc in role.inline_policies]
        identity += [d for arn in role.attached if (d := self._managed(arn)) is not None]
        boundary = self._managed(role.permissions_boundary) if role.permissions_boundary else None
        if role.permissions_boundary and boundary is None:
            boundary = {}  # a boundary that names no policy allows nothing
        policy = session.extra.get("Policy")
        session_doc = parse_document(policy) if isinstance(policy, str) else None
        lookup = self.resource_policies.get(service)
        on_resource = list(lookup(resource)) if lookup is not None and resource != "*" else []
        return evaluate(request, identity, on_resource, boundary, session_doc)

    def _managed(self, arn: str) -> Document | None:
        aws = AWS_POLICIES.get(arn)
        if aws is not None:
            return parse_document(aws.document)
        customer = self.catalog.policy(arn)
        return parse_document(customer.default_document) if customer is not None else None

    def _own(self, resource: str) -> bool:
        if resource == "*":
            return True
        parts = resource.split(":", 5)
        return len(parts) == 6 and parts[4] in ("", self.account_id, "aws")

    def _context(
        self, session: TemporaryCredentials, role: Role, region: str, secure: bool
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        ctx: dict[str, Any] = {
            "aws:principalarn": role.arn,
            "aws:principalaccount": self.account_id,
            "aws:principaltype": "AssumedRole",
            "aws:userid": session.principal.user_id,
            "aws:requestedregion": region,
            "aws:securetransport": "true" if secure else "false",
            "aws:currenttime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:epochtime": str(int(now.timestamp())),
            "aws:tokenissuetime": datetime.fromtimestamp(session.issued_s, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
        source = session.extra.get("SourceFunctionArn")
        if isinstance(source, str):
            ctx["lambda:sourcefunctionarn"] = source
        for key, value in role.tags:
            ctx[f"aws:principaltag/{key.lower()}"] = value
        return ctx


# ---- resource policy lookups (wired by the composition root) -------------------------------


def function_policies(
    get_policy: Callable[[str, str | None], tuple[dict[str, Any], str]],
) -> Callable[[str], Sequence[Document]]:
    """Lambda: the function (or qualifier) policy AddPermission built, by the request's ARN;
    ``get_policy`` is ``PolicyService.get_policy`` (raises when there is none)."""

    def lookup(arn: str) -> Sequence[Document]:
        parts = arn.split(":")
        if len(parts) < 7 or parts[5] != "function":
            return []
        qualifier = parts[7] if len(parts) > 7 else None
        try:
            doc, _revision = get_policy(parts[6], qualifier)
        except ApiError:
            return []
        return [doc]

    return lookup


def policy_attribute(get_text: Callable[[str], str | None]) -> Callable[[str], Sequence[Document]]:
    """A resource whose policy is a JSON attribute (SQS's and SNS's ``Policy``): ``get_text``
    answers it by ARN, or raises (no such resource) or returns None (no policy)."""

    def lookup(arn: str) -> Sequence[Document]:
        try:
            text = get_text(arn)
        except ApiError:
            return []
        return [parse_document(text)] if text else []

    return lookup
