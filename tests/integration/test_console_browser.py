"""The console in a real browser (Playwright driving Debian's chromium): sign in, create a
function, edit and deploy its code, save and run a test event and see the REPORT line, change memory and see it in
GetFunctionConfiguration, upload a zip, delete the function, sign out; with no browser console error and no request to anything
but the server."""

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

    page.click("#tab-code")
    expect(page.locator("#code-editor")).to_have_value(re.compile("Hello from Ovis!"))
    page.fill(
        "#code-editor",
        "import json\n\n\ndef lambda_handler(event, context):\n"
        "    print('event:', json.dumps(event))\n"
        "    return {'statusCode': 200, 'body': 'edited in the browser'}\n",
    )
    page.click("#code-deploy")
    expect(page.locator("#code-status")).to_contain_text("Deployed: 1 file(s) changed")
    shot(page, "code")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})

    page.click("#tab-test")
    page.fill("#event-name", "hello")
    page.fill("#event-json", '{"who": "browser"}')
    page.click("#event-save")
    expect(page.locator("#test-result")).to_contain_text("Saved event hello")
    page.reload()  # a saved event outlives the page
    expect(page.locator("#event-json")).to_have_value('{"who": "browser"}')
    page.click("#event-test")
    expect(page.locator("#test-status")).to_have_text("Execution succeeded", timeout=60_000)
    expect(page.locator("#test-report")).to_contain_text("REPORT RequestId:")
    expect(page.locator("#test-response")).to_contain_text("edited in the browser")
    expect(page.locator("#test-log")).to_contain_text('event: {"who": "browser"}')
    shot(page, "test")

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
