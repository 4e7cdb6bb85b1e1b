"""IAM policy evaluation: does a set of policies allow one request? AWS's logic, pure functions.

``evaluate(request, identity, resource, boundary, session)`` answers ``ALLOW``,
``EXPLICIT_DENY`` or ``IMPLICIT_DENY``:

1. an explicit Deny in any policy that applies (identity, resource, permissions boundary,
   session policy) wins;
2. else the request is allowed when an identity policy or the resource's policy allows it
   (same account: either suffices), and, where the principal has a permissions boundary or a
   session policy, that allows it too (an intersection; a resource-policy allow still needs the
   boundary, as for a role ARN principal on AWS);
3. else implicit deny.

A statement applies when its Action/NotAction matches the action (case-insensitive, ``*`` and
``?``), its Resource/NotResource matches the resource ARN (case-sensitive, wildcards; a request
whose resource is ``*`` matches only ``*`` patterns... and any NotResource, as on AWS), for
resource policies its Principal/NotPrincipal names the caller (``*``, the account id, the
account root ARN, the role ARN or the session ARN under ``AWS``), and every Condition holds.

Conditions: String{Equals,NotEquals,EqualsIgnoreCase,NotEqualsIgnoreCase,Like,NotLike},
Arn{Equals,Like,NotEquals,NotLike}, Numeric{Equals,NotEquals,LessThan,LessThanEquals,
GreaterThan,GreaterThanEquals}, Date{...} (ISO 8601 or epoch seconds), Bool, Null, each with
``...IfExists`` and the ``ForAnyValue:``/``ForAllValues:`` set qualifiers. Keys are
case-insensitive. A key missing from the context fails a positive operator and passes a negated
one (``StringNotEquals``...), as on AWS; ``IfExists`` passes when it is missing. IpAddress and
BinaryEquals are not evaluated here (the keys are never supplied: they fail, and the negated
NotIpAddress passes). Policy variables (``${aws:username}``) are not substituted.

Documents are parsed JSON (``parse_document`` caches by text: a role's policies are parsed once,
not per request).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ALLOW = "allow"
EXPLICIT_DENY = "explicit-deny"
IMPLICIT_DENY = "implicit-deny"

Document = Mapping[str, Any]
ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class Request:
    """One request as IAM sees it."""

    action: str  # "lambda:InvokeFunction"
    resource: str  # an ARN, or "*"
    principals: tuple[str, ...] = ()  # what a resource policy's AWS principal may name
    context: Mapping[str, ContextValue] = field(default_factory=dict)  # keys lower-cased


@functools.lru_cache(maxsize=4096)
def parse_document(text: str) -> Document:
    """A stored (already validated) policy document, parsed once per distinct text. Callers
    must not mutate it. An unreadable document is one with no statements (it allows nothing)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def evaluate(
    request: Request,
    identity: Sequence[Document],
    resource: Sequence[Document] = (),
    boundary: Document | None = None,
    session: Document | None = None,
) -> str:
    id_effect = _effect(request, identity, False)
    res_effect = _effect(request, resource, True)
    b_effect = _effect(request, [boundary], False) if boundary is not None else ALLOW
    s_effect = _effect(request, [session], False) if session is not None else ALLOW
    effects = (id_effect, res_effect, b_effect, s_effect)
    if EXPLICIT_DENY in effects:
        return EXPLICIT_DENY
    if ALLOW not in (id_effect, res_effect):
        return IMPLICIT_DENY
    if b_effect != ALLOW or s_effect != ALLOW:
        return IMPLICIT_DENY
    return ALLOW


def _effect(request: Request, docs: Sequence[Document | None], resource_policy: bool) -> str:
    """The combined effect of ``docs``' statements that apply: a Deny, else an Allow, else
    nothing (implicit deny)."""
    allowed = False
    for doc in docs:
        if not doc:
            continue
        statements = doc.get("Statement", [])
        for st in [statements] if isinstance(statements, dict) else statements:
            if not isinstance(st, dict) or not _applies(st, request, resource_policy):
                continue
            if st.get("Effect") == "Deny":
                return EXPLICIT_DENY
            if st.get("Effect") == "Allow":
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def _applies(st: Mapping[str, Any], request: Request, resource_policy: bool) -> bool:
    if "Action" in st:
        if not any(_glob(request.action, a, False) for a in _listed(st["Action"])):
            return False
    elif "NotAction" in st:
        if any(_glob(request.action, a, False) for a in _listed(st["NotAction"])):
            return False
    else:
        return False
    if "Resource" in st:
        if not any(_resource(request.resource, r) for r in _listed(st["Resource"])):
            return False
    elif "NotResource" in st:
        if any(_resource(request.resource, r) for r in _listed(st["NotResource"])):
            return False
    elif not resource_policy:
        return False  # an identity statement without a resource never applies
    if resource_policy:
        if "Principal" in st:
            if not _principal(st["Principal"], request.principals):
                return False
        elif "NotPrincipal" in st:
            if _principal(st["NotPrincipal"], request.principals):
                return False
        else:
            return False
    condition = st.get("Condition")
    return not condition or _conditions(condition, request.context)


def _resource(resource: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if resource == "*":
        return False  # an action on no particular resource: only "*" names it
    return _glob(resource, pattern, True)


def _principal(principal: Any, names: tuple[str, ...]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(p == "*" or p in names for p in _listed(principal.get("AWS", [])))


# ---- conditions ---------------------------------------------------------------------------


def _conditions(condition: Mapping[str, Any], context: Mapping[str, ContextValue]) -> bool:
    for op, pairs in condition.items():
        if not isinstance(pairs, dict):
            return False
        for key, values in pairs.items():
            if not _holds(op, key.lower(), [str(v) for v in _listed(values)], context):
                return False
    return True


_NEGATED = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "ArnNotEquals",
        "ArnNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
    }
)


def _holds(op: str, key: str, values: list[str], context: Mapping[str, ContextValue]) -> bool:
    qualifier, _, base = op.rpartition(":")
    got = context.get(key)
    if base == "Null":
        want_missing = bool(values) and values[0].lower() == "true"
        return (got is None) == want_missing
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if got is None:
        return if_exists or base in _NEGATED
    items = [got] if isinstance(got, str) else list(got)
    positive = _POSITIVE.get(base.replace("Not", "", 1) if base in _NEGATED else base)
    if positive is None:
        return False  # an operator we do not evaluate never holds
    negated = base in _NEGATED

    def one(item: str) -> bool:
        hit = any(positive(item, v) for v in values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(i) for i in items)
    if negated and qualifier != "ForAnyValue":
        return all(one(i) for i in items)  # "not equal to any": every value differs
    return any(one(i) for i in items)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    n = _number(text)
    if n is not None:
        return n
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _compare(parse: Any, test: Any) -> Any:
    def check(got: str, want: str) -> bool:
        a, b = parse(got), parse(want)
        return a is not None and b is not None and bool(test(a, b))

    return check


_POSITIVE: dict[str, Any] = {
    "StringEquals": lambda got, want: got == want,
    "StringEqualsIgnoreCase": lambda got, want: got.lower() == want.lower(),
    "StringLike": lambda got, want: _glob(got, want, True),
    "ArnEquals": lambda got, want: _glob(got, want, True),
    "ArnLike": lambda got, want: _glob(got, want, True),
    "Bool": lambda got, want: got.lower() == want.lower(),
    "NumericEquals": _compare(_number, lambda a, b: a == b),
    "NumericLessThan": _compare(_number, lambda a, b: a < b),
    "NumericLessThanEquals": _compare(_number, lambda a, b: a <= b),
    "NumericGreaterThan": _compare(_number, lambda a, b: a > b),
    "NumericGreaterThanEquals": _compare(_number, lambda a, b: a >= b),
    "DateEquals": _compare(_date, lambda a, b: a == b),
    "DateLessThan": _compare(_date, lambda a, b: a < b),
    "DateLessThanEquals": _compare(_date, lambda a, b: a <= b),
    "DateGreaterThan": _compare(_date, lambda a, b: a > b),
    "DateGreaterThanEquals": _compare(_date, lambda a, b: a >= b),
}
# "NumericNotEquals".replace("Not", "", 1) is "NumericEquals": the negated forms reuse these.


def _listed(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


@functools.lru_cache(maxsize=8192)
def _pattern(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    # only * and ? are wildcards (fnmatch's [...] sets are escaped)
    text = fnmatch.translate(pattern.replace("[", "[[]"))
    return re.compile(text, 0 if case_sensitive else re.IGNORECASE)


def _glob(value: str, pattern: str, case_sensitive: bool) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return value == pattern if case_sensitive else value.lower() == pattern.lower()
    return _pattern(pattern, case_sensitive).match(value) is not None
