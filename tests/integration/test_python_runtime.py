"""The managed Python runtime, driven through Invoke with boto3 like a user would."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from tests.conftest import create_python_function


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def invoke(lam, name: str, payload: object = None, **kw):  # type: ignore[no-untyped-def]
    body = json.dumps(payload if payload is not None else {}).encode()
    resp = lam.invoke(FunctionName=name, Payload=body, **kw)
    resp["Body"] = resp["Payload"].read()
    return resp


def tail(resp) -> str:  # type: ignore[no-untyped-def]
    return base64.b64decode(resp["LogResult"]).decode()


CONTEXT_CODE = """
import os, json
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    with open('/tmp/probe-' + context.aws_request_id, 'w') as f:
        f.write('ok')
    return {
        "event": event,
        "count": COUNT,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "MY_"))},
        "cwd": os.getcwd(),
    }
"""


def test_context_environment_and_warm_state(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("ctx")
    create_python_function(
        lam,
        name,
        CONTEXT_CODE,
        MemorySize=256,
        Timeout=5,
        Environment={"Variables": {"MY_VAR": "hello"}},
    )
    r1 = invoke(lam, name, {"k": [1, 2]})
    assert r1["StatusCode"] == 200 and "FunctionError" not in r1
    out = json.loads(r1["Body"])
    assert out["event"] == {"k": [1, 2]}
    assert out["function_name"] == name
    assert out["function_version"] == "$LATEST"
    assert out["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert out["memory_limit_in_mb"] == "256"
    assert out["aws_request_id"] == r1["ResponseMetadata"]["RequestId"]
    assert out["log_group_name"] == f"/aws/lambda/{name}"
    assert "[$LATEST]" in out["log_stream_name"]
    assert 0 < out["remaining"] <= 5000
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == out["log_stream_name"]
    assert env["_HANDLER"] == "app.handler"
    assert env["MY_VAR"] == "hello"
    assert env["LAMBDA_TASK_ROOT"] == out["cwd"]
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert r1["ExecutedVersion"] == "$LATEST"
    # Warm: module state persists, same instance (same log stream).
    r2 = json.loads(invoke(lam, name)["Body"])
    assert r2["count"] == 2
    assert r2["log_stream_name"] == out["log_stream_name"]


def test_boto3_inside_function_reaches_this_server(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("boto")
    code = """
import boto3
def handler(event, context):
    client = boto3.client("lambda")
    cfg = client.get_function_configuration(FunctionName=context.function_name)
    return {"runtime": cfg["Runtime"], "name": cfg["FunctionName"]}
"""
    create_python_function(lam, name, code, Timeout=30)
    r = invoke(lam, name)
    assert "FunctionError" not in r, r["Body"]
    assert json.loads(r["Body"]) == {"runtime": "python3.11", "name": name}


def test_handler_in_package(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("pkg")
    files = {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/mod.py": "from pkg.helper import VALUE\ndef handler(e, c):\n    return VALUE\n",
        "pkg/helper.py": "VALUE = 'from-helper'\n",
    }
    create_python_function(lam, name, "", handler="pkg.sub.mod.handler", files=files)
    assert json.loads(invoke(lam, name)["Body"]) == "from-helper"


def test_handler_exception_shape_and_logs(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("err")
    code = (
        "class MyError(Exception):\n    pass\ndef handler(e, c):\n    raise MyError('it broke')\n"
    )
    create_python_function(lam, name, code)
    r = invoke(lam, name, LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    assert r["StatusCode"] == 200
    err = json.loads(r["Body"])
    assert err["errorType"] == "MyError"
    assert err["errorMessage"] == "it broke"
    assert err["requestId"] == r["ResponseMetadata"]["RequestId"]
    assert isinstance(err["stackTrace"], list) and any("app.py" in s for s in err["stackTrace"])
    assert "[ERROR] MyError: it broke" in tail(r)
    # The instance survives a handled error: the next invoke is warm.
    r2 = invoke(lam, name, LogType="Tail")
    assert "Init Duration" not in tail(r2)


@pytest.mark.parametrize(
    ("handler", "files", "etype", "msg"),
    [
        (
            "missing.handler",
            {"app.py": "x = 1\n"},
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        (
            "app.nothere",
            {"app.py": "x = 1\n"},
            "Runtime.HandlerNotFound",
            "Handler 'nothere' missing on module 'app'",
        ),
        (
            "app.handler",
            {"app.py": "def handler(:\n"},
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app'",
        ),
        ("apphandler", {"app.py": "x = 1\n"}, "Runtime.MalformedHandlerName", "Bad handler"),
    ],
)
def test_init_faults(lam, handler, files, etype, msg) -> None:  # type: ignore[no-untyped-def]
    name = uniq("fault")
    create_python_function(lam, name, "", handler=handler, files=files)
    r = invoke(lam, name)
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Body"])
    assert err["errorType"] == etype
    assert msg in err["errorMessage"]


def test_exception_during_import_is_reported(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("initexc")
    create_python_function(
        lam, name, "raise ValueError('bad config')\ndef handler(e, c):\n    return 1\n"
    )
    r = invoke(lam, name)
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Body"])
    assert err["errorType"] == "ValueError"
    assert err["errorMessage"] == "bad config"


def test_timeout_kills_instance_and_next_invoke_works(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("slow")
    code = """
import time
def handler(e, c):
    if e.get("sleep"):
        time.sleep(e["sleep"])
    return "done"
"""
    create_python_function(lam, name, code, Timeout=1)
    t0 = time.monotonic()
    r = invoke(lam, name, {"sleep": 10}, LogType="Tail")
    assert time.monotonic() - t0 < 5
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Body"])
    assert "Task timed out after 1.00 seconds" in err["errorMessage"]
    assert "Task timed out after 1.00 seconds" in tail(r)
    assert "Status: timeout" in tail(r)
    r2 = invoke(lam, name, {}, LogType="Tail")
    assert json.loads(r2["Body"]) == "done"
    assert "Init Duration" in tail(r2)  # the timed-out instance was discarded


def test_process_exit_is_runtime_exit_error(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("exit")
    code = "import os\ndef handler(e, c):\n    if e.get('die'):\n        os._exit(3)\n    return 'alive'\n"
    create_python_function(lam, name, code)
    r = invoke(lam, name, {"die": True})
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Body"])
    assert err["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 3" in err["errorMessage"]
    assert json.loads(invoke(lam, name, {})["Body"]) == "alive"


def test_unserializable_result_is_marshal_error(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("marshal")
    create_python_function(lam, name, "def handler(e, c):\n    return object()\n")
    err = json.loads(invoke(lam, name)["Body"])
    assert err["errorType"] == "Runtime.MarshalError"


def test_logs_tail_report_and_output(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("logs")
    code = """
import logging, sys
print("init-print")
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def handler(e, c):
    print("to-stdout")
    print("to-stderr", file=sys.stderr)
    logger.info("via-logging")
    if e.get("big"):
        print("x" * 10000)
    return 1
"""
    create_python_function(lam, name, code, MemorySize=512)
    r = invoke(lam, name, LogType="Tail")
    rid = r["ResponseMetadata"]["RequestId"]
    text = tail(r)
    assert "init-print" in text
    assert f"START RequestId: {rid} Version: $LATEST" in text
    assert "to-stdout" in text and "to-stderr" in text
    assert "[INFO]" in text and f"\t{rid}\tvia-logging" in text
    assert f"END RequestId: {rid}" in text
    report = next(ln for ln in text.splitlines() if ln.startswith("REPORT"))
    for field in (
        "Duration:",
        "Billed Duration:",
        "Memory Size: 512 MB",
        "Max Memory Used:",
        "Init Duration:",
    ):
        assert field in report
    warm = tail(invoke(lam, name, LogType="Tail"))
    assert "Init Duration" not in warm and "init-print" not in warm
    big = base64.b64decode(invoke(lam, name, {"big": True}, LogType="Tail")["LogResult"])
    assert len(big) <= 4096 and big.decode().rstrip("\n").splitlines()[-1].startswith("REPORT")


def test_logs_are_stored_and_queryable(server, lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("stored")
    create_python_function(lam, name, "def handler(e, c):\n    print('marker-' + e['m'])\n")
    r = invoke(lam, name, {"m": "abc"})
    rid = r["ResponseMetadata"]["RequestId"]
    logs = server.client("logs")
    deadline = time.monotonic() + 10
    messages: list[str] = []
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        messages = [e["message"] for e in events]
        if any(m.startswith(f"REPORT RequestId: {rid}") for m in messages):
            break
        time.sleep(0.1)
    assert f"START RequestId: {rid} Version: $LATEST" in messages
    assert "marker-abc" in messages
    assert f"END RequestId: {rid}" in messages


def test_event_invocation_runs(server, lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("event")
    create_python_function(lam, name, "def handler(e, c):\n    print('async-' + e['v'])\n")
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"v": "ran"}')
    assert r["StatusCode"] == 202
    rid = r["ResponseMetadata"]["RequestId"]
    logs = server.client("logs")
    deadline = time.monotonic() + 15
    found = False
    while time.monotonic() < deadline and not found:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        found = any(e["message"] == f"END RequestId: {rid}" for e in events) and any(
            e["message"] == "async-ran" for e in events
        )
        time.sleep(0.1)
    assert found


def test_dry_run(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("dry")
    create_python_function(lam, name, "def handler(e, c):\n    raise SystemExit(1)\n")
    r = lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert r["StatusCode"] == 204


def test_code_update_takes_effect(lam) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import zip_bytes

    name = uniq("upd")
    create_python_function(lam, name, "def handler(e, c):\n    return 'v1'\n")
    assert json.loads(invoke(lam, name)["Body"]) == "v1"
    lam.update_function_code(
        FunctionName=name, ZipFile=zip_bytes({"app.py": "def handler(e, c):\n    return 'v2'\n"})
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    assert json.loads(invoke(lam, name)["Body"]) == "v2"
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"AB": "1"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    assert json.loads(invoke(lam, name)["Body"]) == "v2"


def test_client_context(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("cc")
    create_python_function(lam, name, "def handler(e, c):\n    return c.client_context\n")
    cc = base64.b64encode(json.dumps({"custom": {"a": 1}}).encode()).decode()
    r = invoke(lam, name, ClientContext=cc)
    assert json.loads(r["Body"]) == {"custom": {"a": 1}}
