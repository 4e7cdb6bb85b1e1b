"""Applications and their pipeline, end to end on a live server: `git clone` / commit /
`git push` over smart HTTP deploys the pushed commit (checked by invoking the deployed code,
which reports the commit its build stamped); a failing unit test leaves the stack unchanged; a
push to another branch runs nothing; of two quick pushes the earlier is Superseded and never
deploys; `ovis app create` of every other template runs green; the API's and git's refusals."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import ServerProcess
from tests.integration.test_cli import ovis

TERMINAL = ("Succeeded", "Failed", "Superseded")


def api(
    srv: ServerProcess, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    req = AWSRequest(method=method, url=srv.url + "/_ovis/apps" + path, data=data)
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(req)
    r = urllib.request.Request(
        req.url, data=data or None, method=method, headers=dict(req.headers.items())
    )
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, {"code": e.headers.get("x-amzn-ErrorType"), **json.loads(e.read())}


def wait_run(srv: ServerProcess, app: str, seq: int, deadline_s: float = 90) -> dict[str, Any]:
    end = time.monotonic() + deadline_s
    while True:
        status, run = api(srv, "GET", f"/{app}/runs/{seq}")
        assert status == 200, run
        if run["State"] in TERMINAL:
            return run  # type: ignore[no-any-return]
        assert time.monotonic() < end, f"run {seq} of {app} still {run['State']}: {run}"
        time.sleep(0.05)


def git(cwd: Path, *args: str) -> str:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.com",
        "GIT_COMMITTER_NAME": "Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.com",
    }
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout.strip()


def clone(srv: ServerProcess, app: str, into: Path, user: str = "test:test") -> Path:
    url = srv.url.replace("http://", f"http://{user}@") + f"/git/{app}.git"
    git(into.parent, "clone", "-q", url, into.name)
    return into


def commit_and_push(repo: Path, message: str, *push: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    git(repo, "push", "-q", "origin", *(push or ("HEAD:main",)))
    return git(repo, "rev-parse", "HEAD")


def deployed_commit(srv: ServerProcess, app: str) -> str:
    cfn, lam = srv.client("cloudformation"), srv.client("lambda")
    outputs = cfn.describe_stacks(StackName=app)["Stacks"][0]["Outputs"]
    fn = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "VersionFunctionName")
    out = json.loads(lam.invoke(FunctionName=fn)["Payload"].read())
    return str(out["commit"])


def run_log(srv: ServerProcess, run: dict[str, Any]) -> str:
    out = srv.client("logs").get_log_events(
        logGroupName=run["LogGroup"], logStreamName=run["LogStream"], startFromHead=True
    )
    return "\n".join(e["message"] for e in out["events"])


def runs(srv: ServerProcess, app: str) -> list[dict[str, Any]]:
    status, out = api(srv, "GET", f"/{app}/runs")
    assert status == 200, out
    return out["Runs"]  # type: ignore[no-any-return]


def test_push_deploys_and_the_pipeline_guards_the_stack(
    server: ServerProcess, tmp_path: Path
) -> None:
    app = f"api-{uuid.uuid4().hex[:8]}"
    status, created = api(server, "POST", "", {"Name": app, "Template": "api-backend"})
    assert status == 200, created
    assert created["CloneUrl"] == f"{server.url}/git/{app}.git"
    first = wait_run(server, app, created["Run"]["RunId"])
    assert first["State"] == "Succeeded", run_log(server, first)
    assert [s["Name"] for s in first["Stages"]] == ["source", "build", "test", "deploy"]
    assert deployed_commit(server, app) == first["Commit"]

    # ---- git clone, commit, git push: the new commit is deployed within 60 s
    repo = clone(server, app, tmp_path / "clone")
    src = repo / "src" / "app.py"
    src.write_text(src.read_text().replace('"SERVICE_NAME", "api"', '"SERVICE_NAME", "api-v2"'))
    # the build is sandboxed: no capabilities, the server's data directory out of reach
    spec = repo / "buildspec.yml"
    plain = spec.read_text()
    secret = server.data_dir.resolve() / "server-secret"
    spec.write_text(
        plain.replace(
            "      - python -m compileall -q src\n",
            "      - python -m compileall -q src\n"
            f"      - test ! -r {secret} && grep -q '^CapEff:[[:space:]]*0*$' /proc/self/status"
            " && echo out of reach\n",
        )
    )
    started = time.monotonic()
    pushed = commit_and_push(repo, "v2")
    queued = runs(server, app)[-1]
    assert (queued["Commit"], queued["State"] in ("Queued", "InProgress")) == (pushed, True)
    done = wait_run(server, app, queued["RunId"], 60)
    assert done["State"] == "Succeeded", run_log(server, done)
    assert deployed_commit(server, app) == pushed
    assert time.monotonic() - started < 60
    logs = server.client("logs").get_log_events(
        logGroupName=f"/ovis/pipelines/{app}", logStreamName=done["LogStream"], startFromHead=True
    )
    text = "\n".join(e["message"] for e in logs["events"])
    assert f"building {pushed} for prod" in text and "3 passed" in text, text
    assert "\nout of reach\n" in text, text

    # ---- a push to another branch runs nothing
    before = len(runs(server, app))
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "NOTES.md").write_text("work in progress\n")
    commit_and_push(repo, "wip", "HEAD:feature")
    assert len(runs(server, app)) == before  # recorded before `git push` returned: no race
    git(repo, "checkout", "-q", "main")

    # ---- a failing unit test: the run fails at test, the stack is unchanged
    cfn = server.client("cloudformation")
    stack_before = cfn.describe_stacks(StackName=app)["Stacks"][0]
    src.write_text(src.read_text().replace('{"ok": True', '{"ok": False'))
    commit_and_push(repo, "break the health check")
    failed = wait_run(server, app, runs(server, app)[-1]["RunId"], 60)
    assert failed["State"] == "Failed", failed
    assert [(s["Name"], s["State"]) for s in failed["Stages"]][-1] == ("test", "Failed")
    assert "unit tests failed" in failed["Reason"]
    stack_after = cfn.describe_stacks(StackName=app)["Stacks"][0]
    assert stack_after["StackStatus"] == stack_before["StackStatus"]
    assert stack_after.get("LastUpdatedTime") == stack_before.get("LastUpdatedTime")
    assert deployed_commit(server, app) == pushed

    # ---- two quick pushes: the earlier (its build would take 2 minutes) is Superseded
    src.write_text(src.read_text().replace('{"ok": False', '{"ok": True'))
    spec.write_text(plain.replace("      - python --version\n", "      - sleep 120\n"))
    slow = commit_and_push(repo, "slow build")
    spec.write_text(plain)
    fast = commit_and_push(repo, "fast build")
    later = runs(server, app)
    earlier_run, later_run = later[-2], later[-1]
    assert (earlier_run["Commit"], later_run["Commit"]) == (slow, fast)
    done = wait_run(server, app, later_run["RunId"], 60)
    assert done["State"] == "Succeeded", run_log(server, done)
    superseded = wait_run(server, app, earlier_run["RunId"], 10)
    assert superseded["State"] == "Superseded", superseded
    assert "deploy" not in [s["Name"] for s in superseded["Stages"]]
    assert deployed_commit(server, app) == fast

    # ---- `ovis app runs` and `ovis app logs`
    table = ovis(server, "app", "runs", app)
    assert table.returncode == 0, table.stderr
    for state in ("Succeeded", "Failed", "Superseded"):
        assert state in table.stdout
    assert fast[:12] in table.stdout and "deploy Succeeded" in table.stdout
    shown = ovis(server, "app", "logs", app, str(done["RunId"]))
    assert shown.returncode == 0, shown.stderr
    assert f"run {done['RunId']} succeeded" in shown.stdout


def test_ovis_app_create_runs_every_other_template_green(server: ServerProcess) -> None:
    names = {
        t: f"{t[:10]}-{uuid.uuid4().hex[:6]}"
        for t in ("file-processing", "scheduled-job", "queue-processing", "notifications-fanout")
    }
    env = dict(
        os.environ,
        OVIS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_CONFIG_FILE=os.devnull,
    )
    procs = {
        t: subprocess.Popen(
            [sys.executable, "-m", "ovis", "app", "create", name, "--template", t, "--wait"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for t, name in names.items()
    }
    for t, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{t}: {err}"
        assert out.strip() == f"{server.url}/git/{names[t]}.git"
        assert "Succeeded" in err and "deploy Succeeded" in err, err
    cfn = server.client("cloudformation")
    for name in names.values():
        assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    listed = ovis(server, "app", "list")
    assert all(name in listed.stdout for name in names.values()), listed.stdout


def test_refusals(server: ServerProcess, tmp_path: Path) -> None:
    status, out = api(server, "POST", "", {"Name": "x", "Template": "nope"})
    assert (status, out["code"]) == (400, "InvalidParameterValueException")
    assert "api-backend" in out["message"]  # the known templates are listed
    status, out = api(server, "POST", "", {"Name": "1bad", "Template": "api-backend"})
    assert (status, out["code"]) == (400, "InvalidParameterValueException")
    status, out = api(server, "POST", "", {"Template": "api-backend"})
    assert (status, out["code"]) == (400, "InvalidRequestContentException")
    status, out = api(server, "GET", "/no-such-app/runs")
    assert (status, out["code"]) == (404, "ResourceNotFoundException")
    name = f"dup-{uuid.uuid4().hex[:8]}"
    assert api(server, "POST", "", {"Name": name, "Template": "scheduled-job"})[0] == 200
    status, out = api(server, "POST", "", {"Name": name, "Template": "scheduled-job"})
    assert (status, out["code"]) == (409, "ResourceConflictException")
    status, out = api(server, "GET", f"/{name}/runs/99")
    assert (status, out["code"]) == (404, "ResourceNotFoundException")
    # unsigned API calls are refused
    try:
        urllib.request.urlopen(server.url + "/_ovis/apps", timeout=10)
        raise AssertionError("unsigned call accepted")
    except urllib.error.HTTPError as e:
        assert e.code in (400, 403)
    # git: fetch needs credentials (a challenge, so git asks), a wrong secret is refused
    info = f"{server.url}/git/{name}.git/info/refs?service=git-upload-pack"
    for auth in (None, "test:wrong", "nobody:test"):
        req = urllib.request.Request(info)
        if auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError(f"git fetch accepted with {auth}")
        except urllib.error.HTTPError as e:
            assert e.code == 401
            assert e.headers["WWW-Authenticate"].startswith("Basic")
    req = urllib.request.Request(f"{server.url}/git/missing.git/info/refs")
    req.add_header("Authorization", "Basic " + base64.b64encode(b"test:test").decode())
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("unknown repository served")
    except urllib.error.HTTPError as e:
        assert e.code == 404
    # S3 keeps path-style requests to a bucket named "git" (signed: never git's)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="git")
    s3.put_object(Bucket="git", Key="repo.git/info/refs", Body=b"an object")
    assert s3.get_object(Bucket="git", Key="repo.git/info/refs")["Body"].read() == b"an object"
    # a buildspec the pipeline cannot run fails the build with what is wrong with it
    assert wait_run(server, name, 1)["State"] == "Succeeded"
    repo = clone(server, name, tmp_path / "bad")
    spec = repo / "buildspec.yml"
    spec.write_text(spec.read_text().replace("version: 0.2", "version: 0.1"))
    commit_and_push(repo, "an old buildspec")
    bad = wait_run(server, name, 2)
    assert bad["State"] == "Failed"
    assert bad["Reason"] == "build: buildspec version 0.1 is not supported (0.2)", bad["Reason"]
