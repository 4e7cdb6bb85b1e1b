"""The minimal root filesystem of a zip function's instances: what of the host they may see.

A zygote builds it once, at start-up, in a mount namespace of its own (``isolate.build_root``):
a small read-only tmpfs holding read-only binds of exactly what the runtime needs, copies of a
few /etc files, and a minimal /dev. Every instance forked from that zygote inherits it with its
mount namespace and only adds its own mounts (/var/task, /opt, /tmp, /var/tmp, /dev/shm, its
passwd entry) before pivot_root into it: a handful of mounts per cold start instead of dozens.

Contract: ``plan(interpreter, executables)`` returns the JSON-able plan handed to the zygote
(``_OVIS_ROOT``): ``binds`` (host directories, bound at the same path), ``links`` (top-level
symlinks such as /bin -> usr/bin, as the host has them), ``etc`` (files copied into /etc). Not
in it: the checkout (only the runtime's own ``ovis/runtimes``), /home, /root (but the path to an
interpreter under it), the data directory, /sys, /run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ovis.runtimes.node import installs
from ovis.runtimes.python import sdk

RUNTIMES = Path(__file__).resolve().parent.parent / "runtimes"  # bootstrap.py, bootstrap.mjs...
TEMPLATE_DIR = "/run/ovis-root"  # mount point of the template, inside each zygote's namespace
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr")
# /etc as the runtimes use it: name resolution, TLS roots, shared-library cache, time zone
ETC_FILES = (
    "hosts",
    "resolv.conf",
    "nsswitch.conf",
    "host.conf",
    "gai.conf",
    "protocols",
    "services",
    "ld.so.cache",
    "ld.so.conf",
    "localtime",
    "timezone",
    "mime.types",
    "os-release",
    "ssl/openssl.cnf",
)
ETC_DIRS = ("ssl", "pki", "ca-certificates", "ld.so.conf.d", "alternatives", "crypto-policies")


def plan(interpreter: str, executables: Sequence[str] = ()) -> dict[str, Any]:
    """What the root of ``interpreter``'s zygote holds (see the module docstring)."""
    dirs: set[str] = {str(RUNTIMES)}
    real = os.path.realpath(interpreter)
    dirs.add(os.path.dirname(os.path.dirname(real)))  # .../versions/3.x (bin/..): the stdlib
    # the server's interpreter and installed packages (custom runtimes may run it, as the
    # awslambdaric tests do); its virtualenv, not the checkout: only ``ovis/runtimes`` of that
    for p in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix):
        dirs.add(os.path.realpath(p))
    # the runtime SDKs (boto3 for Python, the AWS SDK and node binaries for Node.js)
    for sdk_root in (sdk.root_dir(), installs.runtime_dir()):
        if sdk_root.is_dir():
            dirs.add(os.path.realpath(sdk_root))
    for exe in (interpreter, sys.executable, *executables):  # a venv's bin/ (symlinks), node's
        dirs.add(os.path.dirname(os.path.abspath(exe)))
        dirs.add(os.path.dirname(os.path.realpath(exe)))
    links: dict[str, str] = {}
    for name in TOP_LEVEL:
        host = f"/{name}"
        if os.path.islink(host):
            links[name] = os.readlink(host)
        elif os.path.isdir(host):
            dirs.add(host)
    for name in ETC_DIRS:
        if os.path.isdir(f"/etc/{name}") and not os.path.islink(f"/etc/{name}"):
            dirs.add(f"/etc/{name}")
    dirs = {d for d in dirs if os.path.isdir(d) and d != "/"}
    binds: list[str] = []
    for d in sorted(dirs, key=len):  # a directory inside one already bound comes with it
        if not any(d == b or d.startswith(b.rstrip("/") + "/") for b in binds):
            binds.append(d)
    etc = [name for name in ETC_FILES if os.path.lexists(f"/etc/{name}")]
    etc = [n for n in etc if not any(n.startswith(d + "/") for d in ETC_DIRS)]
    return {"dir": TEMPLATE_DIR, "binds": binds, "links": links, "etc": etc}
