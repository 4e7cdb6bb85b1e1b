"""ovis/models/policy_document.py: the grammar IAM checks, with AWS's messages, and the
trust-policy question --strict-iam asks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovis.models.policy_document import (
    PolicyDocumentError,
    allows_service_assume,
    parse_policy,
)


def _doc(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements), **top})


def _st(**kw: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **kw}


def _trust_st(**kw: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"Service": "lambda.amazonaws.com"},
        **kw,
    }


@pytest.mark.parametrize(
    "text",
    [
        _doc(_st()),
        _doc(
            _st(
                Action=["s3:Get*", "s3:List?ucket"], Resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
            )
        ),
        _doc({"Sid": "NoIam", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}),
        _doc(_st(Resource=None, NotResource="arn:aws-cn:s3:::x")),
        _doc(
            _st(
                Condition={
                    "StringEquals": {"aws:SourceAccount": ["1", "2"]},
                    "BoolIfExists": {"aws:SecureTransport": True},
                }
            )
        ),
        _doc(_st(Condition={"ForAnyValue:StringLike": {"aws:TagKeys": "team*"}})),
        _doc(_st(Action="*", Resource="arn:${aws:partition}:s3:::b")),
        json.dumps({"Statement": _st()}),  # no Version, one statement as an object
        json.dumps({"Version": "2008-10-17", "Id": "x", "Statement": [_st()]}),
    ],
)
def test_valid_identity_policies(text: str) -> None:
    parsed = parse_policy(text.replace(', "Resource": null', ""), "identity")
    assert "Statement" in parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "This policy contains invalid Json"),
        ("[]", "This policy contains invalid Json"),
        (json.dumps({"Version": "2012-10-17"}), "Syntax errors in policy."),
        (json.dumps({"Version": "2012-10-17", "Statement": []}), "Syntax errors in policy."),
        (json.dumps({"Version": "2011-01-01", "Statement": [_st()]}), "Syntax errors in policy."),
        (json.dumps({"Statement": [_st()], "Other": 1}), "Syntax errors in policy."),
        (_doc(_st(Effect="allow")), "Syntax errors in policy."),
        (_doc({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions."),
        (_doc(_st(NotAction="s3:*")), "Syntax errors in policy."),
        (_doc({"Effect": "Allow", "Action": "s3:*"}), "Policy statement must contain resources."),
        (
            _doc(_st(Action="GetObject")),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (_doc(_st(Action="s 3:Get")), "Vendor s 3 is not valid"),
        (_doc(_st(Action=[])), "Syntax errors in policy."),
        (_doc(_st(Action=1)), "Syntax errors in policy."),
        (_doc(_st(Resource="bucket")), 'Resource bucket must be in ARN format or "*".'),
        (
            _doc(_st(Resource="arn:foo:s3:::b")),
            'Partition "foo" is not valid for resource "arn:foo:s3:::b".',
        ),
        (_doc(_st(Principal="*")), "Policy document should not specify a principal."),
        (
            _doc(_st(Sid="a"), _st(Sid="a")),
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            _doc(_st(Sid="has space")),
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
        (_doc(_st(Condition={"Equals": {"aws:x": "y"}})), "Syntax errors in policy."),
        (
            _doc(_st(Condition={"StringEquals": {"nokey": "y"}})),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            _doc(_st(Condition={"StringEquals": {"aws:x": {"nested": 1}}})),
            "Syntax errors in policy.",
        ),
        (_doc(_st(Condition="x")), "Syntax errors in policy."),
    ],
)
def test_malformed_identity_policies(text: str, message: str) -> None:
    with pytest.raises(PolicyDocumentError) as e:
        parse_policy(text, "identity")
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (_trust_st(Resource="*"), "Has prohibited field Resource."),
        ({"Effect": "Allow", "Action": "sts:AssumeRole"}, "Syntax errors in policy."),
        (
            _trust_st(Principal={"Service": "lambda"}),
            'Invalid principal in policy: "SERVICE":"lambda"',
        ),
        (
            _trust_st(Principal={"AWS": "not-an-arn"}),
            'Invalid principal in policy: "AWS":"not-an-arn"',
        ),
        (_trust_st(Principal={"Robot": "x"}), "Invalid principal in policy"),
        (_trust_st(Principal=[]), "Invalid principal in policy"),
    ],
)
def test_malformed_trust_policies(statement: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyDocumentError) as e:
        parse_policy(_doc(statement), "trust")
    assert str(e.value) == message


def test_trust_policies_with_every_principal_kind() -> None:
    principals: list[Any] = [
        "*",
        {"AWS": "123456789012"},
        {"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/x"]},
        {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]},
        {"Federated": "cognito-identity.amazonaws.com"},
    ]
    for p in principals:
        parse_policy(_doc(_trust_st(Principal=p, Sid="any chars ok")), "trust")


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([_trust_st()], True),
        ([_trust_st(Action=["sts:AssumeRole", "sts:TagSession"])], True),
        ([_trust_st(Action="sts:*")], True),
        ([_trust_st(Action="STS:assumerole")], True),
        ([_trust_st(Principal="*")], True),
        ([_trust_st(Principal={"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]})], True),
        ([_trust_st(Principal={"Service": "ec2.amazonaws.com"})], False),
        ([_trust_st(Action="sts:AssumeRoleWithWebIdentity")], False),
        ([_trust_st(Principal={"AWS": "123456789012"})], False),
        ([_trust_st(), _trust_st(Effect="Deny")], False),
        ([_trust_st(Action=None, NotAction="sts:TagSession")], True),
    ],
)
def test_allows_service_assume(statements: list[dict[str, Any]], allowed: bool) -> None:
    for st in statements:
        if st.get("Action") is None:
            st.pop("Action", None)
    doc = parse_policy(_doc(*statements), "trust")
    assert allows_service_assume(doc, "lambda.amazonaws.com") is allowed
