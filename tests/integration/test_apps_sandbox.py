"""Pipeline builds run in a sandbox with limits (ovis/apps/sandbox.py, ovis/apps/limits.py),
checked on a live server through pushed buildspecs: a build over its memory limit, a fork bomb
and a build over its time limit each fail the run with a reason that says which limit, and
leave no process behind (even one that left the build's process group); a build sees its own
cgroup and a private /tmp. The limits need root and cgroups: elsewhere the test is skipped."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.integration.test_apps import api, clone, commit_and_push, run_log, runs, wait_run

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="build limits need root (cgroups)")


def _spec(*commands: str) -> str:
    # each command as a JSON string, which YAML reads as it is: no quoting surprises
    lines = "".join(f"      - {json.dumps(c)}\n" for c in commands)
    return f"version: 0.2\nphases:\n  build:\n    commands:\n{lines}"


def _builds_parent(server_pid: int) -> Path:
    root = Path("/sys/fs/cgroup")
    v2 = (root / "cgroup.controllers").exists()
    return (root if v2 else root / "pids") / "ovis-builds" / str(server_pid)


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry.name))
    return found


def _push_spec(srv: ServerProcess, tmp: Path, app: str, spec: str, **opts: int) -> int:
    status, out = api(srv, "POST", "", {"Name": app, "Template": "scheduled-job", **opts})
    assert status == 200, out
    repo = clone(srv, app, tmp / app)
    (repo / "buildspec.yml").write_text(spec)
    commit_and_push(repo, "a build that meets a limit")
    return int(runs(srv, app)[-1]["RunId"])


def test_builds_are_limited_and_confined(server: ServerProcess, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    marker = "98" + str(uuid.uuid4().int)[:6]  # a sleep duration no other process has
    apps = {
        "mem": (
            _spec("python -c \"b = b'x' * (400 << 20); print(len(b))\""),
            {"BuildMemorySize": 128},
        ),
        "bomb": (_spec("bomb() { bomb | bomb; }; bomb"), {}),
        "slow": (
            _spec(f"sleep {marker} & setsid sleep {marker}1 & sleep {marker}2"),
            {"BuildTimeoutSeconds": 3},
        ),
        "peek": (
            _spec(
                "cat /proc/self/cgroup",
                "echo private > /tmp/peek-" + tag,
                "ls /tmp",
                f"test ! -e {server.data_dir}/ovis.db || echo DATA-DIR-VISIBLE",
            ),
            {},
        ),
    }
    seqs = {
        kind: _push_spec(server, tmp_path, f"lim-{kind}-{tag}", spec, **opts)
        for kind, (spec, opts) in apps.items()
    }
    done = {kind: wait_run(server, f"lim-{kind}-{tag}", seq, 120) for kind, seq in seqs.items()}

    mem = done["mem"]
    assert mem["State"] == "Failed", mem
    assert "ran out of memory" in mem["Reason"] and "128 MB" in mem["Reason"], mem
    bomb = done["bomb"]
    assert bomb["State"] == "Failed", bomb
    assert "limit of 1024 processes" in bomb["Reason"], bomb
    slow = done["slow"]
    assert slow["State"] == "Failed", slow
    assert "time limit (3 s)" in slow["Reason"], slow
    build = next(s for s in slow["Stages"] if s["Name"] == "build")
    assert build["DurationSeconds"] < 20, build
    # every process of the timed-out build is gone, the one that left its session too
    assert _processes_with(marker) == []

    peek = done["peek"]
    assert peek["State"] == "Succeeded", peek
    log = run_log(server, peek)
    assert f"ovis-builds/{server.proc.pid}/lim-peek-{tag}-" in log, log
    assert "limits: 3072 MB memory, 1024 processes" in log, log
    assert "DATA-DIR-VISIBLE" not in log
    assert not Path(f"/tmp/peek-{tag}").exists()  # its /tmp was its own
    # the groups of finished runs are removed
    assert not any(
        p.name.startswith(f"lim-{k}-{tag}")
        for k in apps
        for p in _builds_parent(server.proc.pid).glob("*")
    )


def test_build_memory_size_is_checked(server: ServerProcess) -> None:
    for bad in (64, 20000):
        status, out = api(
            server,
            "POST",
            "",
            {"Name": "m-bad", "Template": "scheduled-job", "BuildMemorySize": bad},
        )
        assert status == 400 and "BuildMemorySize must be between 128 and 10240" in out["message"]
    status, out = api(
        server, "POST", "", {"Name": "m-bad", "Template": "scheduled-job", "BuildMemorySize": "x"}
    )
    assert status == 400 and out["code"] == "InvalidRequestContentException", out
