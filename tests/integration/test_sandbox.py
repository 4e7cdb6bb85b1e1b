"""Isolation and scaling of instances (issue: sandboxes), tested through the Lambda API."""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import create_python_function, start_server

pytestmark = pytest.mark.privileged

ROOT = os.geteuid() == 0


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(lam, name: str, payload: object = None, **kw):  # type: ignore[no-untyped-def]
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode(), **kw)
    r["Body"] = json.loads(r["Payload"].read())
    return r


PROBE = """
import os, subprocess, sys, time, resource
def handler(event, context):
    op = event.get("op")
    if op == "ps":
        return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    if op == "write_tmp":
        open("/tmp/secret", "w").write(event["value"])
        return os.listdir("/tmp")
    if op == "read_tmp":
        return os.path.exists("/tmp/secret")
    if op == "write_code":
        try:
            open("/var/task/app.py", "a").write("# changed")
            return "written"
        except OSError as e:
            return type(e).__name__
    if op == "whoami":
        return {"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(),
                "fds": sorted(int(f) for f in os.listdir("/proc/self/fd")),
                "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
                "hostname": os.uname().nodename}
    if op == "eat":
        chunks = []
        for _ in range(event["mb"]):
            chunks.append(bytearray(1024 * 1024))
        return len(chunks)
    if op == "forkbomb":
        pids = []
        try:
            for _ in range(5000):
                pid = os.fork()
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                pids.append(pid)
        except OSError as e:
            return {"forked": len(pids), "error": type(e).__name__}
        return {"forked": len(pids), "error": None}
    if op == "orphan_and_hang":
        subprocess.Popen(["sleep", event["marker"]], start_new_session=True)
        time.sleep(60)
    if op == "sleep":
        time.sleep(event["s"])
        return context.log_stream_name
    return "ok"
"""


def host_procs_with(arg: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if arg.encode() in cmd:
            out.append(int(entry))
    return out


@pytest.fixture(scope="module")
def probe(lam):  # type: ignore[no-untyped-def]
    name = uniq("probe")
    create_python_function(lam, name, PROBE, Timeout=3, MemorySize=128)
    return name


@pytest.mark.skipif(not ROOT, reason="needs root for namespaces")
def test_own_process_tree_uid_and_fds(lam, probe) -> None:  # type: ignore[no-untyped-def]
    pids = call(lam, probe, {"op": "ps"})["Body"]
    assert pids and pids[0] == 1 and len(pids) <= 3, pids  # only its own processes
    who = call(lam, probe, {"op": "whoami"})["Body"]
    assert who["uid"] != 0 and who["gid"] != 0
    assert who["cwd"] == "/var/task"
    assert who["fds"] == [0, 1, 2, who["fds"][3], who["fds"][4]][: len(who["fds"])]
    assert len(who["fds"]) <= 5, who["fds"]  # stdio, the channel, the listing itself
    assert who["nofile"] == 1024


@pytest.mark.skipif(not ROOT, reason="needs root for namespaces")
def test_code_is_read_only(lam, probe) -> None:  # type: ignore[no-untyped-def]
    assert call(lam, probe, {"op": "write_code"})["Body"] in ("OSError", "PermissionError")


@pytest.mark.skipif(not ROOT, reason="needs root for namespaces")
def test_tmp_is_private_per_instance(lam) -> None:  # type: ignore[no-untyped-def]
    a, b = uniq("tmpa"), uniq("tmpb")
    create_python_function(lam, a, PROBE)
    create_python_function(lam, b, PROBE)
    assert "secret" in call(lam, a, {"op": "write_tmp", "value": "x"})["Body"]
    assert call(lam, a, {"op": "read_tmp"})["Body"] is True  # same warm instance keeps /tmp
    assert call(lam, b, {"op": "read_tmp"})["Body"] is False


@pytest.mark.skipif(not ROOT, reason="needs root for cgroups")
def test_memory_limit_kills_only_that_instance(lam, probe) -> None:  # type: ignore[no-untyped-def]
    other = uniq("bystander")
    create_python_function(
        lam,
        other,
        "import time\ndef handler(e, c):\n    time.sleep(e.get('s', 0))\n    return 'alive'\n",
        Timeout=10,
    )
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(call, lam, other, {"s": 1.5})
        time.sleep(0.2)
        r = call(lam, probe, {"op": "eat", "mb": 400})
        assert slow.result()["Body"] == "alive"
    assert r["FunctionError"] == "Unhandled"
    assert r["Body"]["errorType"] == "Runtime.ExitError"
    assert "signal: killed" in r["Body"]["errorMessage"]
    assert call(lam, probe, {"op": "eat", "mb": 20})["Body"] == 20  # a fresh instance serves


@pytest.mark.skipif(not ROOT, reason="needs root for cgroups")
def test_fork_bomb_is_capped(server, lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("bomb")
    # Enough memory that the pids limit, not the memory limit, is what stops it.
    create_python_function(lam, name, PROBE, Timeout=20, MemorySize=2048)
    r = call(lam, name, {"op": "forkbomb"})
    assert r["Body"]["error"] in ("BlockingIOError", "OSError"), r["Body"]
    assert r["Body"]["forked"] < 1024
    with urllib.request.urlopen(server.url + "/_ovis/health", timeout=5) as h:
        assert h.status == 200


@pytest.mark.skipif(not ROOT, reason="needs root for namespaces")
def test_timeout_kills_children_that_escaped(lam, probe) -> None:  # type: ignore[no-untyped-def]
    marker = str(4000 + int(uuid.uuid4().int % 1000))
    r = call(lam, probe, {"op": "orphan_and_hang", "marker": marker})
    assert "Task timed out" in r["Body"]["errorMessage"]
    deadline = time.monotonic() + 5
    while host_procs_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert host_procs_with(marker) == []


def test_sixteen_concurrent_invokes_scale_out(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("scale")
    create_python_function(
        lam,
        name,
        "import time\ndef handler(e, c):\n    time.sleep(1)\n    return c.log_stream_name\n",
        Timeout=10,
    )
    t0 = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        streams = list(pool.map(lambda _: call(lam, name)["Body"], range(16)))
    elapsed = time.monotonic() - t0
    assert len(set(streams)) >= 8
    assert elapsed < 2.5, elapsed


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    srv = start_server(
        tmp_path_factory.mktemp("ovis-idle") / "data",
        "--freeze-after",
        "0.1",
        "--idle-ttl",
        "2",
        "--memory-budget",
        "256",
    )
    yield srv
    srv.stop()


def instance_groups(server_pid: int) -> dict[str, str]:
    root = Path(f"/sys/fs/cgroup/freezer/ovis/{server_pid}")
    if not root.is_dir():
        return {}
    return {d.name: (d / "freezer.state").read_text().strip() for d in root.iterdir() if d.is_dir()}


@pytest.mark.skipif(
    not Path("/sys/fs/cgroup/freezer").is_dir() or not ROOT, reason="needs the cgroup v1 freezer"
)
def test_idle_instances_are_frozen_then_reclaimed(short_lived) -> None:  # type: ignore[no-untyped-def]
    lam = short_lived.client("lambda")
    name = uniq("idle")
    create_python_function(lam, name, "def handler(e, c):\n    return 1\n")
    assert call(lam, name)["Body"] == 1
    pid = short_lived.proc.pid
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "FROZEN" not in instance_groups(pid).values():
        time.sleep(0.05)
    assert list(instance_groups(pid).values()) == ["FROZEN"]
    r = call(lam, name, LogType="Tail")  # thawed on demand, still warm
    assert r["Body"] == 1 and "Init Duration" not in base64.b64decode(r["LogResult"]).decode()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and instance_groups(pid):
        time.sleep(0.1)
    assert instance_groups(pid) == {}


def test_memory_pressure_evicts_least_recently_used(short_lived) -> None:  # type: ignore[no-untyped-def]
    lam = short_lived.client("lambda")
    names = [uniq(f"lru{i}") for i in range(3)]
    for n in names:
        create_python_function(lam, n, "def handler(e, c):\n    return 1\n", MemorySize=128)

    def cold(n: str) -> bool:
        r = call(lam, n, LogType="Tail")
        return "Init Duration" in base64.b64decode(r["LogResult"]).decode()

    assert cold(names[0]) and cold(names[1])  # budget 256 MB: both fit
    assert cold(names[2])  # evicts names[0], the least recently used
    assert not cold(names[1])  # still warm
    assert cold(names[0])  # was evicted


@pytest.mark.skipif(not ROOT, reason="needs per-instance uids")
def test_runtime_api_serves_only_its_own_instance(lam) -> None:  # type: ignore[no-untyped-def]
    """Another instance cannot take events from (or post results to) an instance's Runtime API."""
    import io
    import sys
    import zipfile

    victim = uniq("victim")
    bootstrap = f"""#!{sys.executable}
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    body = json.dumps(os.environ["AWS_LAMBDA_RUNTIME_API"]).encode()
    urllib.request.urlopen(urllib.request.Request(api + f"/invocation/{{rid}}/response", data=body, method="POST")).read()
"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        zf.writestr(info, bootstrap)
    lam.create_function(
        FunctionName=victim,
        Runtime="provided.al2023",
        Role="arn:aws:iam::000000000000:role/r",
        Handler="x",
        Code={"ZipFile": buf.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=victim, WaiterConfig={"Delay": 0.05})
    address = call(lam, victim)["Body"]

    thief = uniq("thief")
    create_python_function(
        lam,
        thief,
        """
import urllib.request
def handler(event, context):
    try:
        with urllib.request.urlopen("http://" + event["api"] + "/2018-06-01/runtime/invocation/next", timeout=2) as r:
            return "stole:" + r.read().decode()
    except Exception as e:
        return "refused:" + type(e).__name__
""",
        Timeout=5,
    )
    result = call(lam, thief, {"api": address})["Body"]
    assert result.startswith("refused:") and "Timeout" not in result, result  # closed at once
    assert call(lam, victim)["Body"] == address  # the victim still works


def test_without_isolation_the_server_says_so_and_still_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server(tmp_path / "data", "--no-isolation")
    try:
        lam = srv.client("lambda")
        name = uniq("plain")
        create_python_function(lam, name, "import os\ndef handler(e, c):\n    return os.getcwd()\n")
        r = lam.invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" not in r
        assert json.loads(r["Payload"].read()) != "/var/task"  # no mount namespace: the real path
        log = srv.log()
        assert "isolation disabled by configuration (rlimits only)" in log
        assert log.count("isolation disabled") == 1  # said once, at start-up
    finally:
        srv.stop()
