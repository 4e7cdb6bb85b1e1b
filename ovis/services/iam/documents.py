"""Policy documents as IAM checks them on the way in: the grammar (``ovis.models.
policy_document``, refused as MalformedPolicyDocument) and IAM's size quotas (LimitExceeded),
counted as AWS does, in characters other than whitespace."""

from __future__ import annotations

from ovis.models.policy_document import Kind, PolicyDocumentError, parse_policy
from ovis.services.iam.errors import LimitExceededException, MalformedPolicyDocumentException

MANAGED_POLICY_SIZE = 6144
TRUST_POLICY_SIZE = 2048
INLINE_ROLE_POLICIES_SIZE = 10240


def size(document: str) -> int:
    return sum(1 for c in document if not c.isspace())


def checked(document: str, kind: Kind) -> str:
    """``document`` unchanged if IAM would accept it."""
    try:
        parse_policy(document, kind)
    except PolicyDocumentError as e:
        raise MalformedPolicyDocumentException(str(e)) from None
    return document


def checked_managed(document: str) -> str:
    checked(document, "identity")
    if size(document) > MANAGED_POLICY_SIZE:
        raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")
    return document


def checked_trust(document: str) -> str:
    checked(document, "trust")
    if size(document) > TRUST_POLICY_SIZE:
        raise LimitExceededException(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")
    return document
