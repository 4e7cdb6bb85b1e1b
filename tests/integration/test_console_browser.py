"""The console in a real browser (Playwright driving Debian's chromium): sign in, create a
function, edit its code in CodeMirror (typed: Tab indents, search, bracket matching) and deploy
it, save test events (kept in the Schemas registry: seen from a new browser context signed in
again and by boto3; an 11th refused; one deleted), run one and see the REPORT line, change memory
and see it in GetFunctionConfiguration, upload a zip, delete the function, sign out; with no
browser console error (a CSP violation is one) and no request to anything but the server."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile

import pytest

from tests.integration.browser import Watched, shot, sign_in

UPLOADED = "def lambda_handler(event, context):\n    return 'uploaded'\n"


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", source)
    return buf.getvalue()


EDITED = (
    "import json\n\n\ndef lambda_handler(event, context):\n"
    "    print('event:', json.dumps(event))\n"
    "    return {'statusCode': 200, 'body': BODY}\n\n\n"
    "BODY = 'edited in the browser'"
)
TYPED = EDITED[:-1] + ", typed'\n    # indented by Tab"


def save_event(page, name: str, event: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.fill("#event-name", name)
    page.fill("#event-json", event)
    page.click("#event-save")
    expect(page.locator("#test-result")).to_contain_text(f"Saved event {name}.")


def run_in_new_browser_context(page, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Fresh cookies, signed in again: the events saved by the first browser are there."""
    from playwright.sync_api import expect

    context = page.context.browser.new_context()
    try:
        other = Watched(context.new_page(), url)
        sign_in(other.page, url)
        other.page.goto(f"{url}/console/#/functions/{name}/test")
        picker = other.page.locator("#event-picker")
        expect(picker.locator("option")).to_have_text(["— saved events —", "hello", "second"])
        picker.select_option("second")
        expect(other.page.locator("#event-json")).to_have_value('{\n  "n": 2\n}')
        other.page.click("#event-test")
        expect(other.page.locator("#test-status")).to_have_text(
            "Execution succeeded", timeout=60_000
        )
        expect(other.page.locator("#test-log")).to_contain_text('event: {"n": 2}')
        assert other.errors == [] and other.foreign == []
    finally:
        context.close()


def boto3_events(server, name: str) -> dict:  # type: ignore[no-untyped-def]
    """The function's saved events as boto3 sees them (components.examples)."""
    got = server.client("schemas").describe_schema(
        RegistryName="lambda-testevent-schemas", SchemaName=f"_{name}-schema"
    )
    return dict(json.loads(got["Content"])["components"]["examples"])


def boto3_put_events(server, name: str, examples: dict) -> None:  # type: ignore[no-untyped-def]
    sch = server.client("schemas")
    got = sch.describe_schema(RegistryName="lambda-testevent-schemas", SchemaName=f"_{name}-schema")
    doc = json.loads(got["Content"])
    doc["components"]["examples"] = examples
    sch.update_schema(
        RegistryName="lambda-testevent-schemas",
        SchemaName=f"_{name}-schema",
        Content=json.dumps(doc),
    )


def test_create_test_and_configure_a_function(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page.page
    sign_in(page, server.url)
    expect(page.locator("#who")).to_have_text("test")

    name = f"browser-{uuid.uuid4().hex[:8]}"
    page.click("#create-function")
    page.fill("#new-name", name)
    page.select_option("#new-runtime", "python3.11")
    page.click("#new-submit")
    expect(page.locator("#overview")).to_contain_text(f"function:{name}")
    shot(page, "overview")
    assert lam.get_function(FunctionName=name)["Configuration"]["Runtime"] == "python3.11"

    # the list finds it by a piece of its name
    page.goto(server.url + "/console/#/functions")
    page.fill("#fn-search", name[-8:])
    expect(page.locator("#fn-table tbody tr")).to_have_count(1)
    shot(page, "functions")
    page.click(f"#fn-table a:text-is('{name}')")

    # Code: CodeMirror, typed into (text inserted as a paste would, then keystrokes)
    page.click("#tab-code")
    expect(page.locator("#code-editor")).to_have_value(re.compile("Hello from Ovis!"))
    expect(page.locator("#code-cm .cm-lineNumbers")).to_be_visible()
    page.click("#code-cm .cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(EDITED)
    page.keyboard.press("Control+End")
    page.keyboard.press("ArrowLeft")  # inside the closing quote
    page.keyboard.type(", typed")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # Tab indents (indentWithTab), it does not leave the editor
    page.keyboard.type("# indented by Tab")
    expect(page.locator("#code-editor")).to_have_value(TYPED)
    page.keyboard.press("Control+f")  # CodeMirror's search panel
    expect(page.locator("#code-cm .cm-search")).to_be_visible()
    page.keyboard.type("lambda_handler")
    page.keyboard.press("Enter")
    expect(page.locator("#code-cm .cm-searchMatch").first).to_be_visible()
    expect(page.locator("#code-cm .cm-matchingBracket")).to_have_count(0)
    page.click("#code-cm .cm-content")
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")  # after "def lambda_handler(event, context):"
    page.keyboard.press("ArrowLeft")  # after its ")": the pair is highlighted
    expect(page.locator("#code-cm .cm-matchingBracket")).to_have_count(2)
    page.click("#code-deploy")
    expect(page.locator("#code-status")).to_contain_text("Deployed: 1 file(s) changed")
    shot(page, "code-editor")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})

    # Test: saved events live in the Schemas registry, shared with every browser
    page.click("#tab-test")
    save_event(page, "hello", '{"who": "browser"}')
    save_event(page, "second", '{"n": 2}')
    expect(page.locator("#event-count")).to_have_text("2 of 10 saved")
    assert boto3_events(server, name) == {  # boto3's DescribeSchema sees the page's events
        "hello": {"value": {"who": "browser"}},
        "second": {"value": {"n": 2}},
    }
    page.reload()  # saved events outlive the page
    expect(page.locator("#event-picker option")).to_have_text(
        ["— saved events —", "hello", "second"]
    )
    run_in_new_browser_context(page, server.url, name)
    # up to 10 per function: eight more saved with boto3 (the same schema), seen by the page...
    examples = boto3_events(server, name) | {f"event{i}": {"value": {"i": i}} for i in range(3, 11)}
    boto3_put_events(server, name, examples)
    page.reload()
    expect(page.locator("#event-count")).to_have_text("10 of 10 saved")
    page.fill("#event-name", "eleventh")  # ...an 11th is refused, as AWS's console does
    page.click("#event-save")
    expect(page.locator("#test-error")).to_have_text(
        "A function can have at most 10 saved test events. Delete one to save another."
    )
    assert boto3_events(server, name) == examples  # nothing written by the refused save
    page.select_option("#event-picker", "event10")
    page.click("#event-delete")
    expect(page.locator("#test-result")).to_contain_text("Deleted event event10")
    expect(page.locator("#event-count")).to_have_text("9 of 10 saved")
    assert "event10" not in boto3_events(server, name)
    page.select_option("#event-picker", "hello")
    page.click("#event-test")
    expect(page.locator("#test-status")).to_have_text("Execution succeeded", timeout=60_000)
    expect(page.locator("#test-report")).to_contain_text("REPORT RequestId:")
    expect(page.locator("#test-response")).to_contain_text("edited in the browser, typed")
    expect(page.locator("#test-log")).to_contain_text('event: {"who": "browser"}')
    shot(page, "code-test-events")

    page.click("#tab-configuration")
    page.fill("#cfg-memory", "384")
    page.click("#cfg-add-var")
    page.locator(".env-key").last.fill("STAGE")
    page.locator(".env-value").last.fill("dev")
    page.click("#cfg-save")
    expect(page.locator("#cfg-saved")).to_contain_text("384 MB")
    shot(page, "configuration")
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["MemorySize"] == 384
    assert cfg["Environment"]["Variables"] == {"STAGE": "dev"}

    # a zip uploaded from disk replaces the package
    page.click("#tab-code")
    page.set_input_files(
        "#code-zip",
        files=[{"name": "pkg.zip", "mimeType": "application/zip", "buffer": _zip(UPLOADED)}],
    )
    page.click("#code-upload")
    expect(page.locator("#code-status")).to_contain_text("Uploaded pkg.zip")
    expect(page.locator("#code-editor")).to_have_value(UPLOADED)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "uploaded"

    page.click("#tab-overview")
    page.fill("#delete-confirm", "delete")
    page.click("#delete-function")
    page.wait_for_selector("#fn-table")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)

    page.click("#signout")
    page.wait_for_selector("#signin-form")
    page.goto(server.url + "/console/#/functions")
    page.wait_for_selector("#signin-form")  # the session is gone, not just the page
