"""The runtime-owned AWS SDK for JavaScript v3, used by Node functions as on Lambda: boto3 makes
the functions and reads what they sent; the functions use @aws-sdk/client-sqs against the server.

The SDK comes from `python -m ovis.runtimes.node.install` (the Makefile runs it); without npm
there is nothing to test. HOME is not set, as on Lambda: the SDK asks os.homedir() for its
config files, which the instance uid's passwd entry answers (before it, every invoke failed
with `uv_os_homedir returned ENOENT`).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ovis.runtimes.node.installs import sdk_modules
from tests.conftest import ROLE, ServerProcess, zip_bytes
from tests.integration.test_node_runtime import RUNTIME as HOST_RUNTIME
from tests.integration.test_node_runtime import invoke, result, uniq

SDK = sdk_modules()
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or (SDK is None and shutil.which("npm") is None),
    reason="no node, or no npm to install the SDK with",
)
ENV: dict[str, dict[str, str]] = {"Variables": {}}

SEND_CJS = """
const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const sqs = new SQSClient({});
exports.handler = async (event) => {
  const out = await sqs.send(new SendMessageCommand({ QueueUrl: event.queue, MessageBody: event.body }));
  return { id: out.MessageId, from: require.resolve('@aws-sdk/client-sqs'), version: process.version };
};
"""

SEND_ESM = """
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (event) => {
  const out = await sqs.send(new SendMessageCommand({ QueueUrl: event.queue, MessageBody: event.body }));
  return { id: out.MessageId, from: import.meta.resolve('@aws-sdk/client-sqs'), version: process.version };
};
"""


def node_runtimes() -> list[str]:
    """The nodejs runtimes this server offers (the host's node, the runtime-owned Node 22)."""
    return [HOST_RUNTIME, "nodejs22.x"] if HOST_RUNTIME != "nodejs22.x" else [HOST_RUNTIME]


@pytest.fixture(scope="module")
def sdk() -> Path:
    if SDK is None:
        pytest.fail("the Node SDK is not installed: run python -m ovis.runtimes.node.install")
    return SDK


@pytest.fixture(scope="module")
def sqs(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("sqs")


@pytest.fixture
def queue(sqs) -> Iterator[str]:  # type: ignore[no-untyped-def]
    url = str(sqs.create_queue(QueueName=f"node-sdk-{uuid.uuid4().hex[:10]}")["QueueUrl"])
    yield url
    sqs.delete_queue(QueueUrl=url)


def create(lam, name: str, files: dict[str, str | bytes], runtime: str, handler: str) -> None:  # type: ignore[no-untyped-def]
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_bytes(files)},
        Environment=ENV,
        Timeout=30,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


def received(sqs, queue: str) -> list[str]:  # type: ignore[no-untyped-def]
    resp = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [m["Body"] for m in resp.get("Messages", [])]


def closure(sdk: Path, package: str) -> dict[str, str | bytes]:
    """``package`` and everything it depends on, as zip entries under node_modules/: what a
    function that bundles its own copy of the SDK ships."""
    files: dict[str, str | bytes] = {}
    todo, seen = [package], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        root = sdk / name
        for path in root.rglob("*"):
            if path.is_file():
                files[f"node_modules/{path.relative_to(sdk)}"] = path.read_bytes()
        deps = json.loads((root / "package.json").read_text()).get("dependencies", {})
        todo.extend(deps)
    return files


STYLES = {
    "commonjs": {"index.js": SEND_CJS},
    "esm": {"index.mjs": SEND_ESM},
    # The SDK is imported by a module the handler imports, not by the handler's own file.
    "esm-nested": {
        "index.mjs": "export { handler } from './lib/send.mjs';\n",
        "lib/send.mjs": SEND_ESM,
    },
}


@pytest.mark.parametrize("style", list(STYLES))
def test_the_runtime_sdk_sends_to_the_servers_queue(lam, sqs, queue, sdk, style) -> None:  # type: ignore[no-untyped-def]
    files = STYLES[style]
    for runtime in node_runtimes():
        name = uniq(f"sdk-{style}")
        create(lam, name, files, runtime, "index.handler")
        body = f"{style} from {runtime}"
        out = result(invoke(lam, name, {"queue": queue, "body": body}))
        major = runtime.removeprefix("nodejs").removesuffix(".x")
        assert out["version"].startswith(f"v{major}.")
        assert out["id"]
        # The runtime's own copy, not one the function brought.
        assert str(sdk / "@aws-sdk" / "client-sqs") in out["from"]
        assert received(sqs, queue) == [body]


def test_a_bundled_sdk_wins_over_the_runtimes(lam, sqs, queue, sdk) -> None:  # type: ignore[no-untyped-def]
    files = {**closure(sdk, "@aws-sdk/client-sqs"), "index.js": SEND_CJS, "app.mjs": SEND_ESM}
    name = uniq("sdk-bundled")
    create(lam, name, files, "nodejs22.x", "index.handler")
    out = result(invoke(lam, name, {"queue": queue, "body": "bundled cjs"}))
    assert out["from"].startswith("/var/task/node_modules/@aws-sdk/client-sqs/")
    assert received(sqs, queue) == ["bundled cjs"]
    lam.update_function_configuration(FunctionName=name, Handler="app.handler")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    out = result(invoke(lam, name, {"queue": queue, "body": "bundled esm"}))
    assert out["from"].startswith("file:///var/task/node_modules/@aws-sdk/client-sqs/")
    assert received(sqs, queue) == ["bundled esm"]


def test_a_module_neither_bundled_nor_in_the_runtime_fails_as_on_lambda(lam, sdk) -> None:  # type: ignore[no-untyped-def]
    name = uniq("sdk-missing")
    code = "const x = require('@aws-sdk/client-not-a-service');\nexports.handler = async () => 1;\n"
    create(lam, name, {"index.js": code}, "nodejs22.x", "index.handler")
    resp = invoke(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    err = json.loads(resp["Body"])
    assert err["errorType"] == "Runtime.ImportModuleError"
    assert "Cannot find module '@aws-sdk/client-not-a-service'" in err["errorMessage"]
    # ES modules: Node's own error, as Lambda reports it (errorType Error).
    name = uniq("sdk-missing-esm")
    code = "import x from '@aws-sdk/client-not-a-service';\nexport const handler = async () => 1;\n"
    create(lam, name, {"index.mjs": code}, "nodejs22.x", "index.handler")
    err = json.loads(invoke(lam, name)["Body"])
    assert "Cannot find package '@aws-sdk/client-not-a-service'" in err["errorMessage"]


def test_without_the_sdk_on_node_path_functions_run_and_sdk_imports_fail(lam, sdk) -> None:  # type: ignore[no-untyped-def]
    """A function's own NODE_PATH replaces the runtime's (as on Lambda): no SDK folder to search,
    as on a server without the SDK installed."""
    env = {"Variables": {"NODE_PATH": "/nowhere/node_modules"}}
    for runtime in node_runtimes():
        plain, uses_sdk = uniq("nosdk-plain"), uniq("nosdk-sdk")
        for name, code in (
            (plain, "export const handler = async () => ({ ok: process.version });\n"),
            (uses_sdk, SEND_ESM),
        ):
            lam.create_function(
                FunctionName=name,
                Runtime=runtime,
                Role=ROLE,
                Handler="index.handler",
                Code={"ZipFile": zip_bytes({"index.mjs": code})},
                Environment=env,
            )
            lam.get_waiter("function_active_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 0.05}
            )
        assert result(invoke(lam, plain))["ok"].startswith("v")
        err = json.loads(invoke(lam, uses_sdk)["Body"])
        assert "Cannot find package '@aws-sdk/client-sqs'" in err["errorMessage"]
