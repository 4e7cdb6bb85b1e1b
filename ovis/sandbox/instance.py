"""One function instance: a process running a runtime, and the server's end of its transport.

States: STARTING -> IDLE <-> BUSY, and any -> DEAD. Only the methods here move them.
Contract: ``start()`` once; ``invoke()`` only while IDLE (the pool guarantees one invocation at a
time, as Lambda does); ``kill()`` is idempotent and safe from any state. After DEAD nothing runs.
A timeout or crash kills the whole process group and leaves the instance DEAD: a broken instance
never serves another invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import json
import os
import signal
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ovis.errors import SandboxError
from ovis.runtimes.base import LaunchSpec, Start
from ovis.runtimes.python import wire
from ovis.sandbox.cgroups import Cgroup
from ovis.sandbox.isolation import PIDS_MAX, Isolation, UidAllocator, sandbox_spec
from ovis.sandbox.log_buffer import LogBuffer
from ovis.sandbox.runtime_api import (
    MAX_RESPONSE_BYTES,
    NextInvocation,
    RuntimeApiHandler,
    serve_runtime_api,
)
from ovis.sandbox.streaming import ResponseStream
from ovis.sandbox.zygote import Zygote, close_quietly

INIT_TIMEOUT_S = 10.0  # Lambda's init phase limit for on-demand instances


class _TimedOut(Exception):
    """The invocation's deadline passed (set on its result future by a timer)."""


class InitError(SandboxError):
    """Init failed. ``payload`` is the error object for the invoke response, with ``{rid}`` where
    the request id goes; ``logs`` is what the runtime printed."""

    def __init__(self, payload: str, logs: bytes, init_ms: float, memory_mb: int = 0) -> None:
        super().__init__(payload)
        self.payload = payload
        self.logs = logs
        self.init_ms = init_ms
        self.memory_mb = memory_mb  # the instance's peak (Max Memory Used), 0 if none ran


class State(enum.Enum):
    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"
    DEAD = "dead"


@dataclass(frozen=True)
class InstanceSpec:
    """Everything needed to start an instance of one function version: how (``launch``, from its
    runtime's adapter) and within what limits. Instances of one ``key`` share a pool."""

    key: tuple[str, str, str]  # (function name, version, revision id)
    launch: LaunchSpec
    memory_mb: int
    timeout_s: int
    tmp_mb: int = 512
    __hash__ = None  # type: ignore[assignment]

    @property
    def env(self) -> Mapping[str, str]:
        return self.launch.env

    def with_env(self, **extra: str) -> InstanceSpec:
        """The same spec with ``extra`` environment variables (provisioned instances say so)."""
        return dataclasses.replace(self, launch=self.launch.with_env(**extra))


@dataclass(frozen=True)
class Invocation:
    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: str | None = None  # JSON text, already base64-decoded
    identity: str | None = None
    trace_id: str = ""
    tenant_id: str | None = None
    # Where a streamed response goes as it arrives (function URLs in RESPONSE_STREAM mode,
    # InvokeWithResponseStream); None collects it into the buffered payload.
    stream: ResponseStream | None = None


@dataclass
class Outcome:
    """How one invocation ended, with what the platform needs for logs and the response."""

    status: str  # "success" | "error" | "timeout" | "crash" | "init_error"
    payload: bytes
    duration_ms: float
    max_memory_mb: int
    logs: bytes = b""
    init_ms: float | None = None
    extra_log: list[str] = field(default_factory=list)  # platform lines (timeouts)
    init_logs: bytes = b""  # printed during init (cold starts only), logged before START

    @property
    def ok(self) -> bool:
        return self.status == "success"


def error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


class Instance(RuntimeApiHandler):
    def __init__(
        self,
        spec: InstanceSpec,
        zygote: Zygote,
        log_stream: str,
        iso: Isolation,
        uids: UidAllocator,
        fresh_interpreter: bool = False,
    ) -> None:
        self.spec = spec
        self.zygote = zygote
        self.log_stream = log_stream
        self.iso = iso
        self.uids = uids
        self.fresh_interpreter = fresh_interpreter
        self.id = log_stream.rsplit("]", 1)[-1]
        self.cgroup: Cgroup | None = None
        self.uid: int | None = None
        self.frozen = False
        self.reserved_mb = spec.memory_mb  # counted against the manager's memory budget
        self.provisioned_for: tuple[str, str] | None = None  # (function, qualifier)
        self.state = State.STARTING
        self.pid = 0
        self.last_used = time.monotonic()
        self.init_ms: float | None = None  # reported once, on the first invocation
        self.init_logs = b""  # what the runtime printed during init, logged before START
        self.invocations = 0
        self._loop = asyncio.get_running_loop()
        self._logbuf = LogBuffer()
        self._peak_bytes = 0  # the cgroup's memory peak, as last read (it outlives the group)
        self._log_r = -1
        self._chan: socket.socket | None = None
        self._rbuf = bytearray()
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._result: asyncio.Future[tuple[int, dict[str, Any], bytes]] | None = None
        self._exit_status: asyncio.Future[str] = self._loop.create_future()
        # Runtime API (http transport)
        self._api_server: asyncio.AbstractServer | None = None
        self._next: asyncio.Future[NextInvocation] | None = None
        self._pending_next: NextInvocation | None = None
        self._current_id: str | None = None
        self._consumer_stream: ResponseStream | None = None  # the current invocation's
        self._open_stream: ResponseStream | None = None  # the response being streamed now
        self._init_error: bytes | None = None
        self._asked_next: asyncio.Future[None] | None = None  # see wait_for_runtime()

    # ---- start -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the process and wait for its runtime to finish init. Raises SandboxError with
        the init error payload as message when init fails (the instance is then DEAD)."""
        spec = self.spec
        t0 = time.monotonic()
        log_r, log_w = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(log_r, False)
        self._log_r = log_r
        self._loop.add_reader(log_r, self._drain_logs)
        env = dict(spec.env, AWS_LAMBDA_LOG_STREAM_NAME=self.log_stream)
        child_fds = [log_w]
        theirs: socket.socket | None = None
        try:
            if spec.launch.transport == "http":
                self._api_server, address = await serve_runtime_api(self)
                env["AWS_LAMBDA_RUNTIME_API"] = address
            else:
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                ours.setblocking(False)
                self._chan = ours
                self._loop.add_reader(ours.fileno(), self._on_channel)
                child_fds.append(theirs.fileno())
            self.pid = await self._spawn(env, child_fds)
        except BaseException:
            self.kill()
            raise
        finally:
            close_quietly(log_w)
            if theirs is not None:
                theirs.close()
        try:
            waiters: list[asyncio.Future[Any]] = [self._ready, self._exit_status]
            done, _ = await asyncio.wait(
                waiters,
                timeout=INIT_TIMEOUT_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except BaseException:
            self.kill()
            raise
        if self._ready in done and self._ready.exception() is None:
            self.init_ms = (time.monotonic() - t0) * 1000
            self._drain_logs()
            self.init_logs = self._logbuf.text()
            self._logbuf.clear()
            self.state = State.IDLE
            return
        if self._init_error is not None:
            message = self._init_error.decode()
        elif self._ready.done() or self._exit_status.done():
            status = await self._wait_exit_status()
            message = error_payload(
                "Runtime.ExitError",
                f"RequestId: {{rid}} Error: Runtime exited with error: {status}",
            ).decode()
        else:
            message = error_payload(
                "Runtime.Unknown",
                f"RequestId: {{rid}} Error: init did not finish within {INIT_TIMEOUT_S:.0f} s",
            ).decode()
        self._drain_logs()
        memory_mb = self.max_memory_mb()
        self.kill()
        raise InitError(message, self._logbuf.text(), (time.monotonic() - t0) * 1000, memory_mb)

    async def _spawn(self, env: dict[str, str], fds: list[int]) -> int:
        """Start the process the way the spec's launch says: fork the runtime in the zygote's
        child, or exec a command there, or exec one in the image's root filesystem."""
        launch = self.spec.launch
        refusal = launch.preflight()
        if refusal is not None:
            raise InitError(refusal.payload(), b"", 0.0)
        if self.iso.cgroups is not None:
            self.cgroup = self.iso.cgroups.create(self.id, self.spec.memory_mb, PIDS_MAX)
        if self.iso.drop_uid:
            self.uid = self.uids.take()
        sandbox = sandbox_spec(
            self.iso,
            cgroup=self.cgroup,
            uid=self.uid,
            task_root=launch.task_dir,
            layers=list(launch.layers),
            tmp_mb=self.spec.tmp_mb,
            interpreter=launch.interpreter,
            executables=launch.executables,
            rootfs=launch.rootfs,
        )
        forked = launch.start is Start.FORK and not self.fresh_interpreter
        msg: dict[str, Any] = {
            "env": env,
            "cwd": launch.cwd,
            "sandbox": sandbox,
            "exec": None if forked else list(launch.argv),
        }
        if launch.search_path:
            msg["search_path"] = True
        return await self.zygote.spawn(msg, fds, self._on_exit)

    # ---- process and transport events ------------------------------------------------------

    def _on_exit(self, status: str) -> None:
        self.max_memory_mb()  # read the peak while the cgroup is still there
        if not self._exit_status.done():
            self._exit_status.set_result(status)
        self._mark_dead()
        self._release_resources()

    def _release_resources(self, attempt: int = 0) -> None:
        """Once the process is gone: remove its cgroup and free its uid."""
        if self.cgroup is not None:
            if not self.cgroup.remove() and attempt < 50:
                self._loop.call_later(0.1, self._release_resources, attempt + 1)
                return
            self.cgroup = None
        if self.uid is not None:
            if self.iso.users is not None:
                self.iso.users.forget(self.uid, self.uid)
            self.uids.give_back(self.uid)
            self.uid = None

    def _drain_logs(self) -> None:
        while True:
            try:
                chunk = os.read(self._log_r, 65536)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                self._loop.remove_reader(self._log_r)
                return
            self._logbuf.append(chunk)  # capped, with a marker saying what it dropped

    def _on_channel(self) -> None:
        assert self._chan is not None
        try:
            data = self._chan.recv(65536)  # 64 KiB: a larger buffer is an mmap per call
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._loop.remove_reader(self._chan.fileno())
            self._mark_dead()
            return
        self._rbuf += data
        while (frame := wire.decode(self._rbuf)) is not None:
            kind, head, payload, used = frame
            del self._rbuf[:used]
            if kind == wire.READY:
                if not self._ready.done():
                    self._ready.set_result(None)
            elif kind == wire.INIT_ERROR:
                if not self._ready.done():
                    self._init_error = json.dumps(head).encode()
                    self._ready.set_exception(SandboxError("init error"))
            elif self._result is not None and not self._result.done():
                self._result.set_result((kind, head, payload))

    def _mark_dead(self) -> None:
        if self._result is not None and not self._result.done():
            self._result.set_exception(SandboxError("instance exited"))
        if self._next is not None and not self._next.done():
            self._next.cancel()
        if not self._ready.done():
            self._ready.set_exception(SandboxError("instance exited during init"))
            self._ready.exception()  # mark retrieved
        if self.state is not State.DEAD:
            self.state = State.DEAD
            self._kill_process()

    # ---- invoke ------------------------------------------------------------------------------

    async def invoke(self, inv: Invocation) -> Outcome:
        if self.state is not State.IDLE:
            raise SandboxError(f"instance is {self.state.value}")
        self.state = State.BUSY
        self._logbuf.clear()
        init_ms, self.init_ms = self.init_ms, None
        init_logs, self.init_logs = self.init_logs, b""
        self.invocations += 1
        t0 = time.monotonic()
        deadline_ms = int(time.time() * 1000) + self.spec.timeout_s * 1000
        fut: asyncio.Future[tuple[int, dict[str, Any], bytes]] = self._loop.create_future()
        self._result = fut
        self._current_id = inv.request_id
        self._consumer_stream = inv.stream
        if self._chan is not None:
            invoke_head = {"id": inv.request_id, "deadline": deadline_ms, "arn": inv.invoked_arn}
            if inv.client_context:
                invoke_head["cc"] = json.loads(inv.client_context)
            if inv.identity:
                invoke_head["ci"] = json.loads(inv.identity)
            if inv.tenant_id:
                invoke_head["tenant"] = inv.tenant_id
            if inv.trace_id:
                invoke_head["trace"] = inv.trace_id
            frame = wire.encode(wire.INVOKE, invoke_head, inv.payload)
            try:
                sent = self._chan.send(frame)
                if sent < len(frame):  # large payloads: let the loop finish the write
                    await self._loop.sock_sendall(self._chan, frame[sent:])
            except BlockingIOError:
                await self._loop.sock_sendall(self._chan, frame)
            except OSError:
                self._mark_dead()
        else:
            self._offer(inv, deadline_ms)
        # A timer rather than asyncio.wait_for: no extra task per invocation on the hot path.
        timer = self._loop.call_later(self.spec.timeout_s, self._time_out, fut)
        try:
            kind, head, payload = await fut
        except _TimedOut:
            duration = (time.monotonic() - t0) * 1000
            memory_mb = self.max_memory_mb()  # before the kill removes the cgroup
            self.kill()
            self._drain_logs()
            msg = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
            return Outcome(
                "timeout",
                error_payload("Sandbox.Timedout", f"RequestId: {inv.request_id} Error: {msg}"),
                duration,
                memory_mb,
                self._logbuf.text(),
                init_ms,
                [f"{_iso_now()} {inv.request_id} {msg}"],
            )
        except SandboxError:
            duration = (time.monotonic() - t0) * 1000
            status = await self._wait_exit_status()
            self._drain_logs()
            if self._init_error is not None:
                return Outcome(
                    "init_error",
                    self._init_error,
                    duration,
                    self.max_memory_mb(),
                    self._logbuf.text(),
                    init_ms,
                )
            return Outcome(
                "crash",
                error_payload(
                    "Runtime.ExitError",
                    f"RequestId: {inv.request_id} Error: Runtime exited with error: {status}",
                ),
                duration,
                self.max_memory_mb(),
                self._logbuf.text(),
                init_ms,
                [
                    f"RequestId: {inv.request_id} Error: Runtime exited with error: {status}",
                    "Runtime.ExitError",
                ],
            )
        finally:
            timer.cancel()
            self._result = None
            self._current_id = None
            self._consumer_stream = None
            if self._open_stream is not None:  # timed out or died mid-stream
                self._open_stream.close()
                self._open_stream = None
            if inv.stream is not None:
                inv.stream.close()
        duration = (time.monotonic() - t0) * 1000
        self._drain_logs()
        self.last_used = time.monotonic()
        if self.state is State.BUSY:
            self.state = State.IDLE
        rss_mb = self.max_memory_mb(int(head.get("rss", 0)))
        status = "success" if kind == wire.RESULT else "error"
        return Outcome(
            status, payload, duration, rss_mb, self._logbuf.text(), init_ms, init_logs=init_logs
        )

    def max_memory_mb(self, rss_kb: int = 0) -> int:
        """Max Memory Used: the peak the instance's cgroup charged over its lifetime so far, as
        AWS reports it (pages a zygote-forked child still shares with the zygote are charged to
        the zygote, as they cost the instance nothing); without cgroups, the process's peak RSS
        (``rss_kb``, reported by the runtime, or read from /proc)."""
        if self.cgroup is not None:
            self._peak_bytes = max(self._peak_bytes, self.cgroup.peak_memory_bytes())
        peak = self._peak_bytes or (rss_kb or _rss_kb(self.pid)) * 1024
        return max(1, -(-peak // (1024 * 1024)))

    @staticmethod
    def _time_out(fut: asyncio.Future[Any]) -> None:
        if not fut.done():
            fut.set_exception(_TimedOut())

    async def _wait_exit_status(self) -> str:
        try:
            return await asyncio.wait_for(asyncio.shield(self._exit_status), 2.0)
        except TimeoutError:
            return "signal: killed"

    # ---- Runtime API callbacks (http transport) --------------------------------------------

    def _offer(self, inv: Invocation, deadline_ms: int) -> None:
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": inv.invoked_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
            "Content-Type": "application/json",
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        if inv.identity:
            headers["Lambda-Runtime-Cognito-Identity"] = inv.identity
        nxt = NextInvocation(inv.request_id, inv.payload, headers)
        if self._next is not None and not self._next.done():
            self._next.set_result(nxt)
        else:
            self._pending_next = nxt

    async def wait_for_runtime(self, timeout: float = 2.0) -> bool:
        """Whether this IDLE instance can take an event: an http runtime may post its result and
        then exit instead of asking for the next event (AWS's Node.js runtime does after an
        uncaught exception), so wait until it asks again or exits (False: it is DEAD)."""
        if self._api_server is None or self.state is not State.IDLE:
            return self.state is State.IDLE
        if self._next is not None and not self._next.done():
            return True  # already waiting on /next: the usual warm case
        asked: asyncio.Future[None] = self._loop.create_future()
        self._asked_next = asked
        waiters: list[asyncio.Future[Any]] = [asked, self._exit_status]
        try:
            await asyncio.wait(
                waiters,
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            self._asked_next = None
        return self.state is State.IDLE

    async def next_invocation(self) -> NextInvocation:
        if not self._ready.done():
            self._ready.set_result(None)  # the first /next ends the init phase
        if self._asked_next is not None and not self._asked_next.done():
            self._asked_next.set_result(None)
        if self._pending_next is not None:
            nxt, self._pending_next = self._pending_next, None
            return nxt
        self._next = self._loop.create_future()
        return await self._next

    def post_response(self, request_id: str, body: bytes) -> int:
        return self._complete(request_id, wire.RESULT, body)

    def post_error(self, request_id: str, body: bytes, error_type: str | None) -> int:
        return self._complete(request_id, wire.ERROR, _normalize_error(body, error_type))

    def post_init_error(self, body: bytes, error_type: str | None) -> int:
        if self._ready.done():
            return 403
        self._init_error = _normalize_error(body, error_type)
        self._ready.set_exception(SandboxError(self._init_error.decode()))
        return 202

    def open_stream(self, request_id: str, content_type: str | None) -> ResponseStream | int:
        if request_id != self._current_id or self._result is None:
            return 400
        if self._result.done() or self._open_stream is not None:
            return 403
        stream = self._consumer_stream or ResponseStream(MAX_RESPONSE_BYTES, consumer=False)
        self._open_stream = stream
        stream.on_finish(self._stream_finished)
        return stream

    def _stream_finished(self, stream: ResponseStream) -> None:
        if stream is not self._open_stream or self._result is None or self._result.done():
            return
        self._open_stream = None
        head = {"rss": _rss_kb(self.pid)}
        if stream.error_type is not None:
            body = _normalize_error(stream.error_body or b"", stream.error_type)
            self._result.set_result((wire.ERROR, head, body))
        else:
            self._result.set_result(
                (wire.RESULT, head, b"" if stream.consumer else stream.collected())
            )

    def _complete(self, request_id: str, kind: int, body: bytes) -> int:
        if request_id != self._current_id or self._result is None:
            return 400
        if self._result.done():
            return 403
        rss_kb = _rss_kb(self.pid)
        self._result.set_result((kind, {"rss": rss_kb}, body))
        return 202

    # ---- freezing ----------------------------------------------------------------------------

    def freeze(self) -> None:
        """Stop every process of this idle instance (cgroup freezer, else SIGSTOP to its process
        group) so it costs no CPU while it waits. Raises OSError if the kernel refuses."""
        if self.cgroup is not None:
            self.cgroup.freeze()
        else:
            os.killpg(self.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        """Let a frozen instance run again. It counts as thawed even if this raises OSError
        (then it is most likely gone, and its next use finds it DEAD)."""
        try:
            if self.cgroup is not None:
                self.cgroup.thaw()
            else:
                os.killpg(self.pid, signal.SIGCONT)
        finally:
            self.frozen = False

    # ---- teardown ----------------------------------------------------------------------------

    def kill(self) -> None:
        """Kill the process group and release everything; idempotent."""
        self.state = State.DEAD
        self._kill_process()
        if self._chan is not None:
            with contextlib.suppress(ValueError, RuntimeError):
                self._loop.remove_reader(self._chan.fileno())
            self._chan.close()
            self._chan = None
        if self._log_r >= 0:
            self._drain_logs()
            with contextlib.suppress(ValueError, RuntimeError):
                self._loop.remove_reader(self._log_r)
            close_quietly(self._log_r)
            self._log_r = -1
        if self._api_server is not None:
            self._api_server.close()
            self._api_server = None
        if self._result is not None and not self._result.done():
            self._result.set_exception(SandboxError("instance killed"))

    def _kill_process(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill_all()  # the whole tree, even processes that left the group
        if self.pid > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)


def _normalize_error(body: bytes, error_type: str | None) -> bytes:
    """The error object a runtime posted, as the invoke response carries it."""
    try:
        obj = json.loads(body)
        if isinstance(obj, dict):
            return body
    except ValueError:
        pass
    return error_payload(error_type or "Runtime.Unknown", body.decode("utf-8", "replace"))


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _iso_now() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
