"""The use cases' pure helpers: TemplateURL forms, required capabilities, reverse order."""

from __future__ import annotations

import pytest

from ovis.errors import ValidationError
from ovis.models.stack import StackResource
from ovis.services.cloudformation.engine import output_text, reverse_order
from ovis.services.cloudformation.stacks import parse_template_url, required_capabilities


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:9000/bucket/dir/t.yaml", ("bucket", "dir/t.yaml")),
        ("https://bucket.s3.amazonaws.com/dir/t.yaml", ("bucket", "dir/t.yaml")),
        ("https://bucket.s3.eu-west-1.amazonaws.com/t.yaml", ("bucket", "t.yaml")),
        ("https://s3.us-east-1.amazonaws.com/bucket/a%20b.json", ("bucket", "a b.json")),
        ("https://s3.amazonaws.com/bucket/k", ("bucket", "k")),
    ],
)
def test_template_urls(url: str, expected: tuple[str, str]) -> None:
    assert parse_template_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://h/b/k", "https://host/bucket-only", "not a url"])
def test_bad_template_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        parse_template_url(url)


def test_required_capabilities() -> None:
    role = {"Type": "AWS::IAM::Role", "Properties": {}}
    named = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r"}}
    assert required_capabilities({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}) == ([], [])
    assert required_capabilities({"Resources": {"R": role}}) == (
        ["CAPABILITY_IAM"],
        ["AWS::IAM::Role"],
    )
    assert required_capabilities({"Resources": {"R": role, "N": named}})[0] == [
        "CAPABILITY_NAMED_IAM"
    ]


def test_reverse_order_puts_dependents_first() -> None:
    def r(lid: str, *deps: str) -> StackResource:
        return StackResource("s", lid, "T", "CREATE_COMPLETE", "t", depends_on=deps)

    order = [x.logical_id for x in reverse_order([r("A"), r("B", "A"), r("C", "B", "A")])]
    assert order == ["C", "B", "A"]
    assert output_text(["a", "b"]) == "a,b" and output_text(True) == "true"
