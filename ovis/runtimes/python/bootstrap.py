"""The managed Python runtime inside one instance.

It loads the handler and serves invocations over one of two transports:
- the private channel (a socketpair from the server, frames of ``wire``): the fast path;
- the Lambda Runtime API over HTTP (``AWS_LAMBDA_RUNTIME_API``), exactly like any runtime client.
Error shapes, handler resolution and the context object follow AWS's Python runtime, and so
does the function's world: its sys.path (``function_path``: /var/task, the layers, the runtime's
SDK directory, the stdlib; nothing of the server's), and tracebacks with only its own frames and
no host path (``stack_trace``), logged as one record.
Stdlib only: this file runs under whichever python3.x the function's runtime names, started
isolated (``-I -S``) by the zygote or as a fresh interpreter.
"""

from __future__ import annotations

import http.client
import importlib
import json
import logging
import os
import resource
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))

if __package__:  # imported by the server (or the zygote in package mode)
    from . import wire
else:  # a script, started isolated (-I -S) or imported by the zygote: our directory is needed once
    sys.path.insert(0, _RUNTIME_DIR)
    import wire  # type: ignore[no-redef]

    del sys.path[0]

_PYTHON = f"python{sys.version_info[0]}.{sys.version_info[1]}"
_STDLIB_DIR = os.path.dirname(os.path.abspath(os.__file__))


def _is_stdlib_entry(entry: str) -> bool:
    base = os.path.abspath(sys.base_prefix) + os.sep
    return (
        os.path.abspath(entry).startswith(base)
        and "site-packages" not in entry
        and "dist-packages" not in entry
        and os.path.abspath(entry) != _RUNTIME_DIR
    )


# The interpreter's own entries (pythonXY.zip, the stdlib, lib-dynload), in its order.
STDLIB_PATH = [p for p in sys.path if p and _is_stdlib_entry(p)]
_sdk_dir = ""  # set by main(): the runtime's SDK directory, shown as /var/runtime in traces


def base_path(sdk_dir: str) -> list[str]:
    """What the runtime itself imports from: its SDK directory, then the standard library."""
    return ([sdk_dir] if sdk_dir else []) + STDLIB_PATH


def function_path(task_root: str, sdk_dir: str) -> list[str]:
    """A function's sys.path, exactly as Lambda's: its code, its layers, the SDK, the stdlib."""
    layers = ["/opt/python", f"/opt/python/lib/{_PYTHON}/site-packages"]
    return [task_root, *layers, *base_path(sdk_dir)]


def clean_import_system() -> None:
    """Only the interpreter's own finders: no editable-install or .pth finders of the server."""
    import importlib.machinery as m

    own = (m.BuiltinImporter, m.FrozenImporter, m.PathFinder)
    sys.meta_path[:] = [f for f in sys.meta_path if f in own]
    # sys.path_importer_cache stays: it is consulted only for entries on sys.path, and the
    # zygote's finders for the SDK and stdlib directories save a forked child their listdirs.


def _forget_runtime_modules() -> None:
    """Drop the runtime's own modules from sys.modules (they stay loaded, referenced by us), so
    a function's ``wire.py`` or ``bootstrap.py`` imports as the function's."""
    for name in ("bootstrap", "wire", "isolate", "zygote"):
        mod = sys.modules.get(name)
        if mod is not None and (getattr(mod, "__file__", None) or "").startswith(_RUNTIME_DIR):
            del sys.modules[name]


class Fault(Exception):
    """A runtime-level failure with a Lambda error type (Runtime.ImportModuleError, ...)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class Context:
    """The ``context`` argument, with the attributes AWS's Python runtime provides."""

    def __init__(
        self,
        request_id: str,
        deadline_ms: int,
        invoked_arn: str,
        client_context: Any = None,
        identity: Any = None,
        tenant_id: str | None = None,
    ) -> None:
        env = os.environ
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = client_context
        self.identity = identity
        self.tenant_id = tenant_id
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, msg: str) -> None:
        sys.stdout.write(msg)


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


_request_filter = _RequestIdFilter()


class _LambdaFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        # AWS's text format: one record per line; embedded newlines become \r.
        return super().format(record).replace("\n", "\r")


def _line_writer(fd: int) -> Any:
    return open(fd, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)


def setup_process(sdk_dir: str = "") -> None:
    """Per-instance process setup: unbuffered output, AWS's root logger handler, and Lambda's
    sys.path (see ``function_path``) with nothing of the server's importable."""
    # Line-buffered text over the instance's log pipe; lives as long as the process.
    sys.stdout = _line_writer(1)
    sys.stderr = _line_writer(2)
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        _LambdaFormatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_request_filter)
    root.addHandler(handler)
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())
    global _sdk_dir
    _sdk_dir = sdk_dir
    sys.path[:] = function_path(os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()), sdk_dir)
    clean_import_system()
    _forget_runtime_modules()
    sys.argv[:] = ["/var/runtime/bootstrap.py"]  # as on Lambda: no host path, no descriptor


def load_handler(handler: str) -> Callable[[Any, Context], Any]:
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}") from None
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise Fault(
                "Runtime.BuiltInModuleConflict",
                f"Cannot use built-in module {modname} as a handler module",
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise Fault(
            "Runtime.ImportModuleError", f"Unable to import module '{modname}': {e}"
        ) from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise Fault(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {e}", trace
        ) from None
    try:
        fn: Callable[[Any, Context], Any] = getattr(module, fname)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'"
        ) from None
    return fn


def _shown_path(filename: str) -> str:
    """A frame's file as AWS shows it: the SDK under /var/runtime, the stdlib under /var/lang,
    never a path of the host."""
    if _sdk_dir and filename.startswith(_sdk_dir + os.sep):
        return "/var/runtime" + filename[len(_sdk_dir) :]
    if filename.startswith(_STDLIB_DIR + os.sep):
        return f"/var/lang/lib/{_PYTHON}" + filename[len(_STDLIB_DIR) :]
    return filename


def stack_trace(tb: Any) -> list[str]:
    """The function's frames of a traceback, formatted as AWS's runtime does: the runtime's own
    frames (bootstrap.py) are left out, host paths replaced (``_shown_path``)."""
    frames = []
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(_RUNTIME_DIR + os.sep):
            continue
        frame.line  # noqa: B018 - read the source line under the real path, before renaming
        frame.filename = _shown_path(frame.filename)
        frames.append(frame)
    return traceback.format_list(frames)


def _error_result(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    if isinstance(exc, Fault):
        result = {"errorMessage": exc.message, "errorType": exc.error_type, "stackTrace": exc.trace}
    else:
        result = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": stack_trace(exc.__traceback__),
        }
    if request_id is not None:
        result["requestId"] = request_id
    return result


def _log_error(result: dict[str, Any]) -> None:
    """The error as ONE log record, as AWS writes it: the frames' own newlines become \r too."""
    lines = [f"[ERROR] {result['errorType']}: {result['errorMessage']}"]
    if result.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in result["stackTrace"])
    sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")


def _max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _await_debugger(setting: str) -> None:
    """``PORT:DIR``: import debugpy from DIR (the server's environment, on sys.path only for
    that import), listen on 127.0.0.1:PORT and wait for a debugger to attach."""
    port, _, where = setting.partition(":")
    sys.path.append(where)
    try:
        import debugpy
    finally:
        sys.path.remove(where)
    debugpy.listen(("127.0.0.1", int(port)), in_process_debug_adapter=True)
    debugpy.wait_for_client()


class Runtime:
    """Loads the handler once, then runs invocations (one at a time, as Lambda does)."""

    def __init__(self, handler_name: str) -> None:
        self.handler_name = handler_name
        self.handler: Callable[[Any, Context], Any] | None = None
        self.fault: Fault | None = None

    def init(self) -> None:
        """Import the handler. Faults are replayed on every invoke (as AWS); others propagate."""
        try:
            self.handler = load_handler(self.handler_name)
        except Fault as f:
            self.fault = f

    def invoke(self, request_id: str, payload: bytes, ctx: Context) -> tuple[bool, bytes]:
        """(ok, response bytes). Not ok means the bytes are an error object."""
        _request_filter.request_id = request_id
        try:
            if self.fault is not None:
                raise self.fault
            event = json.loads(payload) if payload else {}
            assert self.handler is not None
            if "_OVIS_DEBUGPY" in os.environ:  # `ovis invoke --debug`: the first invoke waits
                _await_debugger(os.environ.pop("_OVIS_DEBUGPY"))
            result = self.handler(event, ctx)
            try:
                body = json.dumps(result).encode()
            except (TypeError, ValueError) as e:
                raise Fault("Runtime.MarshalError", f"Unable to marshal response: {e}") from None
            return True, body
        except Exception as e:
            err = _error_result(e, request_id)
            _log_error(err)
            return False, json.dumps(err).encode()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()


# --- transport: private channel -------------------------------------------------------------


def serve_channel(sock: socket.socket, handler_name: str) -> None:
    rt = Runtime(handler_name)
    t0 = time.monotonic()
    try:
        rt.init()
    except BaseException as e:  # an exception raised while importing user code
        err = _error_result(e, None)
        _log_error(err)
        sys.stdout.flush()
        sock.sendall(wire.encode(wire.INIT_ERROR, err))
        os._exit(1)
    sys.stdout.flush()
    sock.sendall(wire.encode(wire.READY, {"init_ms": (time.monotonic() - t0) * 1000}))
    buf = bytearray()
    while True:
        frame = wire.decode(buf)
        while frame is None:
            chunk = sock.recv(65536)  # 64 KiB: a larger buffer is an mmap per call
            if not chunk:
                os._exit(0)  # server went away
            buf += chunk
            frame = wire.decode(buf)
        _kind, head, payload, used = frame
        del buf[:used]
        ctx = Context(
            head["id"],
            head["deadline"],
            head["arn"],
            head.get("cc"),
            head.get("ci"),
            head.get("tenant"),
        )
        # boto3 forwards this as X-Amzn-Trace-Id: it carries the recursion Lineage
        os.environ["_X_AMZN_TRACE_ID"] = head.get("trace", "")
        ok, body = rt.invoke(head["id"], payload, ctx)
        sock.sendall(
            wire.encode(
                wire.RESULT if ok else wire.ERROR, {"id": head["id"], "rss": _max_rss_kb()}, body
            )
        )


# --- transport: Runtime API over HTTP -------------------------------------------------------


class RuntimeApiClient:
    """A small, keep-alive client of the Lambda Runtime API (2018-06-01)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port))
        self.conn.connect()
        assert self.conn.sock is not None
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> http.client.HTTPResponse:
        self.conn.request(method, "/2018-06-01/runtime" + path, body=body, headers=headers or {})
        return self.conn.getresponse()

    def next(self) -> tuple[bytes, dict[str, str]]:
        resp = self._call("GET", "/invocation/next")
        body = resp.read()
        return body, {k.lower(): v for k, v in resp.getheaders()}

    def post(self, path: str, body: bytes, error_type: str | None = None) -> None:
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        self._call("POST", path, body, headers).read()


def serve_http(address: str, handler_name: str) -> None:
    client = RuntimeApiClient(address)
    rt = Runtime(handler_name)
    try:
        rt.init()
    except BaseException as e:
        err = _error_result(e, None)
        _log_error(err)
        sys.stdout.flush()
        client.post("/init/error", json.dumps(err).encode(), "Runtime.Unknown")
        os._exit(1)
    while True:
        payload, h = client.next()
        rid = h["lambda-runtime-aws-request-id"]
        cc = h.get("lambda-runtime-client-context")
        ci = h.get("lambda-runtime-cognito-identity")
        ctx = Context(
            rid,
            int(h["lambda-runtime-deadline-ms"]),
            h.get("lambda-runtime-invoked-function-arn", ""),
            json.loads(cc) if cc else None,
            json.loads(ci) if ci else None,
            h.get("lambda-runtime-aws-tenant-id"),
        )
        os.environ["_X_AMZN_TRACE_ID"] = h.get("lambda-runtime-trace-id", "")
        ok, body = rt.invoke(rid, payload, ctx)
        if ok:
            client.post(f"/invocation/{rid}/response", body)
        else:
            client.post(f"/invocation/{rid}/error", body, json.loads(body)["errorType"])


def main(channel_fd: int | None = None, sdk_dir: str | None = None) -> None:
    """Instance entry point after process setup: from the zygote, or as a fresh interpreter
    (``python -I -S bootstrap.py SDK_DIR``)."""
    if sdk_dir is None:
        sdk_dir = sys.argv[1] if len(sys.argv) > 1 else ""
    setup_process(sdk_dir)
    handler = os.environ["_HANDLER"]
    if channel_fd is None and os.environ.get("_OVIS_CHANNEL_FD"):
        channel_fd = int(os.environ.pop("_OVIS_CHANNEL_FD"))
    if channel_fd is not None:
        serve_channel(socket.socket(fileno=channel_fd), handler)
    else:
        serve_http(os.environ["AWS_LAMBDA_RUNTIME_API"], handler)


if __name__ == "__main__":
    main()
