"""The managed Node.js runtime (nodejsNN.x for the host's node), driven with boto3 like a user."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import uuid

import pytest

from tests.conftest import ROLE, zip_bytes

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _runtime() -> str:
    if NODE is None:
        return "nodejs20.x"
    out = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True)
    return f"nodejs{out.stdout.strip().lstrip('v').split('.')[0]}.x"


RUNTIME = _runtime()


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(lam, name: str, files: dict[str, str], handler: str = "index.handler", **kw):  # type: ignore[no-untyped-def]
    resp = lam.create_function(
        FunctionName=name,
        Runtime=kw.pop("Runtime", RUNTIME),
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_bytes(files)},
        **kw,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    return resp


def invoke(lam, name: str, payload: object = None, **kw):  # type: ignore[no-untyped-def]
    body = json.dumps(payload if payload is not None else {}).encode()
    resp = lam.invoke(FunctionName=name, Payload=body, **kw)
    resp["Body"] = resp["Payload"].read()
    return resp


def tail(resp) -> str:  # type: ignore[no-untyped-def]
    return base64.b64decode(resp["LogResult"]).decode()


def result(resp):  # type: ignore[no-untyped-def]
    assert "FunctionError" not in resp, resp["Body"]
    return json.loads(resp["Body"])


def test_commonjs_async_handler_and_warm_state(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("cjs")
    code = """
let count = 0;
const started = Date.now();
exports.handler = async (event) => {
  count += 1;
  return { event, count, started, pid: process.pid, env: {
    NODE_PATH: process.env.NODE_PATH, AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV,
    MY_VAR: process.env.MY_VAR, LAMBDA_TASK_ROOT: process.env.LAMBDA_TASK_ROOT,
    _HANDLER: process.env._HANDLER }, cwd: process.cwd(), version: process.version };
};
"""
    create(lam, name, {"index.js": code}, Environment={"Variables": {"MY_VAR": "v"}})
    r1 = result(invoke(lam, name, {"k": [1, 2]}))
    assert r1["event"] == {"k": [1, 2]}
    assert r1["count"] == 1
    env = r1["env"]
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{RUNTIME}"
    major = RUNTIME.removeprefix("nodejs").removesuffix(".x")
    assert env["NODE_PATH"].split(":")[:3] == [
        f"/opt/nodejs/node{major}/node_modules",
        "/opt/nodejs/node_modules",
        "/var/runtime/node_modules",
    ]
    assert env["MY_VAR"] == "v"
    assert env["_HANDLER"] == "index.handler"
    assert env["LAMBDA_TASK_ROOT"] == r1["cwd"]
    assert r1["version"].startswith(f"v{major}.")
    # Warm: the module's state is kept between invocations of one instance.
    r2 = result(invoke(lam, name))
    assert r2["count"] == 2
    assert r2["started"] == r1["started"] and r2["pid"] == r1["pid"]


def test_esm_mjs_handler(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("mjs")
    files = {
        "app.mjs": (
            "import { helper } from './lib/helper.mjs';\n"
            "const boot = await Promise.resolve('tla');\n"
            "export const handler = async (event) => ({ esm: helper(event.x), boot });\n"
        ),
        "lib/helper.mjs": "export const helper = (x) => x * 2;\n",
    }
    create(lam, name, files, handler="app.handler")
    assert result(invoke(lam, name, {"x": 21})) == {"esm": 42, "boot": "tla"}


def test_type_module_package_nested_handler(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("typemod")
    files = {
        "package.json": json.dumps({"name": "fn", "type": "module"}),
        "src/app.js": (
            "import { value } from './util.js';\n"
            "export const api = { handler: async () => ({ value, meta: typeof import.meta.url }) };\n"
            "export async function handler(e) { return { value, plain: true }; }\n"
        ),
        "src/util.js": "export const value = 'from-esm';\n",
    }
    create(lam, name, files, handler="src/app.handler")
    assert result(invoke(lam, name)) == {"value": "from-esm", "plain": True}
    # A nested export path: "module.path.to.fn".
    name2 = uniq("typemod-nested")
    create(lam, name2, files, handler="src/app.api.handler")
    assert result(invoke(lam, name2)) == {"value": "from-esm", "meta": "string"}


def test_cjs_extension_and_folder_require(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("cjsext")
    files = {
        "handler.cjs": (
            "const lib = require('./lib');\n"
            "exports.run = async () => lib.name + ':' + require('./package.json').name;\n"
        ),
        "lib/index.js": "module.exports = { name: 'lib' };\n",
        "package.json": json.dumps({"name": "pkg-name"}),
    }
    create(lam, name, files, handler="handler.run")
    assert result(invoke(lam, name)) == "lib:pkg-name"


CALLBACK_CODE = """
exports.handler = (event, context, callback) => {
  if (event.mode === 'error') return callback(new TypeError('cb failed'));
  if (event.mode === 'succeed') return context.succeed({ via: 'succeed' });
  if (event.mode === 'fail') return context.fail('failed-string');
  if (event.mode === 'nowait') {
    context.callbackWaitsForEmptyEventLoop = false;
    setTimeout(() => console.log('late timer'), 60000);
    return callback(null, { via: 'nowait' });
  }
  if (event.mode === 'sync-return') return 'ignored';
  let timerRan = false;
  setTimeout(() => { timerRan = true; console.log('timer ran'); }, 50);
  callback(null, { via: 'callback', waits: context.callbackWaitsForEmptyEventLoop });
  callback(null, 'second call is ignored');
  setTimeout(() => console.log('after callback, timer was', timerRan), 100);
};
"""


def test_callback_handler(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("callback")
    create(lam, name, {"index.js": CALLBACK_CODE})
    r = invoke(lam, name, {}, LogType="Tail")
    assert result(r) == {"via": "callback", "waits": True}
    # The response waited for the event loop to be empty: both timers ran before END.
    text = tail(r)
    assert "timer ran" in text and "after callback, timer was true" in text
    assert text.index("after callback") < text.index("END RequestId")
    err = json.loads(invoke(lam, name, {"mode": "error"})["Body"])
    assert err["errorType"] == "TypeError" and err["errorMessage"] == "cb failed"
    assert result(invoke(lam, name, {"mode": "succeed"})) == {"via": "succeed"}
    r = invoke(lam, name, {"mode": "fail"})
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Body"]) == {
        "errorType": "string",
        "errorMessage": "failed-string",
        "trace": [],
    }
    # A non-async handler that returns without calling back answers null once the loop is empty.
    assert result(invoke(lam, name, {"mode": "sync-return"})) is None
    t0 = time.monotonic()
    assert result(invoke(lam, name, {"mode": "nowait"})) == {"via": "nowait"}
    assert time.monotonic() - t0 < 10


def test_context_fields(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("ctx")
    code = """
exports.handler = async (event, context) => ({
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  awsRequestId: context.awsRequestId,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  waits: context.callbackWaitsForEmptyEventLoop,
  clientContext: context.clientContext,
  identity: context.identity === undefined ? 'undefined' : context.identity,
  legacy: [typeof context.succeed, typeof context.fail, typeof context.done],
  trace: process.env._X_AMZN_TRACE_ID,
  streamEnv: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
});
"""
    create(lam, name, {"index.js": code}, MemorySize=256, Timeout=7)
    cc = base64.b64encode(json.dumps({"custom": {"a": 1}}).encode()).decode()
    r = invoke(lam, name, ClientContext=cc)
    out = result(r)
    assert out["awsRequestId"] == r["ResponseMetadata"]["RequestId"]
    assert out["functionName"] == name
    assert out["functionVersion"] == "$LATEST"
    assert out["invokedFunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert out["memoryLimitInMB"] == "256"
    assert out["logGroupName"] == f"/aws/lambda/{name}"
    assert "[$LATEST]" in out["logStreamName"] and out["logStreamName"] == out["streamEnv"]
    assert 0 < out["remaining"] <= 7000
    assert out["waits"] is True
    assert out["clientContext"] == {"custom": {"a": 1}}
    assert out["identity"] == "undefined"
    assert out["legacy"] == ["function", "function", "function"]
    assert out["trace"].startswith("Root=")


def test_console_logging_in_tail(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("logs")
    code = """
console.log('init-line');
exports.handler = async (event) => {
  console.log('hello %s', 'world', { n: 1 });
  console.info('info-line');
  console.warn('warn-line');
  console.error('error-line');
  console.debug('debug-line');
  console.log('multi\\nline');
  process.stdout.write('raw-stdout\\n');
  return 1;
};
"""
    create(lam, name, {"index.js": code}, MemorySize=512)
    r = invoke(lam, name, LogType="Tail")
    rid = r["ResponseMetadata"]["RequestId"]
    lines = tail(r).rstrip("\n").split("\n")
    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"

    def line(level: str, message: str) -> str:
        found = [ln for ln in lines if ln.endswith(f"\t{rid}\t{level}\t{message}")]
        assert found, (level, message, lines)
        assert __import__("re").match(iso + "\t", found[0])
        return found[0]

    assert any(ln.endswith("\tundefined\tINFO\tinit-line") for ln in lines)  # init: no request
    line("INFO", "hello world { n: 1 }")
    line("INFO", "info-line")
    line("WARN", "warn-line")
    line("ERROR", "error-line")
    line("DEBUG", "debug-line")
    line("INFO", "multi\rline")
    assert "raw-stdout" in lines
    start = lines.index(f"START RequestId: {rid} Version: $LATEST")
    end = lines.index(f"END RequestId: {rid}")
    assert start < lines.index(line("INFO", "info-line")) < end
    report = lines[-1]
    assert report.startswith(f"REPORT RequestId: {rid}\tDuration: ")
    assert "Memory Size: 512 MB" in report and "Init Duration:" in report
    warm = tail(invoke(lam, name, LogType="Tail"))
    assert "init-line" not in warm and "Init Duration" not in warm


def test_json_log_format(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("jsonlog")
    code = "exports.handler = async () => { console.warn('w', 1); console.debug('hidden'); };\n"
    create(
        lam,
        name,
        {"index.js": code},
        Environment={
            "Variables": {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
        },
    )
    r = invoke(lam, name, LogType="Tail")
    rid = r["ResponseMetadata"]["RequestId"]
    records = [json.loads(ln) for ln in tail(r).splitlines() if ln.startswith("{")]
    assert [(x["level"], x["message"], x["requestId"]) for x in records] == [("WARN", "w 1", rid)]


def test_thrown_error_shape(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("err")
    code = """
class ValidationError extends Error {
  constructor(message) { super(message); this.name = 'ValidationError'; this.code = 42; }
}
exports.handler = async (event) => {
  if (event.kind === 'custom') throw new ValidationError('bad input');
  if (event.kind === 'string') throw 'plain string';
  if (event.kind === 'object') throw { some: 'object' };
  if (event.kind === 'circular') { const a = {}; a.self = a; return a; }
  if (event.kind === 'bigint') return { n: 10n };
  throw new Error('it broke');
};
"""
    create(lam, name, {"index.js": code})
    r = invoke(lam, name, LogType="Tail")
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    err = json.loads(r["Body"])
    assert set(err) == {"errorType", "errorMessage", "trace"}
    assert err["errorType"] == "Error" and err["errorMessage"] == "it broke"
    assert err["trace"][0] == "Error: it broke"
    assert any("/index.js:" in ln for ln in err["trace"][1:])
    rid = r["ResponseMetadata"]["RequestId"]
    logged = [ln for ln in tail(r).splitlines() if f"\t{rid}\tERROR\tInvoke Error \t" in ln]
    assert logged, tail(r)
    record = json.loads(logged[0].split("Invoke Error \t", 1)[1])
    assert record["errorType"] == "Error" and record["errorMessage"] == "it broke"
    assert record["stack"][0] == "Error: it broke"

    err = json.loads(invoke(lam, name, {"kind": "custom"})["Body"])
    assert err["errorType"] == "ValidationError" and err["errorMessage"] == "bad input"
    assert json.loads(invoke(lam, name, {"kind": "string"})["Body"]) == {
        "errorType": "string",
        "errorMessage": "plain string",
        "trace": [],
    }
    assert json.loads(invoke(lam, name, {"kind": "object"})["Body"]) == {
        "errorType": "object",
        "errorMessage": "[object Object]",
        "trace": [],
    }
    for kind in ("circular", "bigint"):
        r = invoke(lam, name, {"kind": kind})
        assert r["FunctionError"] == "Unhandled"
        err = json.loads(r["Body"])
        assert err["errorType"] == "Error"
        assert err["errorMessage"] == "Unable to stringify response body"
    # Handled errors keep the instance: the next invocation is warm.
    assert "Init Duration" not in tail(invoke(lam, name, LogType="Tail"))


@pytest.mark.parametrize(
    ("handler", "files", "etype", "message"),
    [
        (
            "index.handler",
            {"other.js": "exports.handler = async () => 1;\n"},
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'index'\nRequire stack:\n- /var/runtime/index.mjs",
        ),
        (
            "index.handler",
            {"index.js": "const x = require('left-pad-nowhere');\nexports.handler = () => x;\n"},
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'left-pad-nowhere'",
        ),
        (
            "index.nothere",
            {"index.js": "exports.handler = async () => 1;\n"},
            "Runtime.HandlerNotFound",
            "index.nothere is undefined or not exported",
        ),
        (
            "index.value",
            {"index.js": "exports.value = 5;\n"},
            "Runtime.HandlerNotFound",
            "index.value is not a function",
        ),
        (
            "index.handler",
            {"index.js": "exports.handler = async () => {\n  return (1;\n};\n"},
            "Runtime.UserCodeSyntaxError",
            "SyntaxError: ",
        ),
        (
            "app.handler",
            {"app.mjs": "export const handler = async () => { return 1 +; };\n"},
            "Runtime.UserCodeSyntaxError",
            "SyntaxError: ",
        ),
        ("indexhandler", {"index.js": ""}, "Runtime.MalformedHandlerName", "Bad handler"),
        (
            "index.handler",
            {"index.js": "throw new RangeError('bad config');\n"},
            "RangeError",
            "bad config",
        ),
    ],
)
def test_init_errors(lam, handler, files, etype, message) -> None:  # type: ignore[no-untyped-def]
    name = uniq("init")
    create(lam, name, files, handler=handler)
    r = invoke(lam, name, LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Body"])
    assert err["errorType"] == etype
    assert err["errorMessage"].startswith(message), err
    assert err["trace"][0].startswith(f"{etype}: ")
    text = tail(r)
    assert "\tundefined\tERROR\tUncaught Exception \t" in text
    # Every invocation retries init, and fails the same way.
    assert json.loads(invoke(lam, name)["Body"])["errorType"] == etype


def test_timeout(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("slow")
    code = """
exports.handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  return 'done';
};
"""
    create(lam, name, {"index.js": code}, Timeout=1)
    t0 = time.monotonic()
    r = invoke(lam, name, {"sleep": 10000}, LogType="Tail")
    assert time.monotonic() - t0 < 5
    assert r["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in json.loads(r["Body"])["errorMessage"]
    assert "Task timed out after 1.00 seconds" in tail(r) and "Status: timeout" in tail(r)
    r2 = invoke(lam, name, LogType="Tail")
    assert result(r2) == "done" and "Init Duration" in tail(r2)


def test_process_exit_is_runtime_exit_error(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("exit")
    code = "exports.handler = async (e) => { if (e.die) process.exit(2); return 'alive'; };\n"
    create(lam, name, {"index.js": code})
    r = invoke(lam, name, {"die": True}, LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Body"])
    assert err["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 2" in err["errorMessage"]
    assert "Runtime.ExitError" in tail(r)
    assert result(invoke(lam, name)) == "alive"


def test_uncaught_exception_fails_invocation_and_restarts(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("uncaught")
    code = """
exports.handler = (event, context, callback) => {
  if (event.boom) setTimeout(() => { throw new Error('from a timer'); }, 10);
  else if (event.reject) { Promise.reject(new Error('nobody catches me')); }
  else callback(null, 'fine');
};
"""
    create(lam, name, {"index.js": code})
    err = json.loads(invoke(lam, name, {"boom": True})["Body"])
    assert err["errorType"] == "Error" and err["errorMessage"] == "from a timer"
    err = json.loads(invoke(lam, name, {"reject": True})["Body"])
    assert err["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert err["errorMessage"] == "Error: nobody catches me"
    r = invoke(lam, name, LogType="Tail")
    assert result(r) == "fine" and "Init Duration" in tail(r)  # the runtime process restarted


def test_async_handler_never_settles(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("nodejsexit")
    create(lam, name, {"index.js": "exports.handler = async () => new Promise(() => {});\n"})
    err = json.loads(invoke(lam, name)["Body"])
    assert err["errorType"] == "Runtime.NodeJsExit"


def test_module_from_layer(lam) -> None:  # type: ignore[no-untyped-def]
    layer = lam.publish_layer_version(
        LayerName=uniq("nodelib"),
        Content={
            "ZipFile": zip_bytes(
                {
                    "nodejs/node_modules/greeter/package.json": json.dumps(
                        {"name": "greeter", "main": "lib.js"}
                    ),
                    "nodejs/node_modules/greeter/lib.js": (
                        "exports.greet = (n) => 'hello ' + n + ' from a layer';\n"
                    ),
                }
            )
        },
        CompatibleRuntimes=[RUNTIME],
    )
    name = uniq("layered")
    code = "const { greet } = require('greeter');\nexports.handler = async (e) => greet(e.n);\n"
    create(lam, name, {"index.js": code}, Layers=[layer["LayerVersionArn"]])
    assert result(invoke(lam, name, {"n": "ovis"})) == "hello ovis from a layer"


def test_streamified_handler_buffered(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("stream")
    code = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  if (event.http) {
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201, headers: { 'x-a': 'b' } });
  }
  responseStream.write('part1,');
  await new Promise((r) => setTimeout(r, 20));
  responseStream.write(Buffer.from('part2,'));
  responseStream.end('end:' + context.awsRequestId.length);
});
"""
    create(lam, name, {"index.js": code})
    r = invoke(lam, name)
    assert "FunctionError" not in r
    assert r["Body"] == b"part1,part2,end:36"
    r = invoke(lam, name, {"http": True})
    prelude, body = r["Body"].split(b"\x00" * 8, 1)
    assert json.loads(prelude) == {"statusCode": 201, "headers": {"x-a": "b"}}
    assert body == b"part1,part2,end:36"


def test_event_invoke_runs(server, lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("event")
    create(
        lam,
        name,
        {"index.js": "exports.handler = async (e) => { console.log('async-' + e.v); };\n"},
    )
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"v": "ran"}')
    assert r["StatusCode"] == 202
    rid = r["ResponseMetadata"]["RequestId"]
    logs = server.client("logs")
    deadline = time.monotonic() + 20
    found = False
    while time.monotonic() < deadline and not found:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        messages = [e["message"] for e in events]
        found = f"END RequestId: {rid}" in messages and any(
            m.endswith(f"\t{rid}\tINFO\tasync-ran") for m in messages
        )
        time.sleep(0.1)
    assert found


def test_unsupported_nodejs_runtime(lam) -> None:  # type: ignore[no-untyped-def]
    other = "nodejs18.x" if RUNTIME != "nodejs18.x" else "nodejs22.x"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(
            FunctionName=uniq("old"),
            Runtime=other,
            Role=ROLE,
            Handler="index.handler",
            Code={"ZipFile": zip_bytes({"index.js": ""})},
        )
    assert other in str(e.value)


def test_scaling_out_finds_a_proactively_initialized_instance(lam) -> None:  # type: ignore[no-untyped-def]
    """Node cold starts are slow: once a function scales out, a spare instance is initialized
    ahead of demand, so the next overlapping invocation skips the cold start."""
    import base64
    import threading

    name = uniq("spare")
    code = "exports.handler = async (e) => { await new Promise(r => setTimeout(r, e.ms || 0)); return 1; };\n"
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": zip_bytes({"index.js": code})},
        Timeout=30,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})

    def cold(ms: int) -> bool:
        r = lam.invoke(FunctionName=name, Payload=json.dumps({"ms": ms}).encode(), LogType="Tail")
        return "Init Duration" in base64.b64decode(r["LogResult"]).decode()

    results: dict[str, bool] = {}
    first = threading.Thread(target=lambda: results.__setitem__("a", cold(4000)))
    first.start()
    time.sleep(1.0)  # the first instance is busy now
    assert cold(0)  # scaling out: a cold start, and a spare starts initializing behind it
    second = threading.Thread(target=lambda: results.__setitem__("b", cold(3000)))
    second.start()  # takes the warm instance of the previous call
    time.sleep(1.0)  # the spare has had time to initialize
    assert not cold(0)  # the third overlapping invocation: no cold start
    first.join()
    second.join()


@pytest.mark.parametrize("runtime", ["nodejs20.x", "nodejs22.x"])
def test_each_node_runtime_runs_its_own_node(lam, runtime) -> None:  # type: ignore[no-untyped-def]
    """nodejs20.x on the host's Node 20, nodejs22.x on the Node 22 the project installs from the
    npm registry (python -m ovis.runtimes.node.install)."""
    if runtime == "nodejs20.x" and RUNTIME != "nodejs20.x":
        pytest.skip("the host's node is not Node 20")
    name = uniq("version")
    code = "exports.handler = async () => ({ version: process.version, exe: process.execPath });\n"
    create(lam, name, {"index.js": code}, Runtime=runtime)
    out = result(invoke(lam, name))
    major = runtime.removeprefix("nodejs").removesuffix(".x")
    assert out["version"].startswith(f"v{major}.")
    if runtime == "nodejs22.x" and runtime != RUNTIME:
        assert "/share/ovis/node/node22/" in out["exe"]


def test_a_runtime_this_host_cannot_run_is_refused_clearly(lam) -> None:  # type: ignore[no-untyped-def]
    """No registry this project reaches serves a CPython 3.13 (see the README)."""
    from botocore.exceptions import ClientError

    from ovis.runtimes.registry import host_runtimes

    if "python3.13" in host_runtimes(["python3.13"]):
        pytest.skip("this host runs python3.13")

    with pytest.raises(ClientError) as exc:
        create(
            lam,
            uniq("py313"),
            {"app.py": "def handler(e, c): return 1\n"},
            "app.handler",
            Runtime="python3.13",
        )
    err = exc.value.response["Error"]
    assert err["Code"] == "InvalidParameterValueException"
    assert "The runtime parameter of python3.13 is not supported by this server" in err["Message"]
    assert "nodejs22.x" in err["Message"]  # the list of what this host supports
