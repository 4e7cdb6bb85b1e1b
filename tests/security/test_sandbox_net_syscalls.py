"""The syscall wall, probed from inside a function as an attacker's code would (issue #19).

Each refused syscall is called raw through ctypes (so no libc wrapper can fake the answer) and
must fail with EPERM; the work a function normally does (threads, subprocess, multiprocessing,
sockets to the server's API, fork) must still work under the same filter.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from tests.conftest import create_python_function

pytestmark = pytest.mark.privileged

PROBE = r"""
import ctypes, errno, json, multiprocessing, os, socket, subprocess, threading, urllib.parse

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWNS = 0x10000000, 0x40000000, 0x00020000

# name -> (x86_64 number, arguments): each must answer EPERM
REFUSED = {
    "unshare(CLONE_NEWUSER)": (272, [CLONE_NEWUSER]),
    "unshare(CLONE_NEWNET)": (272, [CLONE_NEWNET]),
    "unshare(CLONE_NEWNS)": (272, [CLONE_NEWNS]),
    "clone(CLONE_NEWUSER)": (56, [CLONE_NEWUSER | 17, 0, 0, 0, 0]),
    "setns": (308, [0, 0]),
    "mount": (165, [b"none", b"/tmp", b"tmpfs", 0, 0]),
    "umount2": (166, [b"/tmp", 0]),
    "pivot_root": (155, [b"/", b"/"]),
    "keyctl": (250, [0, 0, 0, 0]),
    "add_key": (248, [b"user", b"k", b"v", 1, -3]),
    "request_key": (249, [b"user", b"k", 0, 0]),
    "bpf": (321, [0, 0, 0]),
    "perf_event_open": (298, [0, 0, -1, -1, 0]),
    "io_uring_setup": (425, [1, 0]),
    "io_uring_enter": (426, [0, 0, 0, 0, 0]),
    "io_uring_register": (427, [0, 0, 0, 0]),
    "ptrace": (101, [16, os.getppid() or 1, 0, 0]),
    "process_vm_readv": (310, [1, 0, 0, 0, 0, 0]),
    "process_vm_writev": (311, [1, 0, 0, 0, 0, 0]),
    "kexec_load": (246, [0, 0, 0, 0]),
    "kexec_file_load": (320, [0, 0, 0, 0, 0]),
    "init_module": (175, [0, 0, b""]),
    "finit_module": (313, [0, b"", 0]),
    "delete_module": (176, [b"ext4", 0]),
    "open_by_handle_at": (304, [0, 0, 0]),
    "userfaultfd": (323, [0]),
    "swapon": (167, [b"/tmp/x", 0]),
    "swapoff": (168, [b"/tmp/x"]),
    "reboot": (169, [0, 0, 0, 0]),
    "acct": (163, [0]),
    "settimeofday": (164, [0, 0]),
    "clock_settime": (227, [0, 0]),
    "personality(READ_IMPLIES_EXEC)": (135, [0x0400000]),
    "fsopen": (430, [b"tmpfs", 0]),
}


def arg(v):
    return ctypes.c_char_p(v) if isinstance(v, bytes) else ctypes.c_long(v)


def handler(event, context):
    refused = {}
    for name, (nr, args) in REFUSED.items():
        rc = libc.syscall(ctypes.c_long(nr), *[arg(a) for a in args])
        e = ctypes.get_errno()
        refused[name] = "ok" if rc >= 0 else errno.errorcode.get(e, str(e))
    out = {"refused": refused}
    box = []
    t = threading.Thread(target=box.append, args=("thread",))
    t.start()
    t.join()
    out["thread"] = box
    out["subprocess"] = subprocess.run(
        ["sh", "-c", "echo sub; ls /proc/self >/dev/null && echo ls"],
        capture_output=True, text=True,
    ).stdout.split()
    with multiprocessing.Pool(2) as pool:
        out["pool"] = pool.map(abs, [-1, -2])
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    out["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    u = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL"])
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        s.sendall(b"GET /_ovis/health HTTP/1.0\r\nHost: x\r\n\r\n")
        out["api"] = s.recv(64).decode(errors="replace").split("\r\n")[0]
    out["personality"] = libc.personality(0xFFFFFFFF)
    return out
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe uses x86_64 numbers")
def test_refused_syscalls_answer_eperm_and_normal_work_still_works(server, lam) -> None:  # type: ignore[no-untyped-def]
    name = f"wall-sys-{uuid.uuid4().hex[:8]}"
    create_python_function(lam, name, PROBE, MemorySize=256, Timeout=30)
    r = lam.invoke(FunctionName=name, Payload=b"{}")
    body = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, body
    not_eperm = {k: v for k, v in body["refused"].items() if v != "EPERM"}
    assert not_eperm == {}, not_eperm
    assert body["thread"] == ["thread"]
    assert body["subprocess"] == ["sub", "ls"]
    assert body["pool"] == [1, 2]
    assert body["fork"] == 7
    assert body["api"].startswith("HTTP/1.") and " 200" in body["api"], body["api"]
    assert body["personality"] == 0
    # the network wall is not built: the server says so at start-up, in one line
    assert "network: instances share the host's network namespace [DEGRADED" in server.log()
