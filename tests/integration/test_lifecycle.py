"""Server lifecycle: state survives restarts, SIGTERM stops everything cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import create_python_function, start_server
from tests.integration.admin import admin


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid``."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(entry))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: set[int], timeout: float = 10) -> set[int]:
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if _running(p)}
        time.sleep(0.05)
    return alive


def test_state_survives_restart_and_sigterm_is_clean(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    lam = srv.client("lambda")
    create_python_function(
        lam,
        "persisted",
        "def handler(e, c):\n    print('p-log')\n    return e\n",
        Environment={"Variables": {"KEEP": "me"}},
    )
    lam.tag_resource(
        Resource="arn:aws:lambda:us-east-1:000000000000:function:persisted", Tags={"team": "ovis"}
    )
    r = lam.invoke(FunctionName="persisted", Payload=b'{"n": 1}')
    assert json.loads(r["Payload"].read()) == {"n": 1}
    before = lam.get_function(FunctionName="persisted")
    procs = children_of(srv.proc.pid)
    assert procs, "expected a zygote and an instance"

    assert srv.stop(signal.SIGTERM) == 0
    assert wait_gone(procs) == set(), "instances and zygote must stop with the server"

    srv2 = start_server(data)
    try:
        lam2 = srv2.client("lambda")
        after = lam2.get_function(FunctionName="persisted")
        for key in ("CodeSha256", "RevisionId", "LastModified", "Environment", "State"):
            assert after["Configuration"][key] == before["Configuration"][key]
        assert after["Tags"] == {"team": "ovis"}
        r = lam2.invoke(FunctionName="persisted", Payload=b'{"n": 2}')
        assert json.loads(r["Payload"].read()) == {"n": 2}
        events = srv2.client("logs").filter_log_events(logGroupName="/aws/lambda/persisted")
        assert [e["message"] for e in events["events"]].count("p-log") >= 1
    finally:
        srv2.stop()


def test_kill9_keeps_accepted_async_events(tmp_path: Path) -> None:
    """An event answered with 202 is on disk: it runs after a kill -9 and restart.

    Judged by the durable outcome records, not by log lines: an event that finished just
    before the kill has its record, while its log lines may still have been in the sink's
    memory (logs are batched off the hot path, as on Lambda)."""
    data = tmp_path / "data"
    srv = start_server(data)
    lam = srv.client("lambda")
    create_python_function(
        lam,
        "slowasync",
        "import time\ndef handler(e, c):\n    time.sleep(0.2)\n    print('ran-' + str(e['i']))\n",
        Timeout=10,
    )
    n = 30
    ids = set()
    for i in range(n):
        r = lam.invoke(
            FunctionName="slowasync", InvocationType="Event", Payload=json.dumps({"i": i}).encode()
        )
        assert r["StatusCode"] == 202
        ids.add(r["ResponseMetadata"]["RequestId"])
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv2 = start_server(data)
    try:
        deadline = time.monotonic() + 60
        done: set[str] = set()
        while time.monotonic() < deadline and done != ids:
            found = admin(srv2.url, "GET", "/async/results?function=slowasync")["Results"]
            done = {r["event_id"] for r in found if r["outcome"] == "success"}
            time.sleep(0.1)
        assert done == ids
    finally:
        srv2.stop()


def test_a_second_server_on_a_busy_port_fails_early_and_clearly(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "second-data"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ovis",
            "server",
            "--port",
            str(server.port),
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert f"127.0.0.1:{server.port} is already in use" in out.stderr
    assert "listening on" not in out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert not data.exists()  # the data directory was never opened
