"""The Lambda Runtime API over HTTP, as custom runtimes and runtime interface clients use it."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import ROLE, ServerProcess, create_python_function, start_server, zip_bytes


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("ovis-http") / "data", "--python-transport", "http")
    yield srv
    srv.stop()


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_custom(lam, name: str, files: dict[str, str], handler: str = "function.handler"):  # type: ignore[no-untyped-def]
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, content in files.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = (0o100755 if path == "bootstrap" else 0o100644) << 16
            zf.writestr(info, content)
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": buf.getvalue()},
        Timeout=10,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


def test_managed_python_over_http_runtime_api(http_server) -> None:  # type: ignore[no-untyped-def]
    lam = http_server.client("lambda")
    name = uniq("http")
    code = "def handler(e, c):\n    if e.get('fail'):\n        raise KeyError('k')\n    return {'id': c.aws_request_id, 'arn': c.invoked_function_arn}\n"
    create_python_function(lam, name, code)
    r = lam.invoke(FunctionName=name, Payload=b"{}")
    out = json.loads(r["Payload"].read())
    assert out["id"] == r["ResponseMetadata"]["RequestId"]
    assert out["arn"].endswith(f":function:{name}")
    r = lam.invoke(FunctionName=name, Payload=b'{"fail": true}')
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "KeyError"


def test_awslambdaric_unchanged(lam) -> None:  # type: ignore[no-untyped-def]
    """A bootstrap that runs the AWS runtime interface client (from PyPI) with a Python handler."""
    name = uniq("ric")
    bootstrap = f'#!/bin/sh\nexec {sys.executable} -m awslambdaric "$_HANDLER"\n'
    app = (
        "def handler(event, context):\n"
        "    if event.get('boom'):\n"
        "        raise RuntimeError('ric-error')\n"
        "    return {'event': event, 'fn': context.function_name,"
        " 'rid': context.aws_request_id, 'left': context.get_remaining_time_in_millis()}\n"
    )
    create_custom(lam, name, {"bootstrap": bootstrap, "app.py": app}, handler="app.handler")
    r = lam.invoke(FunctionName=name, Payload=b'{"x": 1}')
    assert "FunctionError" not in r
    out = json.loads(r["Payload"].read())
    assert out["event"] == {"x": 1}
    assert out["fn"] == name
    assert out["rid"] == r["ResponseMetadata"]["RequestId"]
    assert 0 < out["left"] <= 10000
    r = lam.invoke(FunctionName=name, Payload=b'{"boom": true}')
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Payload"].read())
    assert err["errorType"] == "RuntimeError" and err["errorMessage"] == "ric-error"
    # still warm and serving after an error
    assert json.loads(lam.invoke(FunctionName=name, Payload=b'{"x": 2}')["Payload"].read())[
        "event"
    ] == {"x": 2}


def test_shell_bootstrap_with_curl(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("sh")
    # Exactly the AWS tutorial's bootstrap: #!/bin/sh with bash features, as on Amazon Linux.
    bootstrap = r"""#!/bin/sh
set -euo pipefail
source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"
while true
do
  HEADERS="$(mktemp)"
  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")
  curl "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response"  -d "$RESPONSE"
done
"""
    function = """function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  RESPONSE="Echoing request: '$EVENT_DATA'"
  echo $RESPONSE
}
"""
    create_custom(lam, name, {"bootstrap": bootstrap, "function.sh": function})
    r = lam.invoke(FunctionName=name, Payload=b'{"hello": "world"}')
    assert r["Payload"].read() == b'Echoing request: \'{"hello": "world"}\''


def test_runtime_api_errors_and_init_error(lam) -> None:  # type: ignore[no-untyped-def]
    """Raw Runtime API calls: error posting with the error-type header, unknown request ids."""
    name = uniq("raw")
    script = f"""#!{sys.executable}
import json, os, urllib.request, urllib.error
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
def post(path, body, headers={{}}):
    req = urllib.request.Request(api + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        deadline = int(r.headers["Lambda-Runtime-Deadline-Ms"])
        arn = r.headers["Lambda-Runtime-Invoked-Function-Arn"]
        trace = r.headers["Lambda-Runtime-Trace-Id"]
        event = json.loads(r.read())
    bogus = post("/invocation/not-a-request/response", b"{{}}")
    if event.get("fail"):
        status = post(f"/invocation/{{rid}}/error",
                      json.dumps({{"errorMessage": "custom failure", "errorType": "MyCustomError"}}).encode(),
                      {{"Lambda-Runtime-Function-Error-Type": "MyCustomError"}})
    else:
        status = post(f"/invocation/{{rid}}/response",
                      json.dumps({{"bogus": bogus[0], "deadline": deadline > 0, "arn": arn, "trace": trace.startswith("Root=")}}).encode())
    again = post(f"/invocation/{{rid}}/response", b"{{}}")
    print("second post", again[0])
"""
    create_custom(lam, name, {"bootstrap": script})
    r = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    out = json.loads(r["Payload"].read())
    assert out == {"bogus": 400, "deadline": True, "arn": out["arn"], "trace": True}
    assert out["arn"].endswith(f":function:{name}")
    r = lam.invoke(FunctionName=name, Payload=b'{"fail": true}')
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read()) == {
        "errorMessage": "custom failure",
        "errorType": "MyCustomError",
    }


def test_init_error_and_missing_bootstrap(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("initerr")
    script = f"""#!{sys.executable}
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
body = json.dumps({{"errorMessage": "cannot start", "errorType": "InitBroken"}}).encode()
req = urllib.request.Request(api + "/init/error", data=body, method="POST",
                             headers={{"Lambda-Runtime-Function-Error-Type": "InitBroken"}})
urllib.request.urlopen(req).read()
raise SystemExit(1)
"""
    create_custom(lam, name, {"bootstrap": script})
    r = lam.invoke(FunctionName=name, Payload=b"{}")
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "InitBroken"

    name = uniq("noboot")
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="x.y",
        Code={"ZipFile": zip_bytes({"other.txt": "x"})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    r = lam.invoke(FunctionName=name, Payload=b"{}")
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "Runtime.InvalidEntrypoint"
