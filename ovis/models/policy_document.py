"""IAM policy documents: the grammar AWS checks before it stores one, with its wording.

``parse_policy(text, kind)`` returns the document as a dict or raises ``PolicyDocumentError``
whose message is what IAM's MalformedPolicyDocument says (``This policy contains invalid
Json``, ``Syntax errors in policy.``, ``Policy statement must contain actions.``...). ``kind``:

* ``"identity"``: inline and managed policies (and STS session policies): every statement
  needs Resource or NotResource and must not name a Principal;
* ``"trust"``: a role's AssumeRolePolicyDocument: every statement needs Principal or
  NotPrincipal and must not name a Resource.

Checked: top-level keys (Version, Id, Statement), Version (2012-10-17 or 2008-10-17), each
statement's keys, Effect, Action/NotAction (``*`` or ``vendor:pattern``), Resource/NotResource
(``*`` or an ARN in a known partition), Principal/NotPrincipal (``*`` or AWS/Service/Federated/
CanonicalUser), Condition (operator -> key -> value(s), keys prefixed by a vendor), Sid
(unique; alphanumeric in identity policies). Not checked: that actions or condition keys exist.

``allows_assume(doc, kind, names)`` is the small evaluation --strict-iam needs: does a trust
policy let a principal (``"Service"``, ``["lambda.amazonaws.com"]``, or ``"AWS"`` and the
caller's ARNs and account id) call sts:AssumeRole; an explicit Deny wins; conditions are not
evaluated and count as met. ``allows_service_assume(doc, service)`` is the Service case. Pure
functions, no state.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any, Literal

Kind = Literal["identity", "trust"]

INVALID_JSON = "This policy contains invalid Json"
SYNTAX = "Syntax errors in policy."
NEEDS_ACTIONS = "Policy statement must contain actions."
NEEDS_RESOURCES = "Policy statement must contain resources."
NO_PRINCIPAL = "Policy document should not specify a principal."
VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
SID_CHARS = (
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
    "expression [0-9A-Za-z]*"
)
VERSIONS = ("2012-10-17", "2008-10-17")
PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e"})

_TOP_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_KEYS = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_VENDOR = re.compile(r"^[a-zA-Z0-9-]+$")
_ACTION_NAME = re.compile(r"^[a-zA-Z0-9*?_-]*$")
_SID = re.compile(r"^[0-9A-Za-z]*$")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
_ACCOUNT = re.compile(r"^\d{12}$")
_UNIQUE_ID = re.compile(r"^A[A-Z0-9]{15,127}$")  # AIDA..., AROA...: IAM stores ARNs as ids
_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)


class PolicyDocumentError(ValueError):
    """A document IAM refuses; ``str(e)`` is AWS's MalformedPolicyDocument message."""


def parse_policy(text: str, kind: Kind = "identity") -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise PolicyDocumentError(INVALID_JSON) from None
    if not isinstance(doc, dict):
        raise PolicyDocumentError(INVALID_JSON)
    if not doc.keys() <= _TOP_KEYS or "Statement" not in doc:
        raise PolicyDocumentError(SYNTAX)
    if "Version" in doc and doc["Version"] not in VERSIONS:
        raise PolicyDocumentError(SYNTAX)
    if "Id" in doc and not isinstance(doc["Id"], str):
        raise PolicyDocumentError(SYNTAX)
    statements = doc["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise PolicyDocumentError(SYNTAX)
    sids: set[str] = set()
    for st in statements:
        _check_statement(st, kind)
        sid = st.get("Sid")
        if sid is not None:
            if sid in sids:
                raise PolicyDocumentError(DUPLICATE_SID)
            sids.add(sid)
    return doc


def _strings(value: Any) -> list[str]:
    """A string or a non-empty list of strings, as a list; anything else is a syntax error."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise PolicyDocumentError(SYNTAX)


def _check_statement(st: Any, kind: Kind) -> None:
    if not isinstance(st, dict) or not st.keys() <= _STATEMENT_KEYS:
        raise PolicyDocumentError(SYNTAX)
    if st.get("Effect") not in ("Allow", "Deny"):
        raise PolicyDocumentError(SYNTAX)
    sid = st.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise PolicyDocumentError(SYNTAX)
        if kind == "identity" and not _SID.match(sid):
            raise PolicyDocumentError(SID_CHARS)
    if _pair(st, "Action", "NotAction"):
        raise PolicyDocumentError(SYNTAX)
    actions = st.get("Action", st.get("NotAction"))
    if actions is None:
        raise PolicyDocumentError(NEEDS_ACTIONS)
    for action in _strings(actions):
        _check_action(action)
    if _pair(st, "Resource", "NotResource") or _pair(st, "Principal", "NotPrincipal"):
        raise PolicyDocumentError(SYNTAX)
    resources = st.get("Resource", st.get("NotResource"))
    principal = st.get("Principal", st.get("NotPrincipal"))
    if kind == "identity":
        if principal is not None:
            raise PolicyDocumentError(NO_PRINCIPAL)
        if resources is None:
            raise PolicyDocumentError(NEEDS_RESOURCES)
        for resource in _strings(resources):
            _check_resource(resource)
    else:
        if resources is not None:
            field = "Resource" if "Resource" in st else "NotResource"
            raise PolicyDocumentError(f"Has prohibited field {field}.")
        if principal is None:
            raise PolicyDocumentError(SYNTAX)
        _check_principal(principal)
    if "Condition" in st:
        _check_condition(st["Condition"])


def _pair(st: dict[str, Any], a: str, b: str) -> bool:
    return a in st and b in st


def _check_action(action: str) -> None:
    if action == "*":
        return
    vendor, sep, name = action.partition(":")
    if not sep:
        raise PolicyDocumentError(VENDOR)
    if not _VENDOR.match(vendor):
        raise PolicyDocumentError(f"Vendor {vendor} is not valid")
    if not _ACTION_NAME.match(name):
        raise PolicyDocumentError(f"Action {action} is not valid")


def _check_resource(resource: str) -> None:
    if resource == "*":
        return
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise PolicyDocumentError(f'Resource {resource} must be in ARN format or "*".')
    partition = parts[1]
    if partition not in PARTITIONS and not (
        partition.startswith("${") or any(c in partition for c in "*?")
    ):
        raise PolicyDocumentError(
            f'Partition "{partition}" is not valid for resource "{resource}".'
        )


def _check_principal(principal: Any) -> None:
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise PolicyDocumentError("Invalid principal in policy")
    for key, value in principal.items():
        if key not in _PRINCIPAL_KEYS:
            raise PolicyDocumentError("Invalid principal in policy")
        for one in _strings(value):
            if not _valid_principal(key, one):
                raise PolicyDocumentError(f'Invalid principal in policy: "{key.upper()}":"{one}"')


def _valid_principal(key: str, value: str) -> bool:
    if key == "AWS":
        if value == "*" or _ACCOUNT.match(value) or _UNIQUE_ID.match(value):
            return True
        parts = value.split(":", 5)
        return (
            len(parts) == 6
            and parts[0] == "arn"
            and parts[1] in PARTITIONS
            and parts[2] in ("iam", "sts")
            and (parts[4] == "" or _ACCOUNT.match(parts[4]) is not None)
            and bool(parts[5])
        )
    if key == "Service":
        return value == "*" or _SERVICE.match(value) is not None
    return bool(value)


def _check_condition(condition: Any) -> None:
    if not isinstance(condition, dict):
        raise PolicyDocumentError(SYNTAX)
    for operator, block in condition.items():
        base = operator
        for prefix in ("ForAllValues:", "ForAnyValue:"):
            if base.startswith(prefix):
                base = base[len(prefix) :]
        if base.endswith("IfExists") and base != "IfExists":
            base = base[: -len("IfExists")]
        if base not in _OPERATORS or not isinstance(block, dict) or not block:
            raise PolicyDocumentError(SYNTAX)
        for key, value in block.items():
            if ":" not in key:
                raise PolicyDocumentError(VENDOR)
            values = value if isinstance(value, list) else [value]
            if not values or not all(
                isinstance(v, str | bool | int | float) and v is not None for v in values
            ):
                raise PolicyDocumentError(SYNTAX)


def allows_service_assume(doc: dict[str, Any], service: str) -> bool:
    """Whether a (valid) trust policy lets ``service`` call ``sts:AssumeRole``."""
    return allows_assume(doc, "Service", [service])


def allows_assume(doc: dict[str, Any], kind: str, names: list[str]) -> bool:
    """Whether a (valid) trust policy lets a principal known by ``names`` (of principal
    ``kind``: AWS, Service, Federated) call ``sts:AssumeRole``."""
    allowed = False
    statements = doc.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        if not (_matches_action(st) and _matches_principal(st, kind, names)):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def _matches_action(st: dict[str, Any]) -> bool:
    if "Action" in st:
        return any(_glob("sts:AssumeRole", a) for a in _listed(st["Action"]))
    return not any(_glob("sts:AssumeRole", a) for a in _listed(st.get("NotAction", [])))


def _matches_principal(st: dict[str, Any], kind: str, names: list[str]) -> bool:
    if "Principal" in st:
        return _names(st["Principal"], kind, names)
    return "NotPrincipal" in st and not _names(st["NotPrincipal"], kind, names)


def _names(principal: Any, kind: str, names: list[str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(s == "*" or s in names for s in _listed(principal.get(kind, [])))


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _glob(action: str, pattern: str) -> bool:
    # Action names are case-insensitive; * and ? are the only wildcards.
    return fnmatch.fnmatchcase(action.lower(), pattern.lower().replace("[", "[[]"))
