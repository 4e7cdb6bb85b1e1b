"""The zygote: one pre-initialized interpreter per runtime that forks instances on request.

It starts isolated (``-I -S``: nothing of the server's environment on its path), imports the
runtime and the heavy common modules (boto3, from the runtime's SDK directory ``_OVIS_SDK_DIR``;
none when ``_OVIS_PRELOAD`` is empty, for functions that ship their own) once, freezes the GC so
forked children share those pages copy-on-write, then serves a SOCK_SEQPACKET control socket
(fd given in argv):
  server -> zygote: SPAWN {id, env, cwd, rlimits} with fds [log, channel?] attached
  zygote -> server: SPAWNED {id, pid} | SPAWN_FAILED {id, error} | EXITED {pid, status}
The zygote is the parent of every instance it forks, so it reaps them and reports how they ended.
If the server goes away (EOF on the control socket) the zygote exits and instances die with it
(PR_SET_PDEATHSIG). Stdlib only, apart from the optional pre-imports.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import signal
import socket
import sys
from typing import Any

if __package__:
    from . import bootstrap, isolate, wire
else:  # run as a script by path, isolated (-I -S): its directory is not on sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bootstrap  # type: ignore[no-redef]
    import isolate  # type: ignore[no-redef]
    import wire  # type: ignore[no-redef]

    del sys.path[0]

SPAWN, SPAWNED, SPAWN_FAILED, EXITED = 10, 11, 12, 13
_SDK_DIR = ""  # the runtime's SDK directory (``_OVIS_SDK_DIR``), on every instance's sys.path
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def describe_status(status: int) -> str:
    """How Lambda phrases a process end ("exit status 1", "signal: killed")."""
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status))
        name = {
            signal.SIGKILL: "killed",
            signal.SIGSEGV: "segmentation fault",
            signal.SIGABRT: "aborted",
            signal.SIGTERM: "terminated",
        }.get(sig)
        return f"signal: {name or signal.Signals(sig).name}"
    return f"exit status {os.WEXITSTATUS(status)}"


def preload(modules: list[str]) -> None:
    for name in modules:
        try:
            __import__(name)
        except Exception:  # an optional accelerator; the runtime works without it
            pass


def child_setup(spec: dict[str, Any], fds: list[int], in_namespaces: bool) -> None:
    """Runs in the forked child: become the instance process, then hand over to bootstrap."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()
    die_with_parent()
    log_fd = fds[0]
    channel_fd = fds[1] if len(fds) > 1 else None
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    _close_fds_except({0, 1, 2} | ({channel_fd} if channel_fd is not None else set()))
    isolate.enter(spec.get("sandbox") or {}, in_namespaces)
    os.environ.clear()
    os.environ.update(spec["env"])
    os.chdir(spec["cwd"])
    argv = spec.get("exec")
    if argv:  # a custom runtime's bootstrap, or a fresh interpreter (the naive baseline)
        if channel_fd is not None:
            os.set_inheritable(channel_fd, True)
            os.environ["_OVIS_CHANNEL_FD"] = str(channel_fd)
        if spec.get("search_path"):  # a container image's ENTRYPOINT, on the image's PATH
            os.execvpe(argv[0], argv, os.environ)
        os.execve(argv[0], argv, os.environ)
    # The preloaded heap stays frozen: a full GC never walks (and so never copies) those pages.
    bootstrap.main(channel_fd, _SDK_DIR)
    os._exit(0)


def _run_child(spec: dict[str, Any], fds: list[int], in_namespaces: bool) -> None:
    try:
        child_setup(spec, fds, in_namespaces)
    except BaseException as e:  # report and die; never return into the zygote loop
        try:
            os.write(2, f"instance setup failed: {e!r}\n".encode())
        finally:
            os._exit(127)


def _close_fds_except(keep: set[int]) -> None:
    """Close every inherited descriptor but ``keep``: no server descriptor leaks in."""
    low = 0
    for fd in sorted(keep):
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


class Blanks:
    """Pre-forked children waiting for their instance spec.

    Forking a zygote that holds boto3 costs a few milliseconds; a blank pays it ahead of time,
    so a spawn request only hands over a spec. Blanks are forked with the namespace flags the
    server uses (``_OVIS_NAMESPACES``) and replenished after each handout.
    """

    def __init__(self, count: int, namespaces: bool) -> None:
        self.count = count
        self.template = {"namespaces": namespaces}
        self.ready: list[tuple[int, socket.socket, bool]] = []
        self.pids: set[int] = set()

    def fill(self) -> None:
        while len(self.ready) < self.count:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                pid, in_ns = isolate.fork_instance(self.template)
            except OSError:
                ours.close()
                theirs.close()
                return
            if pid == 0:  # the blank: wait for a spec, then become that instance
                die_with_parent()  # siblings hold our peer socket open: EOF alone is not enough
                ours.detach()
                msg, fds, _flags, _addr = socket.recv_fds(theirs, 1 << 20, 4)
                frame = wire.decode(msg) if msg else None
                if frame is None:
                    os._exit(0)
                _run_child(frame[1], fds, in_ns)
            theirs.close()
            self.ready.append((pid, ours, in_ns))
            self.pids.add(pid)

    def take(self, spec: dict[str, Any], msg: bytes, fds: list[int]) -> int | None:
        """Hand ``msg`` and ``fds`` to a blank compatible with ``spec``; its pid, or None."""
        want = bool((spec.get("sandbox") or {}).get("namespaces"))
        while self.ready:
            pid, sock, in_ns = self.ready.pop()
            try:
                if in_ns != want:
                    raise OSError("blank has other namespace flags")
                socket.send_fds(sock, [msg], fds)
                return pid
            except OSError:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            finally:
                sock.close()
                self.pids.discard(pid)
        return None


def serve(ctl: socket.socket) -> None:
    rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    blanks = Blanks(
        int(os.environ.get("_OVIS_BLANKS", "2")), os.environ.get("_OVIS_NAMESPACES") == "1"
    )

    def in_child_close_parent_fds() -> None:
        ctl.detach()

    os.register_at_fork(after_in_child=in_child_close_parent_fds)
    blanks.fill()
    poller = select.poll()
    poller.register(ctl.fileno(), select.POLLIN)
    poller.register(rfd, select.POLLIN)
    while True:
        for fd, _ev in poller.poll():
            if fd == rfd:
                try:
                    os.read(rfd, 4096)
                except BlockingIOError:
                    pass
                reap(ctl, blanks.pids)
                continue
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 20, 4)
            if not msg:
                os._exit(0)
            frame = wire.decode(msg)
            if frame is None or frame[0] != SPAWN:
                continue
            spec = frame[1]
            pid = blanks.take(spec, msg, fds)
            if pid is None:
                try:
                    pid, in_ns = isolate.fork_instance(spec.get("sandbox") or {})
                except OSError as e:
                    for f in fds:
                        os.close(f)
                    ctl.send(wire.encode(SPAWN_FAILED, {"id": spec["id"], "error": str(e)}))
                    continue
                if pid == 0:
                    _run_child(spec, fds, in_ns)
            for f in fds:
                os.close(f)
            ctl.send(wire.encode(SPAWNED, {"id": spec["id"], "pid": pid}))
            blanks.fill()  # off the critical path: the instance is already starting


def reap(ctl: socket.socket, blanks: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in blanks:  # a blank that never became an instance: nobody to tell
            blanks.discard(pid)
            continue
        ctl.send(
            wire.encode(EXITED, {"pid": pid, "status": describe_status(status), "code": status})
        )


def main() -> None:
    global _SDK_DIR
    die_with_parent()
    ctl = socket.socket(fileno=int(sys.argv[1]))
    _SDK_DIR = os.environ.pop("_OVIS_SDK_DIR", "")
    # Started isolated (-I -S): only the stdlib and the runtime's SDK are importable, so what
    # the zygote preloads (and its children inherit) is the SDK's boto3, never the server's.
    sys.path[:] = bootstrap.base_path(_SDK_DIR)
    bootstrap.clean_import_system()
    preload(json.loads(os.environ.pop("_OVIS_PRELOAD", '["boto3"]')))
    root_error = None
    plan = os.environ.pop("_OVIS_ROOT", "")
    if plan:  # before any fork: every instance inherits the template with its namespace
        try:
            isolate.build_root(json.loads(plan))
        except (OSError, ValueError, KeyError) as e:
            root_error = str(e)
    gc.collect()
    gc.freeze()  # keep the pre-imported heap shared copy-on-write with every child
    ready = {"id": "ready", "pid": os.getpid(), "root_error": root_error}
    ctl.send(wire.encode(SPAWNED, ready))
    serve(ctl)


if __name__ == "__main__":
    main()
