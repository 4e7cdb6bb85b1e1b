"""The console's Versions and Aliases tabs, create from a container image, and the functions list
across pages, against a live server.

In the browser (Playwright on Debian's chromium; zero console errors, no foreign request):
publish version 1, change the configuration behind the page's back (the stale publish is refused
by its RevisionId precondition), publish 2, create alias ``live`` -> 1, move it to 2 with 10 % to
1 and see boto3's GetAlias agree, invoke the alias (mostly the new version, each answer from the
version it says executed), delete a version (refused while the alias still routes to it), and
create a function from a container image imported into the server's image store, invoked with
boto3. Over HTTP: 60 functions paged, sorted and searched by the list API stay consistent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROLE, create_python_function, zip_bytes
from tests.integration.browser import Watched, sign_in
from tests.integration.test_console_api import Browserish

TAGGED = "import os\n\n\ndef handler(event, context):\n    return os.environ['TAG']\n"
WAIT = {"Delay": 0.05}


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def screenshot(page: Any, name: str) -> None:
    """A viewport screenshot for docs/console.md when OVIS_CONSOLE_SCREENSHOTS names a directory
    (the viewport, not the full page, keeps each file small)."""
    out = os.environ.get("OVIS_CONSOLE_SCREENSHOTS")
    if out:
        page.screenshot(path=str(Path(out) / f"{name}.png"))


@contextmanager
def refused(watched: Watched, status: int) -> Iterator[None]:
    """The block makes the page get one ``status`` answer, which the browser logs as a console
    error; that one expected entry is taken off the watched errors (any other still fails)."""
    with watched.page.expect_console_message(
        lambda m: m.type == "error" and f"status of {status}" in m.text
    ) as message:
        yield
    watched.errors.remove(message.value.text)


def test_publish_versions_and_move_an_alias(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page.page
    name = uniq("ver")
    create_python_function(lam, name, TAGGED, Environment={"Variables": {"TAG": "one"}})
    sign_in(page, server.url)

    page.goto(f"{server.url}/console/#/functions/{name}/versions")
    expect(page.locator("#ver-row-\\$LATEST")).to_be_visible()
    page.fill("#ver-description", "first")
    page.click("#ver-publish")
    expect(page.locator("#ver-status")).to_have_text("Published version 1.")
    expect(page.locator("#ver-row-1")).to_contain_text("first")

    # changed behind the page's back: publishing what the page loaded is refused
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"TAG": "two"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    with refused(browser_page, 412):
        page.click("#ver-publish")
    expect(page.locator("#ver-error")).to_contain_text("changed since this page loaded")
    listed = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1"]

    page.reload()
    page.fill("#ver-description", "second")
    page.click("#ver-publish")
    expect(page.locator("#ver-status")).to_have_text("Published version 2.")
    page.click("#ver-view-1")
    expect(page.locator("#ver-details-1")).to_contain_text("TAG=one")
    page.click("#ver-view-2")
    expect(page.locator("#ver-details-2")).to_contain_text("TAG=two")
    screenshot(page, "ver-versions")
    got = lam.get_function_configuration(FunctionName=name, Qualifier="2")
    assert (got["Description"], got["Environment"]["Variables"]) == ("second", {"TAG": "two"})

    page.click("#tab-aliases")
    page.click("#ali-create")
    page.fill("#ali-name", "live")
    page.select_option("#ali-version", "1")
    page.fill("#ali-description", "production")
    page.click("#ali-save")
    expect(page.locator("#ali-row-live .ali-version")).to_have_text("1")
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"

    page.click("#ali-edit-live")
    page.select_option("#ali-version", "2")
    page.select_option("#ali-extra-version", "1")
    page.fill("#ali-extra-weight", "10")
    page.click("#ali-save")
    expect(page.locator("#ali-status")).to_have_text("Saved alias live -> 2 (10% to 1).")
    expect(page.locator("#ali-weights-live")).to_have_text("2: 90%1: 10%")
    screenshot(page, "ver-aliases")
    alias = lam.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == "2"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.1}}
    assert alias["Description"] == "production"

    # the alias answers from version 2 mostly; each answer is the version it says executed
    executed = []
    for _ in range(40):
        r = lam.invoke(FunctionName=name, Qualifier="live")
        tag = json.loads(r["Payload"].read())
        assert {"1": "one", "2": "two"}[r["ExecutedVersion"]] == tag
        executed.append(r["ExecutedVersion"])
    assert executed.count("2") >= 28, executed  # 10 % to 1: >12 of 40 has odds below 1e-4

    # version 1 cannot go while the alias routes to it; once the weight is gone it can
    page.click("#tab-versions")
    page.click("#ver-delete-1")
    with refused(browser_page, 409):
        page.click("#ver-confirm-delete-1")
    expect(page.locator("#ver-error")).to_contain_text("aliases reference it: [live]")
    page.goto(f"{server.url}/console/#/functions/{name}/aliases/live")  # opens it for editing
    page.select_option("#ali-extra-version", "")
    page.click("#ali-save")
    expect(page.locator("#ali-weights-live")).to_have_text("2: 100%")
    routing = lam.get_alias(FunctionName=name, Name="live").get("RoutingConfig", {})
    assert routing.get("AdditionalVersionWeights", {}) == {}
    page.click("#tab-versions")
    page.click("#ver-delete-1")
    page.click("#ver-confirm-delete-1")
    expect(page.locator("#ver-status")).to_have_text("Deleted version 1.")
    expect(page.locator("#ver-row-1")).to_have_count(0)
    listed = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "2"]

    page.click("#tab-aliases")
    page.click("#ali-delete-live")
    page.click("#ali-confirm-delete-live")
    expect(page.locator("#ali-status")).to_have_text("Deleted alias live.")
    assert lam.list_aliases(FunctionName=name)["Aliases"] == []
    lam.delete_function(FunctionName=name)


def test_versions_page_through_many(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    """More versions than a page (25): Next and Previous walk ListVersionsByFunction's markers."""
    from playwright.sync_api import expect

    name = uniq("ver-many")
    create_python_function(lam, name, TAGGED, Environment={"Variables": {"TAG": "0"}})
    for i in range(1, 28):  # each publish needs a change: the package differs by a comment
        lam.update_function_code(
            FunctionName=name, ZipFile=zip_bytes({"app.py": TAGGED + f"# {i}\n"}), Publish=True
        )
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    page = browser_page.page
    sign_in(page, server.url)
    page.goto(f"{server.url}/console/#/functions/{name}/versions")
    expect(page.locator("#ver-table tbody tr")).to_have_count(25)
    expect(page.locator("#ver-prev")).to_be_disabled()
    page.click("#ver-next")
    expect(page.locator("#ver-table tbody tr")).to_have_count(3)  # $LATEST + 27 versions
    expect(page.locator("#ver-row-27")).to_be_visible()
    expect(page.locator("#ver-next")).to_be_disabled()
    page.click("#ver-prev")
    expect(page.locator("#ver-row-\\$LATEST")).to_be_visible()
    lam.delete_function(FunctionName=name)


@pytest.mark.privileged
def test_create_a_function_from_a_container_image(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    # skips (at import) without root or a static busybox, as test_images does
    from tests.imagebuild import oci_archive
    from tests.integration.test_images import IMAGE_CONFIG, base_layer

    repo = uniq("img-console")
    archive = server.data_dir.parent / f"{repo}.tar"
    digest = oci_archive(archive, [(base_layer(), "gzip")], **IMAGE_CONFIG)
    cli = [sys.executable, "-m", "ovis", "image", "import", str(archive), "--name", f"{repo}:1"]
    imported = subprocess.run(
        [*cli, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr

    page = browser_page.page
    sign_in(page, server.url)
    name = uniq("img")
    page.click("#create-function")
    expect(page.locator("#img-fields")).to_be_hidden()
    page.click("#new-mode-image")
    expect(page.locator("#new-scratch-fields")).to_be_hidden()
    page.fill("#new-name", name)
    page.fill("#img-uri", f"{repo}:1")
    page.select_option("#img-arch", "x86_64")
    page.fill("#img-command", "console.handler, from-the-browser")
    page.fill("#img-workdir", "/tmp")
    screenshot(page, "img-create")  # no role given: the signed-in account's lambda-role
    page.click("#new-submit")
    expect(page.locator("#overview")).to_contain_text(f"function:{name}")

    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    got = lam.get_function(FunctionName=name)
    assert got["Code"]["ResolvedImageUri"] == f"{repo}@{digest}"
    conf = got["Configuration"]
    assert (conf["PackageType"], conf["Architectures"], conf["Role"]) == ("Image", ["x86_64"], ROLE)
    assert conf["ImageConfigResponse"]["ImageConfig"] == {
        "Command": ["console.handler", "from-the-browser"],
        "WorkingDirectory": "/tmp",
    }
    r = lam.invoke(FunctionName=name, Payload=b'{"from": "boto3"}')
    out = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, out
    assert out["event"] == {"from": "boto3"}
    assert (out["args"], out["handler"], out["cwd"]) == (
        "console.handler from-the-browser",
        "console.handler",
        "/tmp",
    )

    # a URI the store does not hold is the service's own 4xx, shown on the page
    page.click("#nav-functions")
    page.click("#create-function")
    page.click("#new-mode-image")
    page.fill("#new-name", uniq("img-missing"))
    page.fill("#img-uri", f"{repo}:nope")
    with refused(browser_page, 400):
        page.click("#new-submit")
    expect(page.locator("form .error")).to_contain_text(f"Source image {repo}:nope does not exist")
    lam.delete_function(FunctionName=name)


def test_list_pages_sorts_and_searches_60_functions(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    prefix = uniq("list")
    names = [f"{prefix}-{i:03d}" for i in range(60)]
    package = zip_bytes({"app.py": TAGGED})

    def create(i: int) -> None:
        lam.create_function(
            FunctionName=names[i],
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": package},
            MemorySize=128 + (i * 7 % 5) * 64,
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, range(60)))
    console = Browserish(server.url)
    console.sign_in()

    def pages(query: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in (1, 2, 3):
            status, out = console.api("GET", f"/functions?q={prefix}&size=25&page={page}{query}")
            assert status == 200, out
            assert (out["Total"], out["Page"], out["Size"]) == (60, page, 25)
            rows += out["Functions"]
        return rows

    try:
        by_name = pages("")
        assert [f["FunctionName"] for f in by_name] == names
        assert [f["FunctionName"] for f in pages("&order=desc")] == names[::-1]
        by_memory = pages("&sort=memory&order=desc")
        memories = [f["MemorySize"] for f in by_memory]
        assert memories == sorted(memories, reverse=True)
        assert sorted(f["FunctionName"] for f in by_memory) == names  # each once, none lost
        modified = [f["LastModified"] for f in pages("&sort=modified")]
        assert modified == sorted(modified)

        # the search narrows across pages; its case does not matter
        status, out = console.api("GET", f"/functions?q={prefix.upper()}-00&size=4&page=3")
        assert (status, out["Total"]) == (200, 10)
        assert [f["FunctionName"] for f in out["Functions"]] == names[8:10]
        status, out = console.api("GET", f"/functions?q={prefix}&size=25&page=9")
        assert (status, out["Total"], out["Functions"]) == (200, 60, [])

        for bad in ("sort=colour", "order=up", "size=0", "size=101", "page=0", "page=x"):
            status, out = console.api("GET", f"/functions?{bad}")
            assert status == 400, (bad, out)
            assert out["Error"]["Code"] in ("InvalidParameterValueException", "ValidationException")

        # the page: the search, the last page, a bigger page, a sort by memory, descending
        page = browser_page.page
        sign_in(page, server.url)
        page.fill("#fn-search", prefix)  # applied after a pause in typing: wait for its answer
        expect(page.locator("#fn-count")).to_have_text(
            f'60 functions matching "{prefix}" — page 1 of 3'
        )
        rows = page.locator("#fn-table tbody tr")
        expect(rows).to_have_count(25)
        expect(page.locator("#fn-prev")).to_be_disabled()
        page.click("#fn-last")
        expect(page.locator("#fn-count")).to_have_text(
            f'60 functions matching "{prefix}" — page 3 of 3'
        )
        expect(rows).to_have_count(10)
        expect(rows.last).to_contain_text(names[-1])
        screenshot(page, "ver-functions")
        page.select_option("#fn-size", "100")
        expect(page.locator("#fn-count")).to_have_text(
            f'60 functions matching "{prefix}" — page 1 of 1'
        )
        expect(rows).to_have_count(60)
        page.click("#fn-sort-memory")
        page.click("#fn-sort-memory")
        expect(page.locator("th:has(#fn-sort-memory)")).to_have_attribute("aria-sort", "descending")
        top = max(memories)
        expect(rows.first.locator("td").nth(2)).to_have_text(str(top))
        expect(rows.last.locator("td").nth(2)).to_have_text(str(min(memories)))
    finally:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: lam.delete_function(FunctionName=n), names))
