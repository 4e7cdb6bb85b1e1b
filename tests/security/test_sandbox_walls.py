"""The sandbox's walls, probed from inside a function the way an attacker's code would: the
host's root filesystem, devices, private /tmp, /dev/shm and /var/tmp, EphemeralStorage, uids
and keyrings across a restart, and a kill -9 of the server (issue #19)."""

from __future__ import annotations

import errno
import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, ServerProcess, create_python_function, start_server

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the walls need root (namespaces)")

PROBE = r"""
import ctypes, json, os, signal, subprocess, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
X86 = os.uname().machine == "x86_64"
KEYCTL, ADD_KEY = (250, 248) if X86 else (219, 217)

def can(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").close()
        return True
    except OSError:
        return False

def add_key(desc, ring):
    return libc.syscall(ADD_KEY, b"user", desc.encode(), b"secret", 6, ctypes.c_long(ring))

def find_key(desc, ring):
    # KEYCTL_SEARCH = 10
    return libc.syscall(KEYCTL, ctypes.c_long(10), ctypes.c_long(ring), b"user", desc.encode(), 0)

def fill(path):
    n = 0
    chunk = b"x" * (1 << 20)
    try:
        with open(path, "wb", buffering=0) as f:
            while n < 4096:
                f.write(chunk)
                n += 1
        return {"mb": n, "error": None}
    except OSError as e:
        return {"mb": n, "error": e.errno}
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass

def handler(event, context):
    op = event["op"]
    if op == "look":
        paths = event["paths"]
        with open("/proc/self/mountinfo") as f:
            mountinfo = f.read()
        return {
            "root": sorted(os.listdir("/")),
            "dev": sorted(os.listdir("/dev")),
            "shm": sorted(os.listdir("/dev/shm")),
            "tmp": sorted(os.listdir("/tmp")),
            "var_tmp": sorted(os.listdir("/var/tmp")),
            "visible": {p: can(p) for p in paths},
            "mountinfo": mountinfo,
            "passwd": open("/etc/passwd").read(),
            "uid": os.getuid(),
            "work": sorted(os.listdir("/" + event["top"])) if os.path.isdir("/" + event["top"]) else [],
        }
    if op == "plant":  # leave everything a later owner of this uid could find
        tag = event["tag"]
        for d in ("/tmp", "/dev/shm", "/var/tmp"):
            fd = os.open(f"{d}/{tag}", os.O_CREAT | os.O_WRONLY, 0o600)
            os.write(fd, b"secret")
            os.close(fd)
        keys = {ring: add_key(f"{tag}-{ring}", ring) for ring in (-3, -4, -5)}  # @s @u @us
        if os.fork() == 0:  # a process left behind
            os.setsid()
            while True:
                time.sleep(60)
        return {"uid": os.getuid(), "keys": keys}
    if op == "find":
        tag = event["tag"]
        found = [d for d in ("/tmp", "/dev/shm", "/var/tmp") if os.path.exists(f"{d}/{tag}")]
        keys = {ring: find_key(f"{tag}-{ring}", ring) for ring in (-3, -4, -5)}
        procs = [p for p in os.listdir("/proc") if p.isdigit()]
        return {"uid": os.getuid(), "files": found, "keys": keys, "procs": procs}
    if op == "fill":
        return fill(event["path"])
    raise ValueError(op)
"""


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(lam: Any, name: str, payload: dict[str, Any]) -> Any:
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    body = json.loads(resp["Payload"].read())
    assert "FunctionError" not in resp, body
    return body


def test_the_host_is_invisible_and_tmp_shm_var_tmp_are_private(server: ServerProcess) -> None:
    lam = server.client("lambda")
    name = uniq("box-look")
    create_python_function(lam, name, PROBE, MemorySize=1024)
    secrets = [
        str(ROOT / ".git"),
        str(ROOT / "README.md"),
        "/home",
        "/root/.bashrc",
        "/etc/shadow",
        str(server.data_dir),
        str(server.data_dir / "ovis.db"),
        "/sys",
        "/run",
    ]
    seen = call(lam, name, {"op": "look", "paths": secrets, "top": ROOT.parts[1]})
    assert not any(seen["visible"].values()), seen["visible"]
    # of the checkout's top directory, only the way to the runtime's own files
    assert len(seen["work"]) <= 1, seen["work"]
    assert set(seen["dev"]) <= {
        "null",
        "zero",
        "random",
        "urandom",
        "full",
        "tty",
        "shm",
        "stdin",
        "stdout",
        "stderr",
        "fd",
    }, seen["dev"]
    assert str(server.data_dir) not in seen["mountinfo"]
    assert seen["tmp"] == seen["var_tmp"] == seen["shm"] == []  # nothing of the host's
    # /tmp is sized by EphemeralStorage (512 MB by default) and /var/tmp is the same filesystem
    full = call(lam, name, {"op": "fill", "path": "/var/tmp/fill"})
    assert full["error"] == errno.ENOSPC and 490 <= full["mb"] <= 512, full
    # on a disk, not in memory: a 128 MB function fills its 512 MB /tmp and is not OOM-killed
    small = uniq("box-small")
    create_python_function(lam, small, PROBE, MemorySize=128)
    full = call(lam, small, {"op": "fill", "path": "/tmp/fill"})
    assert full["error"] == errno.ENOSPC and 490 <= full["mb"] <= 512, full
    assert "sbx_user1051" in seen["passwd"] and "/home/" not in seen["passwd"].split("sbx")[0]


def wait_until(check: Any, timeout: float = 15) -> Any:
    """Poll ``check`` until it is truthy or the deadline passes; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def host_pids_of(uids: set[int]) -> list[int]:
    """Host processes running as any of ``uids`` (zombies included: they still hold memory)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            line = next(ln for ln in status.splitlines() if ln.startswith("Uid:"))
            if int(line.split()[1]) in uids:
                found.append(int(entry))
    return found


FREEZER = Path("/sys/fs/cgroup/freezer/ovis")


def frozen_groups(server_pid: int) -> list[Path]:
    parent = FREEZER / str(server_pid)
    if not parent.is_dir():
        return []
    return [
        g
        for g in parent.iterdir()
        if (g / "freezer.state").exists() and (g / "freezer.state").read_text().strip() == "FROZEN"
    ]


def test_kill_9_leaves_no_instance_and_a_restart_finds_nothing_of_the_previous_owner(
    tmp_path: Path,
) -> None:
    """A server with a warm (busy) and a frozen instance, each leaving a key in every keyring,
    a 0600 file in /tmp, /dev/shm and /var/tmp, and a process of its own, is killed with -9:
    none of their processes survive. A server restarted on the same data directory gives the
    next instance a new uid, which finds none of it."""
    srv = start_server(tmp_path / "data")
    try:
        lam = srv.client("lambda")
        names = [uniq("box-old"), uniq("box-frozen")]
        for name in names:
            create_python_function(lam, name, PROBE, MemorySize=128)
        tag = uniq("planted")
        planted = [call(lam, name, {"op": "plant", "tag": tag}) for name in names]
        uids = {p["uid"] for p in planted}
        assert len(uids) == 2
        # keys planted in every keyring, or (with the seccomp wall on) add_key refused outright:
        # either way nothing of a keyring can outlive its instance
        keys = [v for p in planted for v in p["keys"].values()]
        assert all(v > 0 for v in keys) or all(v == -1 for v in keys), keys
        assert host_pids_of(uids), "the planted processes are running"
        if FREEZER.is_dir():  # cgroup v1 here: both idle instances get frozen
            assert wait_until(lambda: len(frozen_groups(srv.proc.pid)) == 2), "not frozen"
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(10)
        wait_until(lambda: not host_pids_of(uids))
        assert host_pids_of(uids) == [], "instance processes outlived the server"
        assert wait_until(lambda: not (FREEZER / str(srv.proc.pid)).exists()), "groups left"
    finally:
        if srv.proc.poll() is None:
            srv.stop()
    srv = start_server(tmp_path / "data")
    try:
        lam = srv.client("lambda")
        seen = call(lam, names[0], {"op": "find", "tag": tag})
        assert seen["uid"] not in uids and seen["uid"] > max(uids)
        assert seen["files"] == [] and all(v < 0 for v in seen["keys"].values()), seen
        assert len(seen["procs"]) <= 3, seen["procs"]  # pid 1 and, in a fork, its own children
    finally:
        srv.stop()


def test_uids_come_from_one_persisted_counter_shared_by_servers(tmp_path: Path) -> None:
    """Two servers' allocators on one state file, then a "restarted" one: no uid twice."""
    from ovis.sandbox.isolation import UidAllocator

    state = tmp_path / "state" / "next-uid"
    a, b = UidAllocator(state), UidAllocator(state)
    taken = [a.take() for _ in range(300)] + [b.take() for _ in range(300)]
    for uid in taken[:10]:
        a.give_back(uid)
    restarted = UidAllocator(state)
    taken += [restarted.take() for _ in range(10)]
    assert len(set(taken)) == len(taken) and min(taken) >= 100_000
    assert oct(state.stat().st_mode & 0o777) == "0o600"
