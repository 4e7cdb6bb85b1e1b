"""Every blueprint (ovis/blueprints/) deployed the way `sam package` + CloudFormation deploy it:
its code zipped and uploaded to the server's S3, the packaged SAM template created as a stack
with boto3 (CAPABILITY_IAM, CAPABILITY_AUTO_EXPAND); then its trigger fired (an invoke, an HTTP
request to its function URL, a message, a record, a notification, an event, an upload, the
schedule) and its result checked where it lands (the answer, the logs, the bucket, the queues).

Parametrized by blueprint so xdist spreads them; each worker's module server runs EventBridge's
clock 500x fast (the scheduled job's `rate(5 minutes)` fires every 0.6 s) and with --cfn-settle
for the one `sam deploy` of a directory written by `ovis init`.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from ovis.blueprints import catalog
from ovis.blueprints.package import Overrides, Package, package_blueprint, package_files
from tests.conftest import ServerProcess, start_server
from tests.integration.deploy_tools import SAM, SESSION_TIMEOUT_S, Tool, poll
from tests.integration.urls import URL_RE, request

pytestmark = pytest.mark.timeout(SESSION_TIMEOUT_S)

FAST = {"Delay": 0.2, "MaxAttempts": 300}
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(
        tmp_path_factory.mktemp("ovis-blueprints") / "data",
        "--events-time-scale",
        "0.002",
        "--cfn-settle",
        "20",
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def bucket(srv: ServerProcess) -> str:
    name = f"blueprint-artifacts-{uuid.uuid4().hex[:8]}"
    srv.client("s3").create_bucket(Bucket=name)  # type: ignore[attr-defined]
    return name


@dataclass
class Deployed:
    srv: ServerProcess
    stack: str
    outputs: dict[str, str]

    def client(self, service: str) -> Any:
        return self.srv.client(service)

    @property
    def function(self) -> str:
        return self.outputs["FunctionName"]


def upload_and_create(
    srv: ServerProcess, bucket: str, stack: str, pkg: Package, params: dict[str, str] | None = None
) -> dict[str, str]:
    s3, cfn = srv.client("s3"), srv.client("cloudformation")
    for key, blob in pkg.artifacts.items():
        s3.put_object(Bucket=bucket, Key=key, Body=blob)  # type: ignore[attr-defined]
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in (params or {}).items()]
    cfn.create_stack(  # type: ignore[attr-defined]
        StackName=stack,
        TemplateBody=pkg.template_body(),
        Capabilities=CAPABILITIES,
        Parameters=parameters,
    )
    return wait(cfn, stack, "stack_create_complete")


def wait(cfn: Any, stack: str, waiter: str) -> dict[str, str]:
    try:
        cfn.get_waiter(waiter).wait(StackName=stack, WaiterConfig=FAST)
    except WaiterError as e:
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
        why = [
            f"{x['LogicalResourceId']}: {x.get('ResourceStatusReason', '')}"
            for x in events
            if "FAILED" in x["ResourceStatus"]
        ]
        raise AssertionError(f"{e}: {why}") from None
    desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}


def invoke(lam: Any, function: str, payload: object, **kw: Any) -> tuple[dict[str, Any], Any]:
    r = lam.invoke(FunctionName=function, Payload=json.dumps(payload).encode(), **kw)
    return r, json.loads(r["Payload"].read())


def log_lines(d: Deployed, marker: str) -> list[str]:
    """The function's log messages containing ``marker`` (none yet: [])."""
    logs = d.client("logs")
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{d.function}")["events"]
    except ClientError:
        return []
    return [e["message"] for e in events if marker in e["message"]]


def _after(message: str, marker: str) -> Any:
    """The JSON after ``marker`` in a log message; a marker that opens an object (``{"key":``)
    is part of the document, and the answer is that key's value."""
    at = message.index(marker)
    if marker.startswith("{"):
        doc = json.loads(message[at:])
        return doc[next(iter(doc))]
    return json.loads(message[at + len(marker) :])


def logged_json(d: Deployed, marker: str, want: Callable[[list[Any]], bool]) -> list[Any]:
    """The JSON documents after ``marker`` in the function's log, once ``want`` holds of them."""

    def docs() -> list[Any] | None:
        found = [_after(m, marker) for m in log_lines(d, marker)]
        return found if want(found) else None

    return poll(f"log lines {marker!r} in {d.function}", docs)  # type: ignore[no-any-return]


# ---- one check per blueprint: fire its trigger, check its result ------------------------------


def check_hello(d: Deployed) -> None:
    _, out = invoke(d.client("lambda"), d.function, {"name": "Ada"})
    assert out == {"message": "Hello, Ada!"}


def check_http_api(d: Deployed) -> None:
    m = URL_RE.fullmatch(d.outputs["Url"])
    assert m, d.outputs
    base = f"/_ovis/url/{m[1]}"
    health = request(d.srv.port, "GET", f"{base}/health")
    assert (health.status, health.json()) == (200, {"ok": True, "service": "hello-api"})
    hello = request(d.srv.port, "GET", f"{base}/hello/ovis")
    assert hello.json() == {"message": "Hello, ovis!"}
    echo = request(d.srv.port, "POST", f"{base}/echo", body=b'{"n": 1}')
    assert (echo.status, echo.json()) == (200, {"echo": {"n": 1}})
    wrong = request(d.srv.port, "POST", f"{base}/health")
    assert (wrong.status, wrong.headers["allow"]) == (405, "GET")
    assert request(d.srv.port, "GET", f"{base}/nowhere").status == 404


def check_sqs_batch(d: Deployed) -> None:
    sqs = d.client("sqs")
    queue, dlq = d.outputs["QueueUrl"], d.outputs["DeadLetterQueueUrl"]
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "a", "MessageBody": '{"order": 1}'},
            {"Id": "b", "MessageBody": '{"order": 2, "note": "poison"}'},
            {"Id": "c", "MessageBody": '{"order": 3}'},
        ],
    )
    processed = logged_json(d, '{"processed":', lambda docs: len(docs) >= 2)
    assert sorted(p["order"] for p in processed) == [1, 3]

    # Only the poison message failed: after maxReceiveCount receives it is in the DLQ.
    def dead() -> list[Any]:
        return sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])  # type: ignore[no-any-return]

    got = poll("the poison message in the dead-letter queue", dead, timeout=90)
    assert [json.loads(m["Body"])["order"] for m in got] == [2]
    assert len(log_lines(d, '"processed"')) == 2  # the good ones ran once: not retried


def check_kinesis(d: Deployed) -> None:
    kinesis = d.client("kinesis")
    for i, amount in enumerate((5, 7)):
        kinesis.put_record(
            StreamName=d.outputs["StreamName"],
            Data=json.dumps({"amount": amount}).encode(),
            PartitionKey=f"k{i}",
        )
    summaries = logged_json(d, '{"summary":', lambda docs: sum(s["records"] for s in docs) >= 2)
    assert sum(s["total"] for s in summaries) == 12
    assert sorted(k for s in summaries for k in s["keys"]) == ["k0", "k1"]


def check_sns(d: Deployed) -> None:
    d.client("sns").publish(
        TopicArn=d.outputs["TopicArn"],
        Subject="disk",
        Message="disk almost full",
        MessageAttributes={"host": {"DataType": "String", "StringValue": "db-1"}},
    )
    (line,) = logged_json(d, "notification ", bool)
    assert line["subject"] == "disk" and line["message"] == "disk almost full"
    assert line["attributes"] == {"host": "db-1"} and line["topic"] == d.outputs["TopicArn"]


def check_schedule(d: Deployed) -> None:
    runs = logged_json(d, "JOB ", lambda docs: len(docs) >= 2)  # it keeps firing
    assert {(r["job"], r["task"]) for r in runs} == {("nightly-report", "report")}


def check_s3(d: Deployed) -> None:
    s3, bucket = d.client("s3"), d.outputs["BucketName"]
    s3.put_object(Bucket=bucket, Key="incoming/notes.txt", Body=b"one two\nthree\n")

    def summary() -> Any:
        try:
            return json.loads(
                s3.get_object(Bucket=bucket, Key="processed/notes.txt.json")["Body"].read()
            )
        except ClientError:
            return None

    got = poll("processed/notes.txt.json", summary)
    assert got == {"source": "incoming/notes.txt", "size": 14, "lines": 2, "words": 3}
    # the function's own output (outside incoming/) triggered nothing more
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["incoming/notes.txt", "processed/notes.txt.json"]
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)  # a bucket must be empty to be deleted


def check_eventbridge(d: Deployed) -> None:
    events = d.client("events")
    events.put_events(
        Entries=[
            {"Source": "ovis.shop", "DetailType": "Other", "Detail": '{"id": "x"}'},
            {
                "Source": "ovis.shop",
                "DetailType": "OrderPlaced",
                "Detail": '{"id": "o-1", "total": 42}',
            },
        ]
    )
    (order,) = logged_json(d, "ORDER ", bool)
    assert order == {
        "order": "o-1",
        "total": 42,
        "large": True,
        "source": "ovis.shop",
        "type": "OrderPlaced",
    }


def check_streaming(d: Deployed) -> None:
    lam = d.client("lambda")
    assert lam.get_function_url_config(FunctionName=d.function)["InvokeMode"] == "RESPONSE_STREAM"
    m = URL_RE.fullmatch(d.outputs["Url"])
    assert m, d.outputs
    conn = http.client.HTTPConnection("127.0.0.1", d.srv.port, timeout=30)
    conn.request("GET", f"/_ovis/url/{m[1]}/?chunks=3")
    r = conn.getresponse()
    pieces = []
    while data := r.read1(65536):
        pieces.append(data)
    conn.close()
    assert r.status == 200 and r.getheader("content-type") == "text/plain; charset=utf-8"
    assert r.getheader("transfer-encoding") == "chunked"
    assert b"".join(pieces).decode().splitlines() == [f"chunk {i} of 3" for i in (1, 2, 3)]


def check_shell(d: Deployed) -> None:
    lam = d.client("lambda")
    _, out = invoke(lam, d.function, {"n": 1})
    assert out == {"greeting": "Hello from shell", "event": {"n": 1}, "function": d.function}
    r, err = invoke(lam, d.function, {"fail": True})
    assert r["FunctionError"] == "Unhandled"
    assert err == {"errorMessage": "asked to fail", "errorType": "Handler.Error"}


def check_container(d: Deployed) -> None:
    lam = d.client("lambda")
    cfg = lam.get_function_configuration(FunctionName=d.function)
    assert cfg["PackageType"] == "Image"
    _, out = invoke(lam, d.function, {"n": 2})
    assert out["greeting"] == "Hello from the image" and out["event"] == {"n": 2}
    assert out["kernel"] == "Linux" and "lambda" in out["root"].split()


CHECKS: dict[str, Callable[[Deployed], None]] = {
    "hello-python": check_hello,
    "hello-node": check_hello,
    "http-api-python": check_http_api,
    "sqs-batch-python": check_sqs_batch,
    "kinesis-node": check_kinesis,
    "sns-python": check_sns,
    "schedule-python": check_schedule,
    "s3-processor-python": check_s3,
    "eventbridge-node": check_eventbridge,
    "streaming-node": check_streaming,
    "shell-runtime": check_shell,
    "container-image": check_container,
}


def test_every_blueprint_has_a_check() -> None:
    tested = {*CHECKS, "canary-python"}  # the canary has a test of its own, below
    assert {b.name for b in catalog.list_blueprints()} == tested
    assert len(tested) >= 12


def import_container_image(srv: ServerProcess, tmp_path: Path) -> None:
    """Build the container blueprint's image with its build.py and import it (`ovis image
    import`), as its template's description says; skipped where images cannot run."""
    if os.geteuid() != 0:
        pytest.skip("container images need root (namespaces, pivot_root)")
    from tests.integration.test_images import static_busybox

    busybox = static_busybox()
    if busybox is None:
        pytest.skip("no static busybox: `apt-get install busybox-static`")
    work = tmp_path / "container"
    catalog.write_to("container-image", work)
    archive = work / "image.tar"
    build = subprocess.run(
        [sys.executable, str(work / "build.py"), "--busybox", busybox, "-o", str(archive)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert build.returncode == 0, build.stderr
    imported = subprocess.run(
        [
            sys.executable,
            "-m",
            "ovis",
            "image",
            "import",
            str(archive),
            "--name",
            "ovis-blueprint-container:1",
            "--data-dir",
            str(srv.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    assert "ImageUri: ovis-blueprint-container:1" in imported.stdout


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_blueprint_deploys_and_answers_its_trigger(
    srv: ServerProcess, bucket: str, name: str, tmp_path: Path
) -> None:
    if name == "container-image":
        import_container_image(srv, tmp_path)
    stack = f"bp-{name}-{uuid.uuid4().hex[:6]}"
    # The SQS consumer's failed message comes back after the queue's visibility timeout: the
    # test shortens it (and the function's timeout, which it must not be shorter than).
    fast = name == "sqs-batch-python"
    pkg = package_blueprint(catalog.get(name), bucket, Overrides(timeout=2) if fast else None)
    params = {"VisibilityTimeout": "2"} if fast else None
    outputs = upload_and_create(srv, bucket, stack, pkg, params)
    deployed = Deployed(srv, stack, outputs)
    CHECKS[name](deployed)
    delete(srv, stack)


def delete(srv: ServerProcess, stack: str) -> None:
    """Delete the stack and wait until everything it made is gone."""
    cfn: Any = srv.client("cloudformation")
    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig=FAST)


def test_canary_blueprint_splits_the_live_alias_between_two_versions(
    srv: ServerProcess, bucket: str
) -> None:
    """First deploy: live -> version 1. Then new code, deployed with StableVersion=1 and
    CanaryWeight=0.5: the live alias keeps 1 and sends about half its calls to version 2."""
    bp = catalog.get("canary-python")
    lam: Any = srv.client("lambda")
    cfn: Any = srv.client("cloudformation")
    s3: Any = srv.client("s3")
    stack = f"bp-canary-{uuid.uuid4().hex[:6]}"
    first = upload_and_create(srv, bucket, stack, package_blueprint(bp, bucket))
    fn = first["FunctionName"]
    assert first["NewVersion"] == "1"
    alias = lam.get_alias(FunctionName=fn, Name="live")
    assert alias["FunctionVersion"] == "1" and "RoutingConfig" not in alias
    r, out = invoke(lam, fn, {}, Qualifier="live")
    assert out == {"release": "1", "version": "1", "channel": "canary"}

    files = bp.files()
    files["src/app.py"] = files["src/app.py"].replace(b'RELEASE = "1"', b'RELEASE = "2"')
    pkg = package_files(bp.template_text(), files, bucket)
    for key, blob in pkg.artifacts.items():
        s3.put_object(Bucket=bucket, Key=key, Body=blob)
    cfn.update_stack(
        StackName=stack,
        TemplateBody=pkg.template_body(),
        Capabilities=CAPABILITIES,
        Parameters=[
            {"ParameterKey": "StableVersion", "ParameterValue": "1"},
            {"ParameterKey": "CanaryWeight", "ParameterValue": "0.5"},
        ],
    )
    second = wait(cfn, stack, "stack_update_complete")
    assert second["NewVersion"] == "2"
    alias = lam.get_alias(FunctionName=fn, Name="live")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.5}
    assert lam.get_alias(FunctionName=fn, Name="candidate")["FunctionVersion"] == "2"
    # Both versions answer through live, each with its own code.
    seen: dict[str, str] = {}
    for _ in range(60):
        r, out = invoke(lam, fn, {}, Qualifier="live")
        seen[r["ExecutedVersion"]] = out["release"]
        if len(seen) == 2:
            break
    assert seen == {"1": "1", "2": "2"}
    delete(srv, stack)


def ovis_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ovis", *args], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_ovis_blueprints_lists_and_init_writes_one_that_sam_deploys(
    srv: ServerProcess, tmp_path: Path
) -> None:
    listed = ovis_cli("blueprints")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0] == ["NAME", "RUNTIME", "TRIGGER", "DESCRIPTION"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {b.name for b in catalog.list_blueprints()}
    assert by_name["sqs-batch-python"][1:3] == ["python3.11", "SQS queue"]
    as_json = json.loads(ovis_cli("blueprints", "--json").stdout)
    hello = next(b for b in as_json if b["Name"] == "hello-node")
    assert (hello["Runtime"], hello["MemorySize"], hello["Timeout"]) == ("nodejs22.x", 128, 3)
    assert hello["Environment"] == {"GREETING": "Hello"}

    unknown = ovis_cli("init", "--blueprint", "no-such", str(tmp_path / "x"))
    assert unknown.returncode != 0 and not (tmp_path / "x").exists()
    assert "No blueprint named 'no-such'. Known blueprints: canary-python," in unknown.stderr

    app = tmp_path / "app"
    wrote = ovis_cli("init", "--blueprint", "shell-runtime", str(app))
    assert wrote.returncode == 0, wrote.stderr
    assert sorted(str(p.relative_to(app)) for p in app.rglob("*") if p.is_file()) == [
        "src/bootstrap",
        "src/function.sh",
        "template.yaml",
    ]
    assert os.access(app / "src" / "bootstrap", os.X_OK)
    (app / "notes.txt").write_text("mine")
    again = ovis_cli("init", "--blueprint", "shell-runtime", str(app))
    assert again.returncode != 0 and "is not empty (use --force" in again.stderr
    forced = ovis_cli("init", "--blueprint", "shell-runtime", str(app), "--force")
    assert forced.returncode == 0 and (app / "notes.txt").read_text() == "mine"
    (app / "notes.txt").unlink()

    sam = Tool(SAM, srv.url, tmp_path / "home")
    stack = f"bp-sam-{uuid.uuid4().hex[:6]}"
    sam.ok(
        "deploy",
        "--resolve-s3",
        "--stack-name",
        stack,
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
        cwd=app,
    )
    cfn: Any = srv.client("cloudformation")
    outputs = wait(cfn, stack, "stack_create_complete")
    _, out = invoke(srv.client("lambda"), outputs["FunctionName"], {"via": "sam"})
    assert out["greeting"] == "Hello from shell" and out["event"] == {"via": "sam"}
    delete(srv, stack)
