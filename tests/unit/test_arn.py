"""Function names and ARNs in every form the Lambda API accepts (ovis.models.arn)."""

from __future__ import annotations

import pytest

from ovis.models.arn import ArnError, FunctionRef, function_arn, layer_arn, parse_function_ref

ACCOUNT = "000000000000"
FULL = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:my-fn"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my-fn", FunctionRef("my-fn")),
        ("My_Fn-2", FunctionRef("My_Fn-2")),
        ("a" * 64, FunctionRef("a" * 64)),
        ("my-fn:3", FunctionRef("my-fn", "3")),
        ("my-fn:prod", FunctionRef("my-fn", "prod")),
        ("my-fn:$LATEST", FunctionRef("my-fn", "$LATEST")),
        (f"{ACCOUNT}:function:my-fn", FunctionRef("my-fn", None, ACCOUNT)),
        (f"{ACCOUNT}:function:my-fn:prod", FunctionRef("my-fn", "prod", ACCOUNT)),
        (f"{ACCOUNT}:function:my-fn:$LATEST", FunctionRef("my-fn", "$LATEST", ACCOUNT)),
        (FULL, FunctionRef("my-fn", None, ACCOUNT, "us-east-1")),
        (f"{FULL}:7", FunctionRef("my-fn", "7", ACCOUNT, "us-east-1")),
        (f"{FULL}:$LATEST", FunctionRef("my-fn", "$LATEST", ACCOUNT, "us-east-1")),
        (
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
            FunctionRef("f", None, "123456789012", "cn-north-1"),
        ),
        (
            "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:live",
            FunctionRef("f", "live", "123456789012", "us-gov-west-1"),
        ),
    ],
)
def test_accepted_forms(text: str, expected: FunctionRef) -> None:
    assert parse_function_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "bad name",
        "bad.name",
        "bad/name",
        "bad!",
        "a" * 65,  # names are at most 64 characters
        "my-fn:",  # a colon with nothing after it
        "my-fn:a:b",
        "my-fn:bad.qualifier",
        "my-fn:" + "q" * 129,
        ":my-fn",
        "arn:aws:lambda:us-east-1:000000000000:function:",
        "arn:aws:lambda:us-east-1:000000000000:function:my-fn:",
        "arn:aws:lambda:us-east-1:000000000000:function:my-fn:1:2",
        "arn:aws:lambda:us-east-1:00000000000:function:my-fn",  # 11-digit account
        "arn:aws:lambda:useast1:000000000000:function:my-fn",  # not a region
        "arn:aws:lambda:us-east-1:000000000000:layer:my-layer",
        "arn:aws:s3:::bucket",
        "arn:aws:lambda:us-east-1:000000000000:function:bad.name",
        "00000000000:function:my-fn",  # 11-digit account in a partial ARN
        f"{ACCOUNT}:function:",
        f"{ACCOUNT}:function:bad name",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:" + "a" * 65,
    ],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(ArnError):
        parse_function_ref(text)


def test_arn_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_function_ref("not a name")


def test_function_arn_round_trips() -> None:
    assert function_arn("us-east-1", ACCOUNT, "my-fn") == FULL
    assert function_arn("us-east-1", ACCOUNT, "my-fn", "$LATEST") == f"{FULL}:$LATEST"
    assert function_arn("eu-west-3", "123456789012", "f", "prod") == (
        "arn:aws:lambda:eu-west-3:123456789012:function:f:prod"
    )
    for q in (None, "1", "$LATEST", "live"):
        arn = function_arn("us-east-1", ACCOUNT, "my-fn", q)
        assert parse_function_ref(arn) == FunctionRef("my-fn", q, ACCOUNT, "us-east-1")


def test_layer_arn() -> None:
    assert (
        layer_arn("us-east-1", ACCOUNT, "deps") == f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:deps"
    )
    assert layer_arn("us-east-1", ACCOUNT, "deps", 3).endswith(":layer:deps:3")
    # version 0 is still a version, not "no version"
    assert layer_arn("us-east-1", ACCOUNT, "deps", 0).endswith(":layer:deps:0")
