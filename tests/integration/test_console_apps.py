"""The console's applications (ovis/frontdoor/console/apps.py, static/page_apps.js): the JSON
API with a signed-in session (create, runs, a run's log by stage, re-runs, refusals), and the
page in a real browser: create an application from the form, watch its first run succeed
without reloading, push a commit with git, follow the new run live to Succeeded, open a stage's
log, and re-run the commit."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from tests.integration.browser import Watched, shot, sign_in
from tests.integration.test_apps import clone, commit_and_push
from tests.integration.test_console_api import Browserish

TERMINAL = ("Succeeded", "Failed", "Superseded")


def _wait(console: Browserish, app: str, seq: int, deadline_s: float = 90) -> dict[str, Any]:
    end = time.monotonic() + deadline_s
    while True:
        status, run = console.api("GET", f"/apps/{app}/runs/{seq}")
        assert status == 200, run
        if run["State"] in TERMINAL:
            return run  # type: ignore[no-any-return]
        assert time.monotonic() < end, run
        time.sleep(0.05)


def test_apps_api_creates_runs_logs_and_refuses(server) -> None:  # type: ignore[no-untyped-def]
    console = Browserish(server.url)
    console.sign_in()
    app = f"capi-{uuid.uuid4().hex[:6]}"
    status, out = console.api("POST", "/apps", {"Name": app, "Template": "scheduled-job"})
    assert status == 200, out
    assert out["CloneUrl"].endswith(f"/git/{app}.git") and out["Run"]["RunId"] == 1
    assert out["BuildMemorySize"] == 3072 and out["BuildTimeoutSeconds"] == 300
    run = _wait(console, app, 1)
    assert run["State"] == "Succeeded", run

    status, listing = console.api("GET", "/apps")
    mine = next(a for a in listing["Apps"] if a["Name"] == app)
    assert mine["LatestRun"]["State"] == "Succeeded"
    assert "scheduled-job" in [t["Name"] for t in listing["Templates"]]

    status, log = console.api("GET", f"/apps/{app}/runs/1/log")
    assert status == 200 and log["Truncated"] is False
    assert list(log["Stages"]) == ["source", "build", "test", "deploy"]
    build = "\n".join(line["Message"] for line in log["Stages"]["build"])
    assert build.startswith("==> stage build") and "--> phase build" in build
    assert "change set run-1" in "\n".join(m["Message"] for m in log["Stages"]["deploy"])

    # a re-run of the branch's latest commit, then of a named commit
    status, again = console.api("POST", f"/apps/{app}/runs", {})
    assert status == 200 and again["RunId"] == 2 and again["Commit"] == run["Commit"], again
    status, named = console.api("POST", f"/apps/{app}/runs", {"Commit": run["Commit"]})
    assert status == 200 and named["RunId"] == 3, named
    assert _wait(console, app, 3)["State"] == "Succeeded"
    assert _wait(console, app, 2)["State"] in ("Superseded", "Succeeded")
    status, page = console.api("GET", f"/apps/{app}")
    assert [r["RunId"] for r in page["Runs"]] == [3, 2, 1]  # newest first

    refusals = [
        ("POST", "/apps", {"Template": "scheduled-job"}, 400, "ValidationException"),
        ("POST", "/apps", {"Name": "x1", "Template": "nope"}, 400, "InvalidParameterValue"),
        ("POST", "/apps", {"Name": app, "Template": "scheduled-job"}, 409, "ResourceConflict"),
        (
            "POST",
            "/apps",
            {"Name": "x1", "Template": "scheduled-job", "BuildMemorySize": "1"},
            400,
            "ValidationException",
        ),
        ("GET", "/apps/nope", None, 404, "ResourceNotFoundException"),
        ("GET", f"/apps/{app}/runs/99", None, 404, "ResourceNotFoundException"),
        ("GET", f"/apps/{app}/runs/x", None, 400, "ValidationException"),
        ("POST", f"/apps/{app}/runs", {"Commit": "0" * 40}, 400, "InvalidParameterValue"),
        ("POST", f"/apps/{app}/runs", {"Commit": 7}, 400, "ValidationException"),
        ("POST", "/apps/nope/runs", {}, 404, "ResourceNotFoundException"),
    ]
    for method, path, body, want, code in refusals:
        status, err = console.api(method, path, body)
        assert status == want and err["Error"]["Code"].startswith(code), (path, body, err)
    status, err = console.api("POST", f"/apps/{app}/runs", {}, csrf="wrong")
    assert status == 403, err
    assert len(console.api("GET", f"/apps/{app}")[1]["Runs"]) == 3  # nothing was run


def test_app_runs_in_the_browser(browser_page: Watched, server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page.page
    sign_in(page, server.url)
    page.click("#nav-apps")
    expect(page.locator("#app-create-template option")).not_to_have_count(0)
    app = f"cweb-{uuid.uuid4().hex[:6]}"
    page.fill("#app-create-name", app)
    page.select_option("#app-create-template", "scheduled-job")
    shot(page, "apps-create", "#app-create")
    page.click("#app-create-button")

    # the app's page, its first run followed live to Succeeded
    expect(page.locator("#app-name")).to_have_text(app)
    clone_url = page.locator("#app-clone-url").inner_text()
    assert clone_url == f"{server.url}/git/{app}.git"
    first = page.locator("#app-runs-table tbody tr").first
    expect(first).to_contain_text("#1")
    expect(first.locator(".run-state")).to_have_text("Succeeded", timeout=90_000)
    expect(first.locator(".run-stage")).to_have_text(["source", "build", "test", "deploy"])

    # a push with git: the new run appears on the page that is already open
    repo = clone(server, app, tmp_path / "clone")
    (repo / "src" / "note.txt").write_text("pushed from the browser test\n")
    pushed = commit_and_push(repo, "a change to watch in the console")
    expect(page.locator("#app-run-link-2")).to_be_visible(timeout=30_000)
    shot(page, "apps-runs")
    page.click("#app-run-link-2")

    # the run's page: live until Succeeded, the commit, then a stage's log
    expect(page.locator("#run-commit")).to_have_text(pushed)
    expect(page.locator("#run-summary .run-state")).to_have_text("Succeeded", timeout=90_000)
    expect(page.locator("#run-stages-table tbody tr")).to_have_count(4)
    page.click("#stage-build-log")
    expect(page.locator("#run-log-title")).to_have_text("Log: build")
    expect(page.locator("#app-log")).to_contain_text("--> phase build")
    expect(page.locator("#app-log")).to_contain_text(f"building {pushed}")
    shot(page, "apps-run-log", "#run-stages")
    page.click("#stage-deploy-log")
    expect(page.locator("#app-log")).to_contain_text("change set run-2")

    # re-run this commit: a new run of it, followed to its end
    page.click("#run-rerun")
    expect(page.locator("#run-name")).to_contain_text("run #3")
    expect(page.locator("#run-commit")).to_have_text(pushed)
    expect(page.locator("#run-summary .run-state")).to_have_text("Succeeded", timeout=90_000)
