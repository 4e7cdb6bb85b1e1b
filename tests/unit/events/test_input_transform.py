"""Input / InputPath / InputTransformer: EventBridge's JSON path subset and quoting rules."""

from __future__ import annotations

import json

import pytest

from ovis.services.events.errors import ValidationException
from ovis.services.events.input_transform import (
    check_transformer,
    parse_path,
    render_template,
    target_input,
)

EVENT = {
    "version": "0",
    "id": "e1",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "n": 3, "tags": ["a", "b"]},
}
PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state"}


def render(template: str, paths: dict[str, str] | None = None) -> str:
    target = {"InputTransformer": {"InputPathsMap": paths or PATHS, "InputTemplate": template}}
    return target_input(target, EVENT, json.dumps(EVENT), "arn:rule", "r", "2015-11-11T21:29:55Z")


def test_string_template_inserts_raw_text() -> None:
    assert render('"<instance> is in state <state>"') == '"i-0123456789 is in state RUNNING"'
    assert render('"<instance> is in state \\"<state>\\""') == (
        '"i-0123456789 is in state \\"RUNNING\\""'
    )


def test_json_template_quotes_values_outside_strings() -> None:
    out = render('{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}')
    assert json.loads(out) == {
        "instance": "i-0123456789",
        "state": [9, "RUNNING", True],
        "Transformed": "Yes",
    }
    assert json.loads(render('{"n": <n>}', {"n": "$.detail.n"})) == {"n": 3}


def test_objects_inside_strings_lose_their_quotes() -> None:
    assert render('"tags are <t>"', {"t": "$.detail.tags"}) == '"tags are [a, b]"'
    assert render('"detail <d>"', {"d": "$.detail.n"}) == '"detail 3"'


def test_missing_paths_are_empty_in_strings_and_null_elsewhere() -> None:
    paths = {"x": "$.detail.nothing"}
    assert render('"value: <x>"', paths) == '"value: "'
    assert render('{"x": <x>}', paths) == '{"x": null}'
    assert render("plain <x> text", paths) == "plain  text"


def test_plain_text_template_and_unknown_placeholders() -> None:
    assert render("<instance> is <state>") == "i-0123456789 is RUNNING"
    assert render("<instance> <unknown>") == "i-0123456789 <unknown>"


def test_predefined_variables() -> None:
    out = json.loads(
        render(
            '{"arn": <aws.events.rule-arn>, "name": <aws.events.rule-name>, '
            '"at": <aws.events.event.ingestion-time>, "meta": <aws.events.event>, '
            '"all": <aws.events.event.json>}'
        )
    )
    assert out["arn"] == "arn:rule" and out["name"] == "r"
    assert out["at"] == "2015-11-11T21:29:55Z"
    assert "detail" not in out["meta"] and out["meta"]["id"] == "e1"
    assert out["all"] == EVENT


def test_input_path_and_input() -> None:
    def run(target: dict[str, str]) -> str:
        return target_input(target, EVENT, json.dumps(EVENT), "a", "r", "t")

    assert json.loads(run({"InputPath": "$.detail"})) == EVENT["detail"]
    assert run({"InputPath": "$.detail.tags[1]"}) == '"b"'
    assert run({"InputPath": "$.resources[*]"}) == json.dumps(EVENT["resources"])
    assert run({"InputPath": "$.detail.none"}) == "null"
    assert run({"Input": '{"k": 1}'}) == '{"k": 1}'
    assert json.loads(run({})) == EVENT


def test_paths_are_eventbridges_subset() -> None:
    assert parse_path("$") == []
    assert parse_path("$.detail.a-b_c/d[0].*") == ["detail", "a-b_c/d", 0, "*"]
    for bad in ("detail", "$..x", "$['x']", "$.a b", "$[-1]"):
        assert parse_path(bad) is None, bad


def test_transformer_checks() -> None:
    check_transformer({"InputPathsMap": PATHS, "InputTemplate": "x"})
    with pytest.raises(ValidationException):
        check_transformer({"InputPathsMap": {"aws.events.rule-arn": "$"}, "InputTemplate": "x"})
    with pytest.raises(ValidationException):
        check_transformer({"InputPathsMap": {"x": "detail"}, "InputTemplate": "x"})
    too_many = {f"v{i}": "$.id" for i in range(101)}
    with pytest.raises(ValidationException):
        check_transformer({"InputPathsMap": too_many, "InputTemplate": "x"})


def test_render_template_scans_string_state_with_escapes() -> None:
    assert render_template('"a \\" <v>" <v>', {"v": "x"}) == '"a \\" x" "x"'
