"""The instance's syscall wall: a seccomp BPF deny-list, installed as the last step of entering.

In the spirit of Docker's default profile and Firecracker's jailer, an instance's syscalls that
reach kernel attack surface or escape the sandbox answer EPERM: new namespaces (unshare, setns,
clone with a CLONE_NEW* flag), mount and the new mount API, pivot_root, the keyrings, bpf,
perf_event_open, io_uring, ptrace and cross-process memory access, kexec, kernel modules,
open_by_handle_at, userfaultfd, swap, reboot, acct, setting the clock, and personality beyond
Linux's ordinary ones. clone3 answers ENOSYS (its flags live in memory a filter cannot read), so
libc falls back to clone, whose flags the filter does check. A syscall of another architecture
or of the x32 ABI kills the process: a filter keyed on x86_64 numbers would misjudge it.
Everything else is allowed, so the runtimes and native packages (threads, subprocess, sockets,
mmap) work as before.

Contract: ``install(spec)`` applies the filter to the calling thread and its future children
unless ``spec["seccomp"]`` is False (a debug instance may be exempted); it needs no_new_privs
(or CAP_SYS_ADMIN) first and raises OSError if the kernel refuses. The program is built once at
import (in the zygote, before any fork), so a cold start pays one syscall. On a machine whose
syscall table this module does not know, ``PROGRAM`` is None and install() does nothing
(``supported()`` says so; the server logs it). Stdlib and ctypes only: this runs under the
runtime's interpreter.
"""

from __future__ import annotations

import ctypes
import os
import struct
from typing import Any

# BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h)
LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
RET_KILL_PROCESS, RET_ERRNO, RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
EPERM, ENOSYS = 1, 38
OFF_NR, OFF_ARCH, OFF_ARG0 = 0, 4, 16  # struct seccomp_data; arg0's low 32 bits (little-endian)
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 317, 1, 1
X32_BIT = 0x40000000

# namespace flags: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
CLONE_NS_FLAGS |= 0x40000000
UNSHARE_NS_FLAGS = CLONE_NS_FLAGS | 0x00000080  # + CLONE_NEWTIME (in clone() that bit is CSIGNAL)
# Linux's ordinary personalities (Docker's list): PER_LINUX, PER_LINUX32, UNAME26 variants, query
PERSONALITIES = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)

AUDIT_ARCH_X86_64 = 0xC000003E
X86_64_DENY = {
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "acct": 163,
    "settimeofday": 164,
    "clock_settime": 227,
    "clock_adjtime": 305,
    "adjtimex": 159,
    "setns": 308,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "bpf": 321,
    "perf_event_open": 298,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kcmp": 312,
    "pidfd_getfd": 438,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "create_module": 174,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "get_kernel_syms": 177,
    "query_module": 178,
    "open_by_handle_at": 304,
    "name_to_handle_at": 303,
    "userfaultfd": 323,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "lookup_dcookie": 212,
    "quotactl": 179,
    "vhangup": 153,
    "syslog": 103,
    "iopl": 172,
    "ioperm": 173,
    "uselib": 134,
    "_sysctl": 156,
    "nfsservctl": 180,
}
X86_64_CLONE, X86_64_CLONE3, X86_64_UNSHARE, X86_64_PERSONALITY = 56, 435, 272, 135


def _program(arch: int, deny: dict[str, int], clone: int, clone3: int, unshare: int,
             personality: int, x32: bool) -> bytes:  # fmt: skip
    """The sock_filter array: instructions with symbolic jump targets, resolved at the end."""
    code: list[tuple[int, Any, Any, int]] = []  # (op, jt, jf, k); jt/jf: label or 0
    labels: dict[str, int] = {}

    def op(c: int, k: int, jt: Any = 0, jf: Any = 0) -> None:
        code.append((c, jt, jf, k))

    op(LD_W_ABS, OFF_ARCH)
    op(JEQ_K, arch, 0, "kill")
    op(LD_W_ABS, OFF_NR)
    if x32:
        op(JSET_K, X32_BIT, "kill", 0)
    for nr in sorted(set(deny.values())):
        op(JEQ_K, nr, "eperm", 0)
    op(JEQ_K, clone, "clone", 0)
    op(JEQ_K, unshare, "unshare", 0)
    op(JEQ_K, clone3, "enosys", 0)
    op(JEQ_K, personality, "personality", 0)
    op(RET_K, RET_ALLOW)
    labels["clone"] = len(code)
    op(LD_W_ABS, OFF_ARG0)
    op(JSET_K, CLONE_NS_FLAGS, "eperm", "allow")
    labels["unshare"] = len(code)
    op(LD_W_ABS, OFF_ARG0)
    op(JSET_K, UNSHARE_NS_FLAGS, "eperm", "allow")
    labels["personality"] = len(code)
    op(LD_W_ABS, OFF_ARG0)
    for p in PERSONALITIES:
        op(JEQ_K, p, "allow", 0)
    labels["eperm"] = len(code)
    op(RET_K, RET_ERRNO | EPERM)
    labels["enosys"] = len(code)
    op(RET_K, RET_ERRNO | ENOSYS)
    labels["kill"] = len(code)
    op(RET_K, RET_KILL_PROCESS)
    labels["allow"] = len(code)
    op(RET_K, RET_ALLOW)

    out = bytearray()
    for i, (c, jt, jf, k) in enumerate(code):
        offs = [labels[j] - (i + 1) if isinstance(j, str) else j for j in (jt, jf)]
        if not all(0 <= o <= 255 for o in offs):
            raise ValueError(f"seccomp: jump out of range at instruction {i}")
        out += struct.pack("=HBBI", c, offs[0], offs[1], k)
    return bytes(out)


def _build() -> bytes | None:
    if os.uname().machine != "x86_64" or struct.calcsize("P") != 8:
        return None
    return _program(
        AUDIT_ARCH_X86_64,
        X86_64_DENY,
        X86_64_CLONE,
        X86_64_CLONE3,
        X86_64_UNSHARE,
        X86_64_PERSONALITY,
        x32=True,
    )


PROGRAM = _build()


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_BUF = ctypes.create_string_buffer(PROGRAM or b"", len(PROGRAM or b""))
_FPROG = _SockFprog(len(PROGRAM or b"") // 8, ctypes.cast(_BUF, ctypes.c_void_p).value)


def supported() -> bool:
    """Whether this machine gets the filter (its syscall table is known here)."""
    return PROGRAM is not None


def install(spec: dict[str, Any]) -> None:
    """Apply the filter to this process (all its threads) unless the spec exempts it."""
    if PROGRAM is None or spec.get("seccomp") is False:
        return
    ref = ctypes.byref(_FPROG)
    rc = _libc.syscall(
        ctypes.c_long(SYS_SECCOMP),
        ctypes.c_long(SECCOMP_SET_MODE_FILTER),
        ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC),
        ref,
    )
    if rc != 0:  # an older kernel without seccomp(2): prctl, this thread only
        rc = _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ref, 0, 0)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {os.strerror(err)}")
