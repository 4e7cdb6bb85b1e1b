"""A kill -9 of the server mid-run never leaves a pipeline run InProgress: on restart the run
is Failed (its reason says the server stopped), the build it orphaned is killed, and the next
push runs and deploys as usual."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from tests.conftest import start_server
from tests.integration.test_apps import api, clone, commit_and_push, runs, wait_run
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


def test_kill_9_mid_build_fails_the_run_and_the_next_push_deploys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    app = f"crash-{uuid.uuid4().hex[:6]}"
    try:
        status, created = api(srv, "POST", "", {"Name": app, "Template": "scheduled-job"})
        assert status == 200, created
        assert wait_run(srv, app, 1)["State"] == "Succeeded"
        repo = clone(srv, app, tmp_path / "clone")
        spec = repo / "buildspec.yml"
        plain = spec.read_text()
        spec.write_text(plain.replace("      - python --version\n", "      - sleep 300\n"))
        commit_and_push(repo, "a build the kill interrupts")
        seq = runs(srv, app)[-1]["RunId"]

        def building() -> bool:
            stages = runs(srv, app)[-1]["Stages"]
            return any(s["Name"] == "build" and s["State"] == "InProgress" for s in stages)

        wait_for(building, 60)
        wait_for(lambda: bool(_builds_of(app)), 30)
        kill9(srv)
    finally:
        if srv.proc.poll() is None:
            srv.stop()
    srv = start_server(data)
    try:
        run = wait_run(srv, app, seq, 5)
        assert run["State"] == "Failed", run
        assert "server stopped" in run["Reason"]
        assert _builds_of(app) == []  # the orphaned build is gone
        # the repository and the pipeline work as before (the clone's remote is the old port)
        repo2 = clone(srv, app, tmp_path / "clone2")
        (repo2 / "buildspec.yml").write_text(plain)
        commit_and_push(repo2, "the build as it was")
        again = wait_run(srv, app, runs(srv, app)[-1]["RunId"], 60)
        assert again["State"] == "Succeeded", again
    finally:
        srv.stop()
