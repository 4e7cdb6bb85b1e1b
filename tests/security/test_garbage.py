"""Unreferenced code is reclaimed (#19): zips and trees of deleted functions, replaced code and
deleted layer versions go after the grace period; everything a function version or a live
layer version references stays, and a zip reused right after its last user was deleted keeps
working. The server runs with the grace period and the pass interval scaled down."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess, create_python_function, start_server, zip_bytes

GRACE_S = 1.0


def _code(tag: str) -> str:
    return f"def handler(event, context):\n    return {{'tag': {tag!r}}}\n"


def _zip(tag: str) -> bytes:
    return zip_bytes({"app.py": _code(tag)})


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _health(server: ServerProcess) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(server.url + "/_ovis/health", timeout=10) as r:
        return json.loads(r.read())["code_garbage"]  # type: ignore[no-any-return]


def _wait(cond: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)  # polling a condition with a deadline, not waiting a fixed time


def _passes_after(server: ServerProcess, t: float) -> Callable[[], bool]:
    """True once a pass has begun after ``t`` + grace (so ``t``'s writes count as stale)."""
    return lambda: _health(server)["last_pass_s"] > t + GRACE_S + 0.05


@pytest.fixture(scope="module")
def gc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    mp = pytest.MonkeyPatch()
    mp.setenv("OVIS_CODE_GC_GRACE_S", str(GRACE_S))
    mp.setenv("OVIS_CODE_GC_INTERVAL_S", "0.05")
    srv = start_server(tmp_path_factory.mktemp("ovis-gc") / "data")
    mp.undo()
    yield srv
    srv.stop()


def test_unreferenced_code_is_reclaimed(gc_server: ServerProcess) -> None:
    lam: Any = gc_server.client("lambda")
    store = gc_server.data_dir / "code"

    def present(digest: str) -> bool:
        return (store / "blobs" / f"{digest}.zip").exists() or (store / "trees" / digest).exists()

    def invoke(name: str, qualifier: str | None = None) -> str:
        kw = {"Qualifier": qualifier} if qualifier else {}
        out = lam.invoke(FunctionName=name, **kw)
        assert "FunctionError" not in out, out
        return json.loads(out["Payload"].read())["tag"]  # type: ignore[no-any-return]

    u = uuid.uuid4().hex[:6]
    z = {k: _zip(f"{k}-{u}") for k in ("v1", "replaced", "latest", "deleted", "layer1", "layer2")}
    d = {k: _digest(v) for k, v in z.items()}

    # f1: version 1 keeps its code; the code replaced without a version is garbage.
    f1 = f"gc1-{u}"
    lam.create_function(
        FunctionName=f1,
        Runtime="python3.11",
        Role="arn:aws:iam::000000000000:role/r",
        Handler="app.handler",
        Code={"ZipFile": z["v1"]},
        Publish=True,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=f1, WaiterConfig={"Delay": 0.05})
    for key in ("replaced", "latest"):
        lam.update_function_code(FunctionName=f1, ZipFile=z[key])
        lam.get_waiter("function_updated_v2").wait(FunctionName=f1, WaiterConfig={"Delay": 0.05})
    # f2: deleted, so its code is garbage.
    f2 = f"gc2-{u}"
    lam.create_function(
        FunctionName=f2,
        Runtime="python3.11",
        Role="arn:aws:iam::000000000000:role/r",
        Handler="app.handler",
        Code={"ZipFile": z["deleted"]},
    )
    # A layer version still used by a function stays after it is deleted; an unused one goes.
    layer = f"gcl-{u}"
    l1 = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": z["layer1"]})
    lam.publish_layer_version(LayerName=layer, Content={"ZipFile": z["layer2"]})
    f3 = f"gc3-{u}"
    create_python_function(lam, f3, _code(f"f3-{u}"), Layers=[l1["LayerVersionArn"]])
    lam.delete_layer_version(LayerName=layer, VersionNumber=1)
    lam.delete_layer_version(LayerName=layer, VersionNumber=2)
    lam.delete_function(FunctionName=f2)
    assert all(present(x) for x in d.values())
    freed_before = _health(gc_server)["bytes_freed"]

    written = time.time()
    _wait(_passes_after(gc_server, written), "a collector pass after the grace period")
    for key in ("replaced", "deleted", "layer2"):
        assert not present(d[key]), f"{key} code was not reclaimed"
    for key in ("v1", "latest", "layer1"):
        assert present(d[key]), f"referenced {key} code was removed"
    assert invoke(f1) == f"latest-{u}"
    assert invoke(f1, "1") == f"v1-{u}"
    assert invoke(f3) == f"f3-{u}"
    stats = _health(gc_server)
    assert stats["bytes_freed"] > freed_before and stats["removed"] >= 3

    # The same zip as a deleted function's, reused right after the delete, keeps working:
    # its blob is old (past the grace period) and unreferenced when the new function reuses it.
    f4, f5 = f"gc4-{u}", f"gc5-{u}"
    reused = _zip(f"reused-{u}")
    create_python_function(lam, f4, _code(f"reused-{u}"))
    made = time.time()
    _wait(_passes_after(gc_server, made), "a pass once f4's code is past the grace period")
    lam.delete_function(FunctionName=f4)
    create_python_function(lam, f5, _code(f"reused-{u}"))
    _wait(_passes_after(gc_server, time.time()), "passes after the reuse")
    assert present(_digest(reused))
    assert invoke(f5) == f"reused-{u}"


def test_code_store_spares_a_reused_digest(tmp_path: Path) -> None:
    """The store's side of the race: a reuse touches the digest, so a pass that chose its
    cut-off before the reuse keeps it; one removed before the reuse is written again."""
    from ovis.storage.code import CodeStore

    store = CodeStore(tmp_path / "code")
    data = b"zip-bytes"
    digest = _digest(data)
    store.put_zip(digest, data)
    old = time.time() - 3600
    os.utime(store.zip_path(digest), (old, old))  # as if written an hour ago
    store.put_zip(digest, data)  # reused: touched, so newer than a cut-off of a pass under way
    assert store.remove_stale(digest, time.time() - 0.5) == 0
    assert store.zip_path(digest).exists()
    assert store.remove_stale(digest, time.time() + 1) == len(data)
    assert digest not in store.digests()
    store.put_zip(digest, data)
    assert store.zip_path(digest).read_bytes() == data
