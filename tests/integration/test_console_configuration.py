"""The Configuration tab's sections in a real browser (Playwright on Debian's chromium): each one
set from the page and read back with boto3 (EphemeralStorage, GetFunctionConcurrency,
GetProvisionedConcurrencyConfig, GetFunctionEventInvokeConfig with a destination,
GetFunctionUrlConfig with CORS and the URL answering, GetPolicy, ListTags, the function's Layers),
and the service's own message shown when a save is refused (reserved concurrency above what the
account can spare). The ``browser_page`` fixture fails the test on any browser console error or
request to another origin."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import create_python_function, zip_bytes
from tests.integration.browser import Watched, shot, sign_in
from tests.integration.urls import URL_RE, request

HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'configured'}\n"


def _section(page: Any, url: str, name: str, section: str) -> None:
    page.goto(f"{url}/console/#/functions/{name}/configuration/{section}")
    page.wait_for_selector(f"#cfg-panel-{section}")


def _updated(lam: Any, name: str) -> None:
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


def test_every_configuration_section_saves_through_the_api(  # type: ignore[no-untyped-def]
    browser_page: Watched, server, lam
) -> None:
    from playwright.sync_api import expect

    page = browser_page.page
    uniq = uuid.uuid4().hex[:8]
    name = f"cfg-{uniq}"
    create_python_function(lam, name, HANDLER)
    lam.publish_version(FunctionName=name)
    layers = [
        lam.publish_layer_version(
            LayerName=f"cfg-layer-{i}-{uniq}",
            Content={"ZipFile": zip_bytes({f"python/mod{i}.py": "X = 1\n"})},
            CompatibleRuntimes=["python3.11"],
        )["LayerVersionArn"]
        for i in range(2)
    ]
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"cfg-dest-{uniq}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic_arn = server.client("sns").create_topic(Name=f"cfg-fail-{uniq}")["TopicArn"]

    sign_in(page, server.url)

    # general: ephemeral storage joins memory and timeout
    _section(page, server.url, name, "general")
    page.fill("#cfg-storage", "2048")
    page.click("#cfg-save")
    expect(page.locator("#cfg-saved")).to_contain_text("2048 MB /tmp")
    shot(page, "cfg-general")
    assert lam.get_function_configuration(FunctionName=name)["EphemeralStorage"] == {"Size": 2048}
    _updated(lam, name)

    # concurrency: a reservation the account cannot spare is refused with the service's message
    page.click("#cfg-section-concurrency")
    expect(page.locator("#cfg-reserved-current")).to_contain_text("unreserved")
    page.fill("#cfg-reserved", "1000000")
    page.click("#cfg-reserved-save")
    expect(page.locator("#cfg-reserved-error")).to_contain_text(
        "InvalidParameterValueException: Specified ReservedConcurrentExecutions for function "
        "decreases account's UnreservedConcurrentExecution below its minimum value"
    )
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    browser_page.refused("400 (Bad Request)")
    page.fill("#cfg-reserved", "5")
    page.click("#cfg-reserved-save")
    expect(page.locator("#cfg-reserved-saved")).to_have_text("Saved: 5 reserved.")
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    # provisioned on version 1: the table follows Status and Allocated until READY
    expect(page.locator("#cfg-provisioned-qualifier option[value='1']")).to_have_count(1)
    page.select_option("#cfg-provisioned-qualifier", "1")
    page.fill("#cfg-provisioned-amount", "1")
    page.click("#cfg-provisioned-save")
    expect(page.locator("#cfg-provisioned-saved")).to_contain_text("Saved: 1 provisioned on 1")
    row = page.locator("#cfg-provisioned tr[data-qualifier='1']")
    expect(row.locator(".cfg-status")).to_have_text("READY", timeout=60_000)
    expect(row.locator(".cfg-allocated")).to_have_text("1")
    shot(page, "cfg-concurrency")
    pc = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert (pc["RequestedProvisionedConcurrentExecutions"], pc["Status"]) == (1, "READY")

    # asynchronous invocation: destinations offered from the account's queues and topics
    page.click("#cfg-section-async")
    page.select_option("#cfg-async-success", queue_arn)
    page.select_option("#cfg-async-failure", topic_arn)
    page.fill("#cfg-async-retries", "1")
    page.fill("#cfg-async-age", "300")
    page.click("#cfg-async-save")
    expect(page.locator("#cfg-async-saved")).to_contain_text(f"OnSuccess {queue_arn}")
    shot(page, "cfg-async")
    eic = lam.get_function_event_invoke_config(FunctionName=name)
    assert (eic["MaximumRetryAttempts"], eic["MaximumEventAgeInSeconds"]) == (1, 300)
    assert eic["DestinationConfig"] == {
        "OnSuccess": {"Destination": queue_arn},
        "OnFailure": {"Destination": topic_arn},
    }

    # function URL with CORS; auth NONE adds the public statement, so the URL answers
    page.click("#cfg-section-url")
    expect(page.locator("#cfg-url-current")).to_contain_text("no URL")
    page.select_option("#cfg-url-auth", "NONE")
    page.fill("#cfg-url-origins", "https://app.example.com")
    page.fill("#cfg-url-methods", "GET, POST")
    page.fill("#cfg-url-headers", "content-type")
    page.fill("#cfg-url-expose", "x-trace")
    page.fill("#cfg-url-maxage", "300")
    page.check("#cfg-url-credentials")
    page.click("#cfg-url-save")
    expect(page.locator("#cfg-url-saved")).to_contain_text("Public access added")
    link = page.locator("#cfg-url-link")
    expect(link).to_have_attribute(
        "href", lam.get_function_url_config(FunctionName=name)["FunctionUrl"]
    )
    shot(page, "cfg-url")
    url_cfg = lam.get_function_url_config(FunctionName=name)
    assert url_cfg["AuthType"] == "NONE"
    assert url_cfg["Cors"] == {
        "AllowCredentials": True,
        "AllowHeaders": ["content-type"],
        "AllowMethods": ["GET", "POST"],
        "AllowOrigins": ["https://app.example.com"],
        "ExposeHeaders": ["x-trace"],
        "MaxAge": 300,
    }
    host = URL_RE.match(url_cfg["FunctionUrl"])
    assert host is not None
    resp = request(
        int(host.group(2)),
        "GET",
        "/",
        host=f"{host.group(1)}.lambda-url.us-east-1.localhost",
        headers=[("Origin", "https://app.example.com")],
    )
    assert (resp.status, resp.body) == (200, b"configured")
    assert resp.headers["access-control-allow-origin"] == "https://app.example.com"

    # permissions: the URL's statement is listed; add two, remove one
    page.click("#cfg-section-permissions")
    expect(
        page.locator("#cfg-perm-statements tr[data-sid='FunctionURLAllowPublicAccess']")
    ).to_have_count(1)
    for sid in ("from-bucket", "to-remove"):
        page.fill("#cfg-perm-sid", sid)
        page.fill("#cfg-perm-principal", "s3.amazonaws.com")
        page.fill("#cfg-perm-source-arn", f"arn:aws:s3:::bucket-{uniq}")
        page.click("#cfg-perm-add")
        expect(page.locator("#cfg-perm-saved")).to_have_text(f"Added statement {sid}.")
    page.click("#cfg-perm-statements tr[data-sid='to-remove'] .cfg-perm-remove")
    expect(page.locator("#cfg-perm-saved")).to_have_text("Removed statement to-remove.")
    expect(page.locator("#cfg-perm-statements tr[data-sid='to-remove']")).to_have_count(0)
    shot(page, "cfg-permissions")
    statements = {
        s["Sid"]: s for s in json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
    }
    assert set(statements) == {"FunctionURLAllowPublicAccess", "from-bucket"}
    assert statements["from-bucket"]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert (
        statements["from-bucket"]["Condition"]["ArnLike"]["AWS:SourceArn"]
        == f"arn:aws:s3:::bucket-{uniq}"
    )

    # tags: set two, then remove one
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    page.click("#cfg-section-tags")
    expect(page.locator("#cfg-tags-form")).to_be_visible()
    for key, value in (("team", "ovis"), ("stage", "dev")):
        page.click("#cfg-tag-add")
        page.locator(".cfg-tag-key").last.fill(key)
        page.locator(".cfg-tag-value").last.fill(value)
    page.click("#cfg-tags-save")
    expect(page.locator("#cfg-tags-saved")).to_have_text("Saved tags: 2 set, 0 removed.")
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "ovis", "stage": "dev"}
    page.locator("#cfg-tags tr", has=page.locator(".cfg-tag-key[value='stage']")).locator(
        ".cfg-tag-remove"
    ).click()
    page.click("#cfg-tags-save")
    expect(page.locator("#cfg-tags-saved")).to_have_text("Saved tags: 0 set, 1 removed.")
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "ovis"}

    # layers: one chosen from ListLayers/ListLayerVersions, one by ARN, then reordered
    page.click("#cfg-section-layers")
    page.select_option("#cfg-layer-name", f"cfg-layer-0-{uniq}")
    page.select_option("#cfg-layer-version", layers[0])
    page.click("#cfg-layer-add-chosen")
    page.fill("#cfg-layer-arn", layers[1])
    page.click("#cfg-layer-add-arn")
    expect(page.locator("#cfg-layers li")).to_have_count(2)
    page.click(f"#cfg-layers li[data-arn='{layers[1]}'] .cfg-layer-up")
    page.click("#cfg-layers-save")
    expect(page.locator("#cfg-layers-saved")).to_have_text("Saved: 2 layer(s).")
    shot(page, "cfg-layers")
    got = lam.get_function_configuration(FunctionName=name)
    assert [layer["Arn"] for layer in got["Layers"]] == [layers[1], layers[0]]
    assert got["EphemeralStorage"] == {"Size": 2048}  # one section's save keeps the others
    # and each section's removal: reservation, provisioned config, async config, URL
    page.click("#cfg-section-concurrency")
    page.click("#cfg-reserved-delete")
    expect(page.locator("#cfg-reserved-saved")).to_have_text("Reserved concurrency removed.")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    page.click("#cfg-provisioned tr[data-qualifier='1'] .cfg-provisioned-delete")
    expect(page.locator("#cfg-provisioned-saved")).to_have_text(
        "Provisioned concurrency removed from 1."
    )
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    assert listed["ProvisionedConcurrencyConfigs"] == []
    page.click("#cfg-section-async")
    page.click("#cfg-async-delete")
    expect(page.locator("#cfg-async-saved")).to_contain_text("configuration removed")
    assert (
        lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
        == []
    )
    page.click("#cfg-section-url")
    page.click("#cfg-url-delete")
    expect(page.locator("#cfg-url-saved")).to_have_text("Function URL deleted.")
    expect(page.locator("#cfg-url-link")).to_have_count(0)
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []

    # nothing of this test is kept for the rest of the session
    lam.delete_function(FunctionName=name)
