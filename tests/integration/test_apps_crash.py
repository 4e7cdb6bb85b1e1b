"""A kill -9 (or a stop) of the server mid-run never leaves a pipeline run InProgress: on
restart the run is Failed (its reason says the server stopped and names its re-run), the build
it orphaned is killed, and the branch's latest commit runs again and deploys, with no push."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from tests.conftest import ServerProcess, start_server
from tests.integration.test_apps import api, clone, commit_and_push, git, runs, wait_run
from tests.integration.test_cloudformation_crash import kill9, wait_for


def _builds_of(app: str) -> list[int]:
    """Processes working in one of the app's build directories (``<tmp>/ovis-pipelines-*/
    APP-SEQ-*``)."""
    scratch = os.path.join(tempfile.gettempdir(), "ovis-pipelines-")
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry.name}/cwd")
            except OSError:
                continue
            if cwd.startswith(scratch) and f"/{app}-" in cwd:
                found.append(int(entry.name))
    return found


def _build_state(srv: ServerProcess, app: str, seq: int) -> str:
    stages = api(srv, "GET", f"/{app}/runs/{seq}")[1]["Stages"]
    return next((s["State"] for s in stages if s["Name"] == "build"), "")


def test_kill_9_mid_build_fails_the_run_and_reruns_the_branch(tmp_path: Path) -> None:
    """The interrupted run is Failed saying why and naming its re-run; the re-run (the branch's
    latest commit, the same one) runs and deploys, with no push; its build sleeps only in the
    run the kill interrupts (``CODEBUILD_BUILD_ID`` ends with the run's number)."""
    data = tmp_path / "data"
    srv = start_server(data)
    app = f"crash-{uuid.uuid4().hex[:6]}"
    try:
        status, created = api(srv, "POST", "", {"Name": app, "Template": "scheduled-job"})
        assert status == 200, created
        assert wait_run(srv, app, 1)["State"] == "Succeeded"
        repo = clone(srv, app, tmp_path / "clone")
        spec = repo / "buildspec.yml"
        spec.write_text(
            spec.read_text().replace(
                "      - python --version\n",
                '      - case "$CODEBUILD_BUILD_ID" in *:2) sleep 300;; esac\n',
            )
        )
        pushed = commit_and_push(repo, "a build the kill interrupts")
        seq = runs(srv, app)[-1]["RunId"]
        assert seq == 2
        wait_for(lambda: _build_state(srv, app, seq) == "InProgress", 60)
        wait_for(lambda: bool(_builds_of(app)), 30)
        kill9(srv)
        # the sandbox's watchdog kills the build as soon as the server is gone
        wait_for(lambda: _builds_of(app) == [], 15)
    finally:
        if srv.proc.poll() is None:
            srv.stop()
    srv = start_server(data)
    try:
        run = wait_run(srv, app, seq, 5)
        assert run["State"] == "Failed", run
        assert run["Reason"].startswith("the server stopped during this run"), run
        assert f"run {seq + 1} re-runs the branch's latest commit {pushed[:12]}" in run["Reason"]
        again = wait_run(srv, app, seq + 1, 90)
        assert again["State"] == "Succeeded", again
        assert again["Commit"] == pushed
        assert [r["RunId"] for r in runs(srv, app)] == [1, 2, 3]  # one re-run, no more
    finally:
        srv.stop()


def test_a_graceful_stop_mid_build_queues_the_rerun_once(tmp_path: Path) -> None:
    """A stop (SIGTERM) mid-build: the run is Failed and its re-run is already Queued when the
    server is down; it runs at the next start. A stop during that re-run too (its build sleeps
    in runs 2 and 3): it is not re-run again, and says so; a push runs as usual."""
    data = tmp_path / "data"
    srv = start_server(data)
    app = f"stop-{uuid.uuid4().hex[:6]}"
    try:
        status, created = api(srv, "POST", "", {"Name": app, "Template": "scheduled-job"})
        assert status == 200, created
        assert wait_run(srv, app, 1)["State"] == "Succeeded"
        repo = clone(srv, app, tmp_path / "clone")
        spec = repo / "buildspec.yml"
        plain = spec.read_text()
        spec.write_text(
            plain.replace(
                "      - python --version\n",
                '      - case "$CODEBUILD_BUILD_ID" in *:2|*:3) sleep 300;; esac\n',
            )
        )
        pushed = commit_and_push(repo, "a build the stops interrupt")
        wait_for(lambda: _build_state(srv, app, 2) == "InProgress", 60)
    finally:
        srv.stop()
    srv = start_server(data)
    try:
        run = wait_run(srv, app, 2, 5)
        assert run["State"] == "Failed" and "run 3 re-runs" in run["Reason"], run
        wait_for(lambda: _build_state(srv, app, 3) == "InProgress", 60)
        assert api(srv, "GET", f"/{app}/runs/3")[1]["Commit"] == pushed
    finally:
        srv.stop()
    srv = start_server(data)
    try:
        run = wait_run(srv, app, 3, 5)
        assert run["State"] == "Failed" and "not re-run again" in run["Reason"], run
        assert [r["RunId"] for r in runs(srv, app)] == [1, 2, 3]
        spec.write_text(plain)
        git(repo, "remote", "set-url", "origin", srv.url.replace("http://", "http://test:test@")
            + f"/git/{app}.git")  # fmt: skip
        commit_and_push(repo, "the build as it was")
        assert wait_run(srv, app, 4, 90)["State"] == "Succeeded"
    finally:
        srv.stop()
