"""Container-image functions end to end: build an image here (a static busybox and a shell
bootstrap that speaks the Runtime API with busybox wget), import it with `ovis image import`,
create the function with boto3 (PackageType=Image), invoke it.

Needs root (mount/pid namespaces, pivot_root) and a static busybox (`make install` brings Debian's
busybox-static as root); skipped otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ROLE, ServerProcess, start_server, zip_bytes
from tests.imagebuild import Layer, docker_save, oci_archive

pytestmark = pytest.mark.privileged

APPLETS = [
    "sh",
    "cat",
    "cut",
    "echo",
    "grep",
    "hostname",
    "id",
    "ls",
    "md5sum",
    "mkdir",
    "pwd",
    "rm",
    "sed",
    "sleep",
    "test",
    "touch",
    "tr",
    "wc",
    "wget",
]

# The whole runtime: GET /next with busybox wget (-S prints the response headers), answer with
# facts about the sandbox, POST them to /response (or /error, with the error-type header).
BOOTSTRAP = r"""#!/bin/sh
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  rm -f /tmp/event /tmp/headers
  wget -q -S -O /tmp/event "$API/invocation/next" 2>/tmp/headers || { sleep 0.1; continue; }
  RID=$(grep -i 'lambda-runtime-aws-request-id:' /tmp/headers | sed 's/^[^:]*: *//' | tr -d '\r ')
  if grep -q '"fail"' /tmp/event; then
    echo '{"errorMessage": "asked to fail", "errorType": "ShellError"}' > /tmp/response
    wget -q -O /dev/null --header 'Lambda-Runtime-Function-Error-Type: ShellError' \
      --post-file=/tmp/response "$API/invocation/$RID/error"
    continue
  fi
  if [ -e /etc/secret.txt ]; then SECRET=present; else SECRET=gone; fi
  if touch /rootfs-write 2>/dev/null; then ROOT=writable; else ROOT=read-only; fi
  if echo x > /tmp/probe && [ "$(cat /tmp/probe)" = x ]; then TMP=writable; else TMP=broken; fi
  echo "log line from $RID" >&2
  cat > /tmp/response <<EOF
{"event": $(cat /tmp/event), "args": "$*", "handler": "$_HANDLER", "greeting": "$GREETING",
 "function": "$AWS_LAMBDA_FUNCTION_NAME", "user_var": "$USER_VAR", "secret": "$SECRET",
 "data": "$(ls /data | tr '\n' ' ')", "root": "$ROOT", "tmp": "$TMP", "cwd": "$(pwd)",
 "uid": "$(id -u)", "pid": "$$", "hostname": "$(hostname)", "rid": "$RID",
 "proc": "$(grep -c . /proc/self/status)", "resolv": "$(md5sum /etc/resolv.conf | cut -c1-32)",
 "devnull": "$(echo gone > /dev/null && echo ok)", "top": "$(ls / | tr '\n' ' ')"}
EOF
  wget -q -O /dev/null --post-file=/tmp/response "$API/invocation/$RID/response"
done
"""


def static_busybox() -> str | None:
    """A statically linked busybox on this host (no PT_INTERP program header), or None."""
    for path in (shutil.which("busybox"), "/bin/busybox", "/usr/bin/busybox"):
        if not path or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit ELF only
                continue
            phoff = int.from_bytes(head[0x20:0x28], "little")
            phentsize = int.from_bytes(head[0x36:0x38], "little")
            phnum = int.from_bytes(head[0x38:0x3A], "little")
            f.seek(phoff)
            table = f.read(phentsize * phnum)
        types = {
            int.from_bytes(table[i * phentsize : i * phentsize + 4], "little") for i in range(phnum)
        }
        if 3 not in types:  # PT_INTERP: dynamically linked
            return path
    return None


BUSYBOX = static_busybox()

if os.geteuid() != 0:
    pytest.skip("container images need root (namespaces, pivot_root)", allow_module_level=True)
if BUSYBOX is None:
    pytest.skip(
        "no static busybox: `apt-get install busybox-static` (make install does it as root)",
        allow_module_level=True,
    )


def base_layer(greeting_file: str = "") -> Layer:
    assert BUSYBOX is not None
    layer = Layer().dir("bin").file("bin/busybox", Path(BUSYBOX).read_bytes(), 0o755)
    for applet in APPLETS:
        layer.symlink(f"bin/{applet}", "busybox")
    layer.dir("lambda").file("lambda/bootstrap", BOOTSTRAP, 0o755)
    layer.dir("etc").file("etc/secret.txt", "lower layer secret\n").file("etc/keep.txt", "k\n")
    layer.dir("data").file("data/old.txt", "old\n").dir("data/sub").file("data/sub/x", "x\n")
    if greeting_file:
        layer.file("greeting.txt", greeting_file)
    return layer


def upper_layer() -> Layer:
    """Deletes a file (whiteout) and replaces a directory's content (opaque)."""
    return Layer().whiteout("etc/secret.txt").dir("data").opaque("data").file("data/new.txt", "n\n")


IMAGE_CONFIG = {
    "Entrypoint": ["/lambda/bootstrap"],
    "Cmd": ["handler.main"],
    "Env": ["PATH=/bin", "GREETING=hello from the image", "USER_VAR=image value"],
    "WorkingDir": "/lambda",
}


def ovis_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ovis", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def image_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("ovis-images") / "data")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def imported(image_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The two-layer OCI archive, imported as busy:1; returns its manifest digest."""
    archive = tmp_path_factory.mktemp("img") / "busy.tar"
    digest = oci_archive(archive, [(base_layer(), "gzip"), (upper_layer(), "zstd")], **IMAGE_CONFIG)
    r = ovis_cli(
        "image",
        "import",
        str(archive),
        "--name",
        "busy:1",
        "--data-dir",
        str(image_server.data_dir),
    )
    assert r.returncode == 0, r.stderr
    assert "ImageUri: busy:1" in r.stdout and f"ImageUri: busy@{digest}" in r.stdout
    return digest


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_image_function(lam, name: str, uri: str, **kw) -> dict:  # type: ignore[no-untyped-def]
    resp = lam.create_function(
        FunctionName=name, Role=ROLE, PackageType="Image", Code={"ImageUri": uri}, Timeout=10, **kw
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    return resp  # type: ignore[no-any-return]


def invoke_json(lam, name: str, payload: dict) -> dict:  # type: ignore[no-untyped-def]
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), LogType="Tail")
    body = r["Payload"].read()
    assert "FunctionError" not in r, body
    return json.loads(body)  # type: ignore[no-any-return]


def test_image_function_runs_in_its_rootfs(image_server, imported: str) -> None:  # type: ignore[no-untyped-def]
    lam = image_server.client("lambda")
    name = uniq("img")
    resp = create_image_function(
        lam, name, "busy:1", Environment={"Variables": {"USER_VAR": "function value"}}
    )
    assert resp["PackageType"] == "Image"
    assert "Runtime" not in resp and "Handler" not in resp

    got = lam.get_function(FunctionName=name)
    assert got["Code"] == {
        "RepositoryType": "ECR",
        "ImageUri": "busy:1",
        "ResolvedImageUri": f"busy@{imported}",
    }
    conf = got["Configuration"]
    assert conf["PackageType"] == "Image" and conf["State"] == "Active"
    assert conf["CodeSha256"] == imported[7:] and conf["CodeSize"] == 0
    assert "ImageConfigResponse" not in conf

    out = invoke_json(lam, name, {"hello": "image"})
    assert out["event"] == {"hello": "image"}
    assert out["args"] == "handler.main" and out["handler"] == "handler.main"  # ENTRYPOINT + CMD
    assert out["greeting"] == "hello from the image"  # the image's Env
    assert out["user_var"] == "function value"  # function variables win over the image's
    assert out["function"] == name
    assert out["secret"] == "gone"  # whiteout in the second layer
    assert out["data"].split() == ["new.txt"]  # opaque directory: the lower content is gone
    assert out["root"] == "read-only" and out["tmp"] == "writable"
    assert out["cwd"] == "/lambda"  # WorkingDir
    assert int(out["uid"]) >= 100_000  # an unprivileged instance uid, not root
    assert out["pid"] == "1"  # its own pid namespace
    assert out["hostname"] == "ovis-instance"
    assert int(out["proc"]) > 10  # its own /proc
    assert out["devnull"] == "ok"
    assert set(out["top"].split()) == {"bin", "data", "dev", "etc", "lambda", "proc", "tmp"}
    host_resolv = Path("/etc/resolv.conf")
    if host_resolv.is_file():
        assert out["resolv"] == hashlib.md5(host_resolv.read_bytes()).hexdigest()

    # warm: the same instance answers again; errors go through /error with their type
    again = invoke_json(lam, name, {"n": 2})
    assert again["event"] == {"n": 2} and again["rid"] != out["rid"]
    r = lam.invoke(FunctionName=name, Payload=b'{"fail": true}')
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read()) == {
        "errorMessage": "asked to fail",
        "errorType": "ShellError",
    }
    logs = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")["LogResult"]
    assert b"log line from" in __import__("base64").b64decode(logs)

    # the image is pinned by digest
    pinned = uniq("pinned")
    create_image_function(lam, pinned, f"busy@{imported}")
    assert invoke_json(lam, pinned, {})["secret"] == "gone"


def test_image_config_overrides(image_server, imported: str) -> None:  # type: ignore[no-untyped-def]
    lam = image_server.client("lambda")
    name = uniq("cmd")
    resp = create_image_function(
        lam, name, "busy:1", ImageConfig={"Command": ["other.handler", "extra"]}
    )
    assert resp["ImageConfigResponse"] == {"ImageConfig": {"Command": ["other.handler", "extra"]}}
    out = invoke_json(lam, name, {})
    assert out["args"] == "other.handler extra" and out["handler"] == "other.handler"

    # EntryPoint found on the image's PATH (a bare name), another working directory
    lam.update_function_configuration(
        FunctionName=name,
        ImageConfig={
            "EntryPoint": ["sh", "/lambda/bootstrap"],
            "Command": ["third.handler"],
            "WorkingDirectory": "/data",
        },
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    conf = lam.get_function_configuration(FunctionName=name)
    assert conf["ImageConfigResponse"]["ImageConfig"]["WorkingDirectory"] == "/data"
    out = invoke_json(lam, name, {})
    assert out["args"] == "third.handler" and out["cwd"] == "/data"

    # an entrypoint that is not in the image
    bad = uniq("badentry")
    create_image_function(lam, bad, "busy:1", ImageConfig={"EntryPoint": ["/no/such/bootstrap"]})
    r = lam.invoke(FunctionName=bad, Payload=b"{}")
    assert r["FunctionError"] == "Unhandled"
    err = json.loads(r["Payload"].read())
    assert err["errorType"] == "Runtime.InvalidEntrypoint"
    assert "/no/such/bootstrap: no such file or directory" in err["errorMessage"]


def test_refusals(image_server, imported: str) -> None:  # type: ignore[no-untyped-def]
    lam = image_server.client("lambda")
    with pytest.raises(ClientError) as e:
        lam.create_function(
            FunctionName=uniq("unknown"),
            Role=ROLE,
            PackageType="Image",
            Code={"ImageUri": "nosuchimage:v9"},
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "nosuchimage:v9" in e.value.response["Error"]["Message"]
    for kw in ({"Runtime": "python3.11"}, {"Handler": "app.handler"}):
        with pytest.raises(ClientError) as e:
            lam.create_function(
                FunctionName=uniq("mixed"),
                Role=ROLE,
                PackageType="Image",
                Code={"ImageUri": "busy:1"},
                **kw,
            )
        assert "Handler or Runtime or Layer" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        lam.create_function(
            FunctionName=uniq("noimage"), Role=ROLE, PackageType="Image", Code={"ZipFile": b"x"}
        )
    assert "Please provide ImageUri" in e.value.response["Error"]["Message"]

    name = uniq("zipfn")
    lam.create_function(
        FunctionName=name,
        Role=ROLE,
        Runtime="python3.11",
        Handler="app.handler",
        Code={"ZipFile": zip_bytes({"app.py": "def handler(e, c):\n    return 1\n"})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=name, ImageUri="busy:1")
    assert "packageType Zip" in e.value.response["Error"]["Message"]

    img = uniq("imgfn")
    create_image_function(lam, img, "busy:1")
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=img, ZipFile=zip_bytes({"a": "b"}))
    assert "Please provide ImageUri" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName=img, ImageUri="busy:does-not-exist")
    assert "busy:does-not-exist" in e.value.response["Error"]["Message"]


def test_docker_save_import_and_update_code(image_server, imported: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "saved.tar"
    docker_save(
        archive,
        [base_layer(), upper_layer()],
        repo_tags=["saved/busy:2"],
        **{**IMAGE_CONFIG, "Env": ["PATH=/bin", "GREETING=hello from docker save"]},
    )
    r = ovis_cli("image", "import", str(archive), "--data-dir", str(image_server.data_dir))
    assert r.returncode == 0, r.stderr
    assert "ImageUri: saved/busy:2" in r.stdout
    listing = ovis_cli("image", "list", "--data-dir", str(image_server.data_dir))
    assert "saved/busy:2" in listing.stdout and "busy:1" in listing.stdout

    lam = image_server.client("lambda")
    name = uniq("saved")
    create_image_function(lam, name, "busy:1")
    assert invoke_json(lam, name, {})["greeting"] == "hello from the image"
    updated = lam.update_function_code(FunctionName=name, ImageUri="saved/busy:2")
    assert updated["CodeSha256"] != imported[7:]
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    out = invoke_json(lam, name, {"after": "update"})
    assert out["greeting"] == "hello from docker save"
    assert out["secret"] == "gone" and out["data"].split() == ["new.txt"]
    code = lam.get_function(FunctionName=name)["Code"]
    assert code["ImageUri"] == "saved/busy:2"
    assert code["ResolvedImageUri"].startswith("saved/busy@sha256:")

    # a published version keeps its image
    version = lam.publish_version(FunctionName=name)["Version"]
    out = invoke_json(lam, f"{name}:{version}", {})
    assert out["greeting"] == "hello from docker save"
