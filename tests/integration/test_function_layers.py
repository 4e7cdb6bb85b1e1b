"""Functions using layers: /opt contents, order, limits, deleted layer versions."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import create_python_function, zip_bytes


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def publish(lam, name: str, files: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    r = lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": zip_bytes(files)}, CompatibleRuntimes=["python3.11"]
    )
    return r["LayerVersionArn"]


CODE = """
import os
def handler(event, context):
    import shared, deep
    out = {"shared": shared.WHO, "deep": deep.WHO}
    out["file"] = open("/opt/data.txt").read() if os.path.exists("/opt/data.txt") else None
    return out
"""


def test_layers_in_order_under_opt(lam) -> None:  # type: ignore[no-untyped-def]
    first = publish(
        lam,
        uniq("base"),
        {
            "python/shared.py": "WHO = 'base'\n",
            "python/lib/python3.11/site-packages/deep.py": "WHO = 'base-deep'\n",
            "data.txt": "from-base",
        },
    )
    second = publish(
        lam,
        uniq("override"),
        {"python/shared.py": "WHO = 'override'\n", "data.txt": "from-override"},
    )
    name = uniq("withlayers")
    r = create_python_function(lam, name, CODE, Layers=[first, second])
    assert [x["Arn"] for x in r["Layers"]] == [first, second]
    assert all(x["CodeSize"] > 0 for x in r["Layers"])
    out = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert out == {"shared": "override", "deep": "base-deep", "file": "from-override"}
    # Reordering the layers reorders the overlay.
    lam.update_function_configuration(FunctionName=name, Layers=[second, first])
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    out = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert out["shared"] == "base" and out["file"] == "from-base"


def test_deleted_layer_version_keeps_working(lam) -> None:  # type: ignore[no-untyped-def]
    layer = uniq("gone")
    arn = publish(
        lam, layer, {"python/shared.py": "WHO = 'kept'\n", "python/deep.py": "WHO = 'kept-deep'\n"}
    )
    name = uniq("keeps")
    create_python_function(lam, name, CODE, Layers=[arn])
    lam.delete_layer_version(LayerName=layer, VersionNumber=int(arn.rsplit(":", 1)[1]))
    out = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert out["shared"] == "kept"
    # A config change that keeps the layer still works; a new function cannot add it.
    lam.update_function_configuration(FunctionName=name, Layers=[arn], Description="x")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        create_python_function(lam, uniq("new"), CODE, Layers=[arn])


def test_layer_errors(lam) -> None:  # type: ignore[no-untyped-def]
    arn = publish(lam, uniq("one"), {"python/x.py": ""})
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        create_python_function(
            lam,
            uniq("six"),
            CODE,
            Layers=[publish(lam, uniq(f"l{i}"), {"a.txt": "a"}) for i in range(6)],
        )
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        create_python_function(lam, uniq("missing"), CODE, Layers=[arn[:-1] + "99"])
    name = uniq("ok")
    create_python_function(lam, name, CODE)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(FunctionName=name, Layers=[arn[:-1] + "99"])


def test_unzipped_limit_counts_layers(lam) -> None:  # type: ignore[no-untyped-def]
    big = {"blob1.bin": "\0" * (140 * 1024 * 1024)}
    arn = publish(lam, uniq("big"), big)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        create_python_function(
            lam,
            uniq("toobig"),
            CODE,
            Layers=[arn],
            files={"app.py": CODE, "pad.bin": "\0" * (120 * 1024 * 1024)},
        )
    assert "exceeds the maximum allowed size" in str(info.value)


def test_custom_runtime_finds_layer_bin_and_lib(lam) -> None:  # type: ignore[no-untyped-def]
    """A layer's bin/ is on PATH and lib/ on LD_LIBRARY_PATH, as in AWS custom runtimes."""
    import io
    import sys
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("bin/layer-tool")
        info.external_attr = 0o100755 << 16
        zf.writestr(info, "#!/bin/sh\necho from-layer-tool\n")
        zf.writestr("lib/marker.txt", "lib")
    layer = lam.publish_layer_version(LayerName=uniq("tools"), Content={"ZipFile": buf.getvalue()})[
        "LayerVersionArn"
    ]
    bootstrap = f"""#!{sys.executable}
import json, os, subprocess, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    out = subprocess.run(["layer-tool"], capture_output=True, text=True).stdout.strip()
    body = json.dumps({{"tool": out, "lib": "/opt/lib" in os.environ["LD_LIBRARY_PATH"].split(":"),
                        "marker": open("/opt/lib/marker.txt").read()}}).encode()
    urllib.request.urlopen(urllib.request.Request(api + f"/invocation/{{rid}}/response", data=body, method="POST")).read()
"""
    fbuf = io.BytesIO()
    with zipfile.ZipFile(fbuf, "w") as zf:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        zf.writestr(info, bootstrap)
    name = uniq("custom")
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role="arn:aws:iam::000000000000:role/r",
        Handler="x",
        Code={"ZipFile": fbuf.getvalue()},
        Layers=[layer],
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    out = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert out == {"tool": "from-layer-tool", "lib": True, "marker": "lib"}
