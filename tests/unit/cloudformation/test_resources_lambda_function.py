"""AWS::Lambda::Function provider, in process against a real server."""

from __future__ import annotations

import http.server
import io
import json
import queue
import threading
import zipfile
from pathlib import Path

import pytest

from ovis.errors import ResourceNotFoundException
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.lambda_harness import (
    ACCOUNT,
    REGION,
    Env,
    function_props,
    request,
    run,
)

T = "AWS::Lambda::Function"


def test_create_inline_python_function_invokes_and_has_attributes(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        props = function_props(
            FunctionName="cfn-fn",
            Timeout="7",
            MemorySize=256,
            Environment={"Variables": {"AA": "1", "BB": 2}},
            Tags=[{"Key": "team", "Value": "ovis"}],
            ReservedConcurrentExecutions="3",
            RecursiveLoop="Allow",
        )
        res = await env.provider(T).create(request(T, "Fn", props))
        assert res.physical_id == "cfn-fn"
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:cfn-fn"
        assert res.attributes["Arn"] == arn
        assert res.attributes["SnapStartResponse.ApplyOn"] == "None"
        assert res.attributes["SnapStartResponse.OptimizationStatus"] == "Off"
        got = await env.call("GetFunction", FunctionName="cfn-fn")
        cfg = got["Configuration"]
        assert cfg["State"] == "Active"
        assert cfg["Timeout"] == 7 and cfg["MemorySize"] == 256
        assert cfg["Environment"]["Variables"] == {"AA": "1", "BB": "2"}
        assert got["Tags"]["team"] == "ovis"
        assert got["Tags"]["aws:cloudformation:logical-id"] == "Fn"
        assert got["Tags"]["aws:cloudformation:stack-name"] == "teststack"
        assert got["Concurrency"] == {"ReservedConcurrentExecutions": 3}
        rec = await env.call("GetFunctionRecursionConfig", FunctionName="cfn-fn")
        assert rec["RecursiveLoop"] == "Allow"
        out = await env.call("Invoke", FunctionName="cfn-fn", Payload=b'{"x": 1}')
        assert json.loads(out["Payload"]) == {"echo": {"x": 1}, "v": 1}

    run(tmp_path, scenario)


def test_generated_name_and_delete_is_idempotent(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        p = env.provider(T)
        req = request(T, "MyFunction", function_props())
        res = await p.create(req)
        assert res.physical_id == "teststack-MyFunction-ABCDEF123456"
        await p.delete(request(T, "MyFunction", {}, physical_id=res.physical_id))
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetFunction", FunctionName=res.physical_id)
        await p.delete(request(T, "MyFunction", {}, physical_id=res.physical_id))  # gone: ok

    run(tmp_path, scenario)


def test_delete_without_physical_id_deletes_the_deterministic_name(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        p = env.provider(T)
        res = await p.create(request(T, "Fn", function_props()))
        await p.delete(request(T, "Fn", function_props()))  # a create that never answered
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetFunction", FunctionName=res.physical_id)

    run(tmp_path, scenario)


def test_cfnresponse_helper_is_packaged_only_when_referenced(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        p = env.provider(T)
        src = "import cfnresponse\ndef handler(e, c):\n    return cfnresponse.SUCCESS\n"
        await p.create(request(T, "A", function_props(FunctionName="a", Code={"ZipFile": src})))
        await p.create(request(T, "B", function_props(FunctionName="b")))
        out = await env.call("Invoke", FunctionName="a", Payload=b"{}")
        assert json.loads(out["Payload"]) == "SUCCESS"
        names = {}
        for fn in ("a", "b"):
            got = await env.call("GetFunction", FunctionName=fn)
            digest = got["Code"]["Location"]
            names[fn] = digest
        cfg_a = await env.call("GetFunctionConfiguration", FunctionName="a")
        cfg_b = await env.call("GetFunctionConfiguration", FunctionName="b")
        assert cfg_a["CodeSha256"] != cfg_b["CodeSha256"]

    run(tmp_path, scenario)


def test_inline_package_layout() -> None:
    from ovis.services.cloudformation.resources.lambda_inline import inline_package

    z = zipfile.ZipFile(io.BytesIO(inline_package("require('cfn-response')", "nodejs20.x")))
    assert sorted(z.namelist()) == ["index.js", "node_modules/cfn-response/index.js"]
    z = zipfile.ZipFile(io.BytesIO(inline_package("x = 1", "python3.12")))
    assert z.namelist() == ["index.py"]
    assert inline_package("x = 1", "python3.12") == inline_package("x = 1", "python3.12")
    with pytest.raises(ResourceFailed, match="ZipFile can only be used"):
        inline_package("x", "java21")


REFUSED = [
    ({"Bogus": 1}, "Encountered unsupported property Bogus"),
    ({"FileSystemConfigs": [{"Arn": "a", "LocalMountPath": "/mnt/x"}]}, "no EFS"),
    ({"VpcConfig": {"SubnetIds": ["subnet-1"]}}, "not in a VPC"),
    ({"CodeSigningConfigArn": "arn:aws:lambda:us-east-1:0:code-signing-config:x"}, "signing"),
    ({"RuntimeManagementConfig": {"UpdateRuntimeOn": "Manual"}}, "Manual"),
    ({"Timeout": "soon"}, "Timeout: expected type: Integer"),
    ({"Code": {"ZipFile": "x", "S3Bucket": "b", "S3Key": "k"}}, "ZipFile cannot be combined"),
    ({"Environment": {"Variables": {"AA": "1"}, "Other": 1}}, "unsupported property Other"),
    ({"RecursiveLoop": "Sometimes"}, "RecursiveLoop"),
]


def test_refused_properties_make_nothing(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        for extra, match in REFUSED:
            with pytest.raises(ResourceFailed, match=match):
                await env.provider(T).create(
                    request(T, "Fn", function_props(FunctionName="f", **extra))
                )
        assert (await env.call("ListFunctions"))["Functions"] == []

    run(tmp_path, scenario)


def test_failed_follow_up_call_deletes_the_function(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        props = function_props(FunctionName="f", ReservedConcurrentExecutions=100000)
        with pytest.raises(Exception) as err:
            await env.provider(T).create(request(T, "Fn", props))
        assert "oncurrent" in str(err.value)
        assert (await env.call("ListFunctions"))["Functions"] == []

    run(tmp_path, scenario)


def test_empty_vpc_config_and_auto_runtime_management_are_accepted(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        props = function_props(
            FunctionName="f",
            VpcConfig={"SubnetIds": [], "SecurityGroupIds": []},
            RuntimeManagementConfig={"UpdateRuntimeOn": "Auto"},
            KmsKeyArn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abc",
            SnapStart={"ApplyOn": "None"},
        )
        await env.provider(T).create(request(T, "Fn", props))
        cfg = await env.call("GetFunctionConfiguration", FunctionName="f")
        assert cfg["KMSKeyArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abc"

    run(tmp_path, scenario)


def test_update_code_configuration_tags_and_concurrency(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        p = env.provider(T)
        old = function_props(
            FunctionName="u",
            Description="one",
            Timeout=5,
            Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "1"}],
            ReservedConcurrentExecutions=2,
            Environment={"Variables": {"XX": "1"}},
        )
        res = await p.create(request(T, "Fn", old))
        new_src = "def handler(event, context):\n    return 'v2'\n"
        new = function_props(
            FunctionName="u",
            Code={"ZipFile": new_src},
            MemorySize=512,
            Tags=[{"Key": "a", "Value": "2"}, {"Key": "c", "Value": "3"}],
        )
        res2 = await p.update(request(T, "Fn", new, physical_id=res.physical_id, previous=old))
        assert res2.physical_id == "u" and res2.attributes["Arn"] == res.attributes["Arn"]
        got = await env.call("GetFunction", FunctionName="u")
        cfg = got["Configuration"]
        assert cfg["MemorySize"] == 512
        assert cfg["Timeout"] == 3  # removed from the template: Lambda's default again
        assert cfg.get("Description", "") == ""
        assert not (cfg.get("Environment") or {}).get("Variables")
        tags = {k: v for k, v in got["Tags"].items() if not k.startswith("aws:")}
        assert tags == {"a": "2", "c": "3"}
        assert "aws:cloudformation:logical-id" in got["Tags"]
        assert "Concurrency" not in got
        out = await env.call("Invoke", FunctionName="u", Payload=b"{}")
        assert json.loads(out["Payload"]) == "v2"

    run(tmp_path, scenario)


def test_architectures_change_is_refused_before_any_change(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        p = env.provider(T)
        old = function_props(FunctionName="f")
        await p.create(request(T, "Fn", old))
        new = function_props(FunctionName="f", Architectures=["arm64"], Timeout=9)
        with pytest.raises(ResourceFailed, match="Architectures"):
            await p.update(request(T, "Fn", new, physical_id="f", previous=old))
        cfg = await env.call("GetFunctionConfiguration", FunctionName="f")
        assert cfg["Timeout"] == 3

    run(tmp_path, scenario)


PY_CUSTOM = """import cfnresponse
def handler(event, context):
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Answer": 42}, "phys-1")
"""
JS_CUSTOM = """const response = require('cfn-response');
exports.handler = async (event, context) => {
  await response.send(event, context, response.FAILED, {Answer: 7}, 'phys-2', false, 'nope');
};
"""


def test_cfn_response_helpers_put_the_reply_to_the_response_url(tmp_path: Path) -> None:
    got: queue.Queue[tuple[str, dict]] = queue.Queue()  # type: ignore[type-arg]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.put((self.path, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def event(n: int) -> bytes:
        return json.dumps(
            {
                "RequestType": "Create",
                "ResponseURL": f"{base}/reply{n}",
                "StackId": "arn:aws:cloudformation:us-east-1:0:stack/s/1",
                "RequestId": f"req-{n}",
                "LogicalResourceId": "Custom",
                "ResourceType": "Custom::Thing",
            }
        ).encode()

    async def scenario(env: Env) -> None:
        p = env.provider(T)
        await p.create(
            request(T, "P", function_props(FunctionName="py", Code={"ZipFile": PY_CUSTOM}))
        )
        await env.call("Invoke", FunctionName="py", Payload=event(1))
        path, body = got.get(timeout=30)
        assert path == "/reply1"
        assert body["Status"] == "SUCCESS" and body["Data"] == {"Answer": 42}
        assert body["PhysicalResourceId"] == "phys-1" and body["RequestId"] == "req-1"
        assert body["LogicalResourceId"] == "Custom"
        node = [r for r in env.server.runtimes if r.startswith("nodejs")]
        if not node:
            return  # the host has no Node.js: the Python helper is what was checked
        js = function_props(FunctionName="js", Runtime=node[0], Code={"ZipFile": JS_CUSTOM})
        await p.create(request(T, "J", js))
        await env.call("Invoke", FunctionName="js", Payload=event(2))
        path, body = got.get(timeout=30)
        assert path == "/reply2"
        assert body["Status"] == "FAILED" and body["Reason"] == "nope"
        assert body["Data"] == {"Answer": 7} and body["PhysicalResourceId"] == "phys-2"

    try:
        run(tmp_path, scenario)
    finally:
        httpd.shutdown()
        httpd.server_close()
