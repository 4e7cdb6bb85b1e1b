"""Turn a freshly forked process into a sandboxed instance (runs in the zygote's child, as root).

``enter(spec)`` applies, in order, what the server's sandbox spec asks for:
  1. join the instance's cgroups (the server created them with the memory and pids limits);
     the process is single-threaded here, so joining as a task is the cheap path;
  2. new mount, pid, ipc and uts namespaces (entered at fork time by ``fork_instance``, else by
     unshare); the code read-only at /var/task, layers read-only at /opt (one overlay, later
     layers on top), a private /tmp of EphemeralStorage size (the server's disk for it, else a
     tmpfs) that is also /var/tmp, a private /dev/shm, all onto the zygote's minimal root
     (``build_root``, planned by sandbox/rootfs.py), then pivot_root into it;
  3. as pid 1 of the new pid namespace, mount its own /proc (after unshare, that takes one more
     fork: the middle process waits and exits the way its child did, so the zygote reports the
     real cause, e.g. "signal: killed" after an OOM kill);
  4. drop to the instance's own unprivileged uid/gid with no_new_privs and rlimits; that uid
     has a passwd and group entry (the server's generated files, bound in step 2 over
     /etc/passwd and /etc/group), a session keyring of its own and emptied user keyrings.
A container image (``rootfs`` in the spec) replaces step 2's /var/task, /opt and /tmp: its root
filesystem becomes / (read-only, pivot_root) with a private tmpfs /tmp and a minimal /dev.
Returns in the instance process only. Any failure raises, and the zygote child exits with it.
Stdlib and ctypes only: this runs under the runtime's interpreter.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import stat
from typing import Any

if __package__:
    from . import seccomp
else:  # run by path from the zygote (-I -S): its directory is on sys.path
    import seccomp  # type: ignore[no-redef]

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE, MS_SLAVE = 32, 4096, 16384, 1 << 18, 1 << 19
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x00200000, 0x01000000
SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine)
MNT_DETACH = 2
DEVICES = ("null", "zero", "full", "random", "urandom")  # a container image's /dev
ROOT_DEVICES = (*DEVICES, "tty")  # a zip function's /dev: Lambda's nodes (and shm, per instance)
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
HOST_FILES = ("etc/resolv.conf", "etc/hosts")  # bound read-only where the image has a file
NS_FLAGS = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.pthread_self.restype = ctypes.c_void_p


def _find_tid_field() -> ctypes.c_void_p | None:
    """Address of glibc's cached thread id in this (main) thread's descriptor, or None.

    fork() has the kernel refresh that field in the child (CLONE_CHILD_SETTID); a raw clone must
    do the same or libc would keep the parent's tid. Found by its value; used only if unique.
    """
    try:
        import threading

        tid = threading.get_native_id()
        base = _libc.pthread_self()
        words = (ctypes.c_int32 * 512).from_address(base)
        hits = [i for i in range(512) if words[i] == tid]
    except (AttributeError, ValueError, OSError):
        return None
    return ctypes.c_void_p(base + hits[0] * 4) if len(hits) == 1 else None


_TID_FIELD = _find_tid_field() if SYS_CLONE is not None else None


def fork_instance(spec: dict[str, Any]) -> tuple[int, bool]:
    """fork(); where the spec asks for namespaces and a raw clone is possible, the child starts
    in new mount/pid/ipc/uts namespaces as their pid 1 (one fork instead of fork + unshare +
    fork: about 4 ms less per cold start). Returns (pid, child_is_in_new_namespaces)."""
    if not spec.get("namespaces") or _TID_FIELD is None:
        return os.fork(), False
    flags = NS_FLAGS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | signal.SIGCHLD
    api = ctypes.pythonapi
    api.PyOS_BeforeFork()
    pid = _libc.syscall(SYS_CLONE, ctypes.c_ulong(flags), None, None, _TID_FIELD, None)
    if pid == 0:
        api.PyOS_AfterFork_Child()
        return 0, True
    err = ctypes.get_errno()
    api.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(err, f"clone: {os.strerror(err)}")
    return pid, True


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    _check(
        _libc.mount(
            src.encode() if src else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _bind_ro(src: str, target: str) -> None:
    _mount(src, target, None, MS_BIND | MS_REC, None)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def _open_paths(paths: list[str]) -> dict[str, int]:
    return {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in paths if os.path.isdir(p)}


def _expose(fds: dict[str, int]) -> None:
    """Keep the runtime's own directories reachable for an unprivileged uid.

    ``fds`` were opened before /tmp was replaced: paths under /tmp are bound back into the new
    tmpfs. A runtime may also live under a private directory (``/root/.pyenv`` with ``/root`` mode
    0700): that parent is covered with an empty read-only tmpfs into which only the needed paths
    are bound, so the instance reaches its interpreter and nothing else there.
    """
    covers: dict[str, list[str]] = {}
    for path in fds:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            anc = "/" + "/".join(parts[:i])
            if anc == "/tmp" or os.stat(anc).st_mode & 0o001 == 0:
                covers.setdefault(anc, []).append(path)
                break
    for anc, inner in covers.items():
        if anc != "/tmp":
            _mount("tmpfs", anc, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        for p in inner:
            os.makedirs(p, exist_ok=True)
            _bind_ro(f"/proc/self/fd/{fds[p]}", p)
        if anc != "/tmp":
            _mount(None, anc, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k")
    for fd in fds.values():
        os.close(fd)


def _image_path(root: str, rel: str, kind: int) -> str:
    """``root/rel`` if every component is a real directory (no symlink out of the image) and
    the last one is of type ``kind``; else OSError."""
    path = root
    parts = rel.split("/")
    for i, part in enumerate(parts):
        path = os.path.join(path, part)
        mode = os.lstat(path).st_mode
        if stat.S_IFMT(mode) != (kind if i == len(parts) - 1 else stat.S_IFDIR):
            raise OSError(errno.EINVAL, f"/{rel} in the image is not a plain file or directory")
    return path


def _enter_rootfs(root: str, tmp_mb: int) -> None:
    """Make a container image's root filesystem this mount namespace's /: read-only, with a
    private tmpfs /tmp, a minimal read-only /dev, and the host's resolv.conf and hosts where the
    image has those files (the importer makes the mount points). /proc is mounted by the caller,
    as pid 1 of the new pid namespace."""
    if SYS_PIVOT_ROOT is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unsupported machine {os.uname().machine}")
    _image_path(root, "proc", stat.S_IFDIR)  # checked now, mounted later
    _mount(root, root, None, MS_BIND | MS_REC, None)  # a mount of its own, for pivot_root
    _mount(
        "tmpfs",
        _image_path(root, "tmp", stat.S_IFDIR),
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={tmp_mb}m,mode=1777",
    )
    dev = _image_path(root, "dev", stat.S_IFDIR)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            os.close(os.open(os.path.join(dev, name), os.O_CREAT | os.O_WRONLY, 0o666))
            _mount(f"/dev/{name}", os.path.join(dev, name), None, MS_BIND, None)
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{i}", os.path.join(dev, name))
    os.symlink("/proc/self/fd", os.path.join(dev, "fd"))
    os.mkdir(os.path.join(dev, "shm"), 0o755)  # private, gone with the mount namespace
    _mount("tmpfs", os.path.join(dev, "shm"), "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    _mount(None, dev, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for rel in HOST_FILES:
        try:
            target = _image_path(root, rel, stat.S_IFREG)
        except OSError:
            continue
        if os.path.isfile("/" + rel):
            _bind_ro("/" + rel, target)
    _mount(None, root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount the host root")  # the old root, on top
    os.chdir("/")


TEMPLATE: str | None = None  # the minimal root this zygote built (build_root), if any
_FALLBACK_ETC = {
    "passwd": "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534::/:/sbin/nologin\n",
    "group": "root:x:0:\nnobody:x:65534:\n",
}


def build_root(plan: dict[str, Any]) -> None:
    """In the zygote, once, before any fork: enter a mount namespace of its own (a slave of the
    host's, so what the server mounts later, e.g. a new image, still shows) and build there the
    template root every zip instance pivots into (sandbox/rootfs.py says what it holds).
    Read-only when done; instances only mount onto its empty directories."""
    global TEMPLATE
    root = plan["dir"]
    os.makedirs(root, mode=0o755, exist_ok=True)
    _check(_libc.unshare(CLONE_NEWNS), "unshare")
    _mount(None, "/", None, MS_REC | MS_SLAVE, None)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=755")
    old_umask = os.umask(0o022)
    try:
        for d in ("proc", "dev/shm", "tmp", "var/task", "var/tmp", "var/empty", "opt", "etc"):
            os.makedirs(f"{root}/{d}", mode=0o755, exist_ok=True)
        for name, target in plan.get("links", {}).items():
            os.symlink(target, f"{root}/{name}")
        for name in plan.get("etc", ()):
            src, dst = f"/etc/{name}", f"{root}/etc/{name}"
            os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif os.path.isfile(src):
                with open(src, "rb") as f, open(dst, "wb") as g:
                    g.write(f.read())
        for name, text in _FALLBACK_ETC.items():  # covered per instance by its uid's entry
            with open(f"{root}/etc/{name}", "w") as f:
                f.write(text)
        dev = f"{root}/dev"
        for name in ROOT_DEVICES:
            if os.path.exists(f"/dev/{name}"):
                os.close(os.open(f"{dev}/{name}", os.O_CREAT | os.O_WRONLY, 0o666))
                _mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND, None)
        for i, name in enumerate(("stdin", "stdout", "stderr")):
            os.symlink(f"/proc/self/fd/{i}", f"{dev}/{name}")
        os.symlink("/proc/self/fd", f"{dev}/fd")
        for path in plan.get("binds", ()):
            os.makedirs(root + path, mode=0o755, exist_ok=True)
            _bind_ro(path, root + path)
    finally:
        os.umask(old_umask)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=2m,mode=755")
    TEMPLATE = root


def _fd_paths(fds: list[int]) -> str:
    """An overlay lowerdir naming directories by descriptor: mountinfo then shows
    /proc/self/fd/N, never the host path of the function's code in the data directory."""
    return ":".join(f"/proc/self/fd/{fd}" for fd in fds)


def _enter_template(spec: dict[str, Any], root: str) -> None:
    """A zip instance: its own mounts onto the template's empty directories, then pivot_root
    into it. /var/task and /opt are read-only overlays (the code, the layers: the last one
    listed wins, as in Lambda); /tmp is private and sized by EphemeralStorage (the server's disk
    for it, else a tmpfs), /var/tmp is the same filesystem; /dev/shm is private; all of them
    go with the mount namespace."""
    if SYS_PIVOT_ROOT is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unsupported machine {os.uname().machine}")
    ro = MS_RDONLY | MS_NOSUID | MS_NODEV
    empty = os.open(f"{root}/var/empty", os.O_PATH | os.O_DIRECTORY)
    opened = [empty]
    try:
        task = os.open(spec["task_root"], os.O_PATH | os.O_DIRECTORY)
        opened.append(task)
        _mount("overlay", f"{root}/var/task", "overlay", ro, f"lowerdir={_fd_paths([task, empty])}")
        layers = [os.open(p, os.O_PATH | os.O_DIRECTORY) for p in spec.get("layers") or []]
        opened += layers
        if layers:
            lower = _fd_paths([*reversed(layers), empty])
            _mount("overlay", f"{root}/opt", "overlay", ro, f"lowerdir={lower}")
    finally:
        for fd in opened:
            os.close(fd)
    if spec.get("tmp_disk"):  # a disk of EphemeralStorage size (sandbox/ephemeral.py)
        _mount(spec["tmp_disk"], f"{root}/tmp", None, MS_BIND, None)
    else:
        tmp_mb = int(spec.get("tmp_mb", 512))
        _mount("tmpfs", f"{root}/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
    _mount(f"{root}/tmp", f"{root}/var/tmp", None, MS_BIND, None)
    shm = f"size={int(spec.get('shm_mb', 64))}m,mode=1777"
    _mount("tmpfs", f"{root}/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, shm)
    for target, source in (spec.get("etc") or {}).items():
        _bind_ro(source, root + target)
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount the host root")  # the old root, on top
    os.chdir("/")


def _private_keyrings() -> None:
    """A session keyring of this instance only, and the uid's own keyrings emptied (the kernel
    keeps a uid's user keyring after its processes are gone). Best effort: ENOSYS, or keyctl
    refused by a filter, leaves nothing to protect."""
    if SYS_KEYCTL is None:
        return
    _libc.syscall(SYS_KEYCTL, ctypes.c_long(KEYCTL_JOIN_SESSION_KEYRING), None)
    for ring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
        _libc.syscall(SYS_KEYCTL, ctypes.c_long(KEYCTL_CLEAR), ctypes.c_long(ring))


def _mirror_exit(pid: int) -> None:
    """In the middle process: wait for the instance and end the same way."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        how = os.WTERMSIG(status)
        if how not in (signal.SIGKILL, signal.SIGSTOP):  # those cannot be caught anyway
            signal.signal(how, signal.SIG_DFL)
        os.kill(os.getpid(), how)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def enter(spec: dict[str, Any], in_namespaces: bool = False) -> None:
    """Finish isolating the calling process; ``in_namespaces`` if fork_instance already cloned
    it into new namespaces."""
    for path in spec.get("cgroup_join", ()):
        with open(path, "w") as f:
            f.write("0")
    if spec.get("namespaces"):
        if not in_namespaces:
            _check(_libc.unshare(NS_FLAGS), "unshare")
        _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
        if spec.get("rootfs"):  # a container image: its root filesystem becomes /
            _enter_rootfs(spec["rootfs"], int(spec.get("tmp_mb", 512)))
        elif TEMPLATE is not None:  # a zip function: the zygote's minimal root
            _enter_template(spec, TEMPLATE)
        else:  # no template (build_root failed, logged by the zygote): the host's root
            exposed = _open_paths(spec.get("expose") or [])
            _bind_ro(spec["task_root"], "/var/task")
            layers = spec.get("layers") or []
            if len(layers) == 1:
                _bind_ro(layers[0], "/opt")
            elif layers:  # overlay: the last layer listed wins, as in Lambda
                lower = ":".join(reversed(layers))
                _mount(
                    "overlay",
                    "/opt",
                    "overlay",
                    MS_RDONLY | MS_NOSUID | MS_NODEV,
                    f"lowerdir={lower}",
                )
            else:
                _mount(
                    "tmpfs", "/opt", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=755"
                )
            # the uid's passwd and group entry (sandbox/users.py), bound before /tmp is covered
            for target, source in (spec.get("etc") or {}).items():
                if os.path.isfile(target):  # a bind mount needs a file to cover
                    _bind_ro(source, target)
            _mount(
                "tmpfs",
                "/tmp",
                "tmpfs",
                MS_NOSUID | MS_NODEV,
                f"size={int(spec.get('tmp_mb', 512))}m,mode=1777",
            )
            _expose(exposed)
        sh = os.path.realpath("/bin/sh")
        if spec.get("sh") and sh != spec["sh"]:
            _bind_ro(spec["sh"], sh)
        hostname = spec.get("hostname", "ovis")
        _check(_libc.sethostname(hostname.encode(), len(hostname)), "sethostname")
        if not in_namespaces:  # unshare(CLONE_NEWPID) applies to children: fork once more
            pid = os.fork()
            if pid != 0:
                _mirror_exit(pid)
        # pid 1 of the new namespace
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    for name, (soft, hard) in spec.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    uid = spec.get("uid")
    if uid is not None:
        gid = spec.get("gid", uid)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        _private_keyrings()
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    seccomp.install(spec)  # last: the syscall wall (ovis/runtimes/python/seccomp.py)
