"""The console's "create from blueprint": the blueprints API (console/blueprints.py) over HTTP
with a signed-in session, and the page (static/page_blueprints.js) in a real browser: pick a
blueprint, change its presets, deploy it as a stack (its SNS trigger included), follow the stack
to CREATE_COMPLETE, open the function; then the function is checked and invoked with boto3."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ovis.blueprints import catalog
from tests.integration.browser import Watched, shot, sign_in
from tests.integration.test_console_api import Browserish

FAST = {"Delay": 0.2, "MaxAttempts": 300}


def test_blueprints_api_lists_details_and_refuses_bad_deploys(server) -> None:  # type: ignore[no-untyped-def]
    console = Browserish(server.url)
    status, out = console.api("GET", "/blueprints")
    assert status == 401 and out["Error"]["Code"] == "NotSignedIn"
    console.sign_in()

    status, out = console.api("GET", "/blueprints")
    assert status == 200
    listed = {b["Name"]: b for b in out["Blueprints"]}
    assert set(listed) == {b.name for b in catalog.list_blueprints()}
    assert listed["sqs-batch-python"]["Trigger"] == "SQS queue"
    assert (listed["hello-node"]["MemorySize"], listed["hello-node"]["Timeout"]) == (128, 3)

    status, detail = console.api("GET", "/blueprints/canary-python")
    assert status == 200
    assert [p["Name"] for p in detail["Parameters"]] == ["StableVersion", "CanaryWeight"]
    assert detail["Parameters"][1]["Default"] == "0.1"
    assert "AutoPublishAlias: candidate" in detail["Template"]
    assert 'RELEASE = "1"' in detail["Files"]["src/app.py"]

    status, out = console.api("GET", "/blueprints/nope")
    assert status == 404 and "Known blueprints: canary-python" in out["Error"]["Message"]
    bad = [
        ({}, "StackName is required"),
        ({"StackName": "s", "MemorySize": "lots"}, "MemorySize must be an integer."),
        ({"StackName": "s", "Environment": {"A": 1}}, "Environment must be an object"),
    ]
    for body, message in bad:
        status, out = console.api("POST", "/blueprints/hello-python/deploy", body)
        assert status == 400 and message in out["Error"]["Message"], (body, out)
    status, out = console.api("POST", "/blueprints/hello-python/deploy", {"StackName": "1 bad"})
    assert status == 400 and out["Error"]["Code"] == "ValidationError", out
    assert "must start with a letter" in out["Error"]["Message"]
    # CloudFormation's own refusal comes back as it is: a second stack of the same name
    stack = f"bp-api-{uuid.uuid4().hex[:8]}"
    status, out = console.api("POST", "/blueprints/hello-python/deploy", {"StackName": stack})
    assert status == 200 and out["StackId"].startswith("arn:aws:cloudformation:"), out
    status, out = console.api("POST", "/blueprints/hello-python/deploy", {"StackName": stack})
    assert status == 400 and out["Error"]["Code"] == "AlreadyExistsException", out
    cfn: Any = server.client("cloudformation")
    cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig=FAST)
    cfn.delete_stack(StackName=stack)
    # without the page's CSRF token nothing is deployed
    status, out = console.api(
        "POST", "/blueprints/hello-python/deploy", {"StackName": "x"}, csrf="no"
    )
    assert status == 403


def test_create_from_blueprint_in_the_browser(browser_page: Watched, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page.page
    sign_in(page, server.url)
    page.click("#nav-blueprints")
    expect(page.locator("#bp-list .bp-card")).to_have_count(len(catalog.list_blueprints()))
    expect(page.locator("#bp-card-sns-python")).to_contain_text("SNS subscriber")
    shot(page, "bp-list")

    page.click("#bp-use-sns-python")
    # prefilled from the blueprint's presets
    expect(page.locator("#bp-function-name")).to_have_value("sns-python")
    expect(page.locator("#bp-memory")).to_have_value("128")
    expect(page.locator("#bp-timeout")).to_have_value("5")
    expect(page.locator("#bp-env .env-key")).to_have_value("LOG_PREFIX")
    expect(page.locator("#bp-env .env-value")).to_have_value("notification")

    name = f"bp-console-{uuid.uuid4().hex[:8]}"
    page.fill("#bp-function-name", name)
    expect(page.locator("#bp-stack-name")).to_have_value(name)  # follows the function name
    page.fill("#bp-memory", "256")
    page.fill("#bp-env .env-value", "from-console")
    page.click("#bp-add-var")
    page.locator("#bp-env .env-key").nth(1).fill("EXTRA")
    page.locator("#bp-env .env-value").nth(1).fill("1")
    shot(page, "bp-form")
    page.click("#bp-deploy")
    expect(page.locator("#bp-stack-status")).to_have_text("CREATE_COMPLETE", timeout=60_000)
    expect(page.locator("#bp-stack-link")).to_have_attribute("href", f"#/stacks/{name}")
    page.locator("#bp-links").scroll_into_view_if_needed()
    shot(page, "bp-deployed")
    page.click("#bp-function-link")
    expect(page.locator("#overview")).to_contain_text(f"function:{name}")

    lam: Any = server.client("lambda")
    cfg = lam.get_function_configuration(FunctionName=name)
    assert (cfg["Runtime"], cfg["MemorySize"], cfg["Timeout"]) == ("python3.11", 256, 5)
    assert cfg["Environment"]["Variables"] == {"LOG_PREFIX": "from-console", "EXTRA": "1"}
    # the trigger came with it: the stack's topic has the function subscribed
    cfn: Any = server.client("cloudformation")
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cfn.describe_stacks(StackName=name)["Stacks"][0]["Outputs"]
    }
    subs = server.client("sns").list_subscriptions_by_topic(TopicArn=outputs["TopicArn"])
    assert [(s["Protocol"], s["Endpoint"]) for s in subs["Subscriptions"]] == [
        ("lambda", cfg["FunctionArn"])
    ]
    event = {"Records": [{"Sns": {"Message": "hi", "TopicArn": outputs["TopicArn"]}}]}
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    assert json.loads(r["Payload"].read()) == {"handled": 1}
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
