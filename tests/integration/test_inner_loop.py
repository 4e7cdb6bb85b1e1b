"""The inner loop end to end (issue #17): `ovis build`, `ovis dev` hot reload, `ovis invoke --debug`.

Every command runs as a user runs it (a subprocess) against the live session server. Builds use
local sources only (a wheel and an npm tarball made here; pip with --no-index), so they need no
route to a registry. The debugger test speaks the Debug Adapter Protocol over the port the
command prints, as VS Code does, and stops at a breakpoint in the handler.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect as ws_connect

from ovis.cli.packaging import build_zip, package_files
from tests.conftest import ROLE, ServerProcess, create_python_function, zip_bytes
from tests.integration.admin import admin
from tests.integration.test_cli import cli_env, ovis, uniq


def _wheel(folder: Path, name: str, version: str, tag: str, source: str) -> Path:
    """A minimal wheel of one module package (what `pip wheel` would make of it)."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": source,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    out = folder / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(out, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return out


def _npm_tarball(folder: Path, name: str, source: str) -> Path:
    """An npm package tarball (`npm pack`'s layout: everything under package/)."""
    out = folder / f"{name}-1.0.0.tgz"
    with tarfile.open(out, "w:gz") as tf:
        for path, text in {
            "package/package.json": json.dumps({"name": name, "version": "1.0.0"}),
            "package/index.js": source,
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out


def _zip_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


def test_build_resolves_requirements_and_package_json_cached_and_deploys(
    server: ServerProcess, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "tinydep", "1.0", "py3-none-any", "VALUE = 'from-tinydep'\n")
    # only a wheel for this machine's own tag: no manylinux2014 wheel, so a plain install
    _wheel(wheels, "hostonly", "1.0", "cp311-cp311-linux_x86_64", "VALUE = 'host'\n")
    tgz = _npm_tarball(tmp_path, "tinyjs", "module.exports = 'from-tinyjs';\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("tinydep==1.0\n")
    (proj / "package.json").write_text(
        json.dumps({"name": "proj", "version": "1.0.0", "dependencies": {"tinyjs": f"file:{tgz}"}})
    )
    (proj / "app.py").write_text(
        "import tinydep\n\ndef handler(event, context):\n    return {'dep': tinydep.VALUE}\n"
    )
    env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "npm_config_offline": "true"}

    first = ovis(server, "build", str(proj), env=env)
    assert first.returncode == 0, first.stderr
    assert "installed manylinux2014_x86_64 wheels for Python 3.11" in first.stdout
    assert "package.json: npm install --omit=dev" in first.stdout
    names = _zip_names(proj / ".ovis-build" / "package.zip")
    assert {"app.py", "tinydep/__init__.py", "node_modules/tinyjs/index.js"} <= names
    assert not any(n.startswith(".ovis-build/") for n in names)

    second = ovis(server, "build", str(proj), env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("nothing installed") == 2, second.stdout
    assert _zip_names(proj / ".ovis-build" / "package.zip") == names

    # a lock file: npm ci, keyed by the lock's hash (a new cache entry)
    lock = subprocess.run(
        ["npm", "install", "--package-lock-only", "--no-audit", "--no-fund", "--offline"],
        cwd=proj,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lock.returncode == 0, lock.stderr
    third = ovis(server, "build", str(proj), env=env)
    assert third.returncode == 0, third.stderr
    assert "package.json: npm ci --omit=dev" in third.stdout

    name = uniq("built")
    deployed = ovis(server, "deploy", str(proj), "--name", name, env=env)
    assert deployed.returncode == 0, deployed.stderr
    assert "cached" in deployed.stderr
    out = ovis(server, "invoke", name, "--raw")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"dep": "from-tinydep"}

    host = tmp_path / "host"
    host.mkdir()
    (host / "requirements.txt").write_text("hostonly==1.0\n")
    (host / "app.py").write_text("def handler(e, c):\n    return 1\n")
    plain = ovis(server, "build", str(host), "--runtime", "python3.11", env=env)
    assert plain.returncode == 0, plain.stderr
    assert "installed for this machine's platform instead (plain pip install)" in plain.stdout
    assert "hostonly/__init__.py" in _zip_names(host / ".ovis-build" / "package.zip")

    missing = tmp_path / "missing"
    missing.mkdir()
    (missing / "requirements.txt").write_text("nosuchpackage-ovis==9.9\n")
    bad = ovis(server, "build", str(missing), env=env)
    assert bad.returncode == 1
    assert "pip could not resolve" in bad.stderr


def test_package_merges_resolved_dependencies_under_the_functions_own_files(
    tmp_path: Path,
) -> None:
    src, deps = tmp_path / "src", tmp_path / "deps"
    for rel, text in {
        "src/app.py": "own",
        "src/util.py": "own",
        "src/node_modules/stale/index.js": "stale",
        "src/.ovis-build/deps/x.py": "cache",
        "deps/util.py": "dep",
        "deps/lib/__init__.py": "dep",
        "deps/node_modules/fresh/index.js": "fresh",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    files = dict(package_files(src, [deps]))
    assert sorted(files) == [
        "app.py",
        "lib/__init__.py",
        "node_modules/fresh/index.js",
        "util.py",
    ]
    assert files["util.py"].read_text() == "own"  # the function's own file wins a clash
    assert zipfile.ZipFile(io.BytesIO(build_zip(src, deps=[deps]))).namelist() == sorted(files)


def _admin_error(server: ServerProcess, method: str, path: str, body: Any) -> str:
    """The error code of an operator call expected to fail with a 4xx."""
    try:
        admin(server.url, method, path, body)
    except urllib.error.HTTPError as e:
        assert 400 <= e.code < 500, e.code
        return str(e.headers["x-amzn-ErrorType"])
    raise AssertionError(f"{method} {path} {body} succeeded")


def _invoke_text(lam: Any, name: str) -> str:
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    return str(json.loads(resp["Payload"].read()))


def _close(proc: subprocess.Popen[str]) -> None:
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


class Lines:
    """Every line a process writes to `stream`, read by a thread as they come."""

    def __init__(self, stream: Any) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=lambda: [self.lines.put(x) for x in stream])
        self.thread.daemon = True
        self.thread.start()

    def wait_for(self, want: str, deadline_s: float = 30.0) -> str:
        """The first line containing `want`, waiting at most `deadline_s`."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if want in line:
                return line
        raise AssertionError(f"no line with {want!r} within {deadline_s} s: {self.seen}")

    def rest(self) -> str:
        """Everything else, once the process has closed the stream."""
        self.thread.join(30)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


def test_dev_hot_reload_serves_saved_code_and_ctrl_c_restores(
    server: ServerProcess, lam: Any, tmp_path: Path
) -> None:
    name = uniq("dev")
    create_python_function(lam, name, "def handler(e, c):\n    return 'deployed'\n")
    assert _invoke_text(lam, name) == "deployed"
    src = tmp_path / "src"
    src.mkdir()
    src.chmod(0o755)
    (src / "app.py").write_text("def handler(e, c):\n    return 'dev-1'\n")

    # refusals: a folder the instances cannot read, a function that does not exist
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    denied = ovis(server, "dev", str(private), "--name", name)
    assert denied.returncode == 1 and "InvalidParameterValueException" in denied.stderr
    absent = ovis(server, "dev", str(src), "--name", uniq("absent"))
    assert absent.returncode == 1 and "ResourceNotFoundException" in absent.stderr

    for body, code in (
        ({"Path": 5}, "InvalidParameterValueException"),
        ({"Path": "relative/dir"}, "InvalidParameterValueException"),
        ({"Path": str(src / "app.py")}, "InvalidParameterValueException"),
    ):
        assert _admin_error(server, "PUT", f"/dev/mounts/{name}", body) == code
    assert _admin_error(server, "PUT", f"/dev/debug/{name}", {"Port": "x"}) == (
        "InvalidRequestContentException"
    )
    assert _admin_error(server, "PUT", f"/dev/debug/{name}", {"Port": 80}) == (
        "InvalidParameterValueException"
    )

    proc = subprocess.Popen(
        [sys.executable, "-m", "ovis", "dev", str(src), "--name", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(server, {"PYTHONUNBUFFERED": "1"}),
    )
    stdout = Lines(proc.stdout)
    try:
        stdout.wait_for("Serving")
        assert _invoke_text(lam, name) == "dev-1"
        timings = []
        for i in (2, 3):
            (src / "app.py").write_text(f"def handler(e, c):\n    return 'dev-{i}'\n")
            saved = time.monotonic()
            while (got := _invoke_text(lam, name)) != f"dev-{i}":
                assert got == f"dev-{i - 1}", got
                assert time.monotonic() - saved < 2.0, "save not live within 2 s"
            timings.append(time.monotonic() - saved)
        assert max(timings) < 2.0, timings
        # a new module in a new subfolder is picked up too
        (src / "lib").mkdir()
        (src / "lib" / "__init__.py").write_text("WORD = 'sub'\n")
        (src / "app.py").write_text("import lib\ndef handler(e, c):\n    return lib.WORD\n")
        end = time.monotonic() + 2.0
        while _invoke_text(lam, name) != "sub":
            assert time.monotonic() < end, "new subfolder's module not live within 2 s"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert "back to its deployed code" in stdout.rest()
    _close(proc)
    assert _invoke_text(lam, name) == "deployed"
    # a lease not renewed (its `ovis dev` killed) ends the mount by itself
    admin(server.url, "PUT", f"/dev/mounts/{name}", {"Path": str(src), "LeaseSeconds": 0.3})
    admin(server.url, "POST", f"/dev/mounts/{name}/renew")
    end = time.monotonic() + 5
    while _invoke_text(lam, name) != "deployed":
        assert time.monotonic() < end, "the lease did not end the mount"
    assert _admin_error(server, "POST", f"/dev/mounts/{name}/renew", None) == (
        "ResourceNotFoundException"
    )
    assert _admin_error(
        server, "PUT", f"/dev/mounts/{name}", {"Path": str(src), "LeaseSeconds": -1}
    ) == ("InvalidParameterValueException")
    # deleting a mounted function ends its mount: a new function of that name starts clean
    admin(server.url, "PUT", f"/dev/mounts/{name}", {"Path": str(src)})
    listed = admin(server.url, "GET", "/dev/mounts")["Mounts"]
    assert {"FunctionName": name, "Path": str(src.resolve()), "Port": None} in listed
    lam.delete_function(FunctionName=name)
    assert name not in [
        m["FunctionName"] for m in admin(server.url, "GET", "/dev/mounts")["Mounts"]
    ]


class Dap:
    """A minimal Debug Adapter Protocol client (what VS Code speaks to debugpy)."""

    def __init__(self, port: int) -> None:
        end = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < end, f"nothing listens on {port}"
                time.sleep(0.05)  # the instance is still starting: poll with a deadline
        self.seq = 0
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                while len(buf) < length:
                    buf += self.sock.recv(65536)
                body, buf = buf[:length], buf[length:]
                self.messages.put(json.loads(body))
        except OSError:
            return

    def close(self) -> None:
        self.sock.close()

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        msg = {"seq": self.seq, "type": "request", "command": command, "arguments": arguments}
        data = json.dumps(msg).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        return self.seq

    def wait(self, kind: str, name: str, timeout: float = 30.0) -> dict[str, Any]:
        """The next event `name` (kind 'event') or response to command `name`."""
        end = time.monotonic() + timeout
        while True:
            msg = self.messages.get(timeout=max(0.01, end - time.monotonic()))
            key = msg.get("event") if kind == "event" else msg.get("command")
            if msg.get("type") == kind and key == name:
                return msg


def test_invoke_debug_attaches_debugpy_and_stops_at_a_breakpoint(
    server: ServerProcess, lam: Any
) -> None:
    name = uniq("dbg")
    code = "import os\n\ndef handler(event, context):\n    word = 'debugged'\n    return {'word': word, 'root': os.environ['LAMBDA_TASK_ROOT']}\n"
    create_python_function(lam, name, code)
    root = json.loads(lam.invoke(FunctionName=name)["Payload"].read())["root"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ovis", "invoke", name, "--debug", "--raw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(server, {"PYTHONUNBUFFERED": "1"}),
    )
    try:
        stderr = Lines(proc.stderr)
        line = stderr.wait_for("Debugger:")
        port = int(line.split("127.0.0.1:")[1].split()[0])
        dap = Dap(port)
        dap.send("initialize", clientID="ovis-test", adapterID="debugpy", pathFormat="path")
        dap.wait("response", "initialize")
        dap.send("attach", justMyCode=True)
        dap.wait("event", "initialized")
        dap.send("setBreakpoints", source={"path": f"{root}/app.py"}, breakpoints=[{"line": 5}])
        bps = dap.wait("response", "setBreakpoints")
        assert bps["success"], bps
        dap.send("configurationDone")
        stopped = dap.wait("event", "stopped")
        assert stopped["body"]["reason"] == "breakpoint", stopped
        thread = stopped["body"]["threadId"]
        dap.send("stackTrace", threadId=thread)
        frames = dap.wait("response", "stackTrace")["body"]["stackFrames"]
        assert frames[0]["name"] == "handler" and frames[0]["line"] == 5, frames[0]
        dap.send("continue", threadId=thread)
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.wait(timeout=60)
        dap.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr.rest()
    _close(proc)
    assert json.loads(out)["word"] == "debugged"
    # the debug session ended: the next invoke runs on an ordinary instance, at once
    started = time.monotonic()
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read())["word"] == "debugged"
    assert time.monotonic() - started < 10


def _node_runtime() -> str | None:
    node = shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    return f"nodejs{out.stdout.strip().lstrip('v').split('.')[0]}.x"


def test_invoke_debug_node_waits_in_the_inspector_and_stops_in_the_handler(
    server: ServerProcess, lam: Any
) -> None:
    runtime = _node_runtime()
    if runtime is None:
        pytest.skip("node is not installed")
    name = uniq("dbgnode")
    code = "export const handler = async (event) => {\n  const word = 'inspected';\n  return { word };\n};\n"
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": zip_bytes({"index.mjs": code})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    proc = subprocess.Popen(
        [sys.executable, "-m", "ovis", "invoke", name, "--debug", "--raw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(server, {"PYTHONUNBUFFERED": "1"}),
    )
    stderr = Lines(proc.stderr)
    try:
        port = int(stderr.wait_for("Debugger:").split("127.0.0.1:")[1].split()[0])
        end = time.monotonic() + 10
        while True:  # the inspector's target list, once node is up (poll with a deadline)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    targets = json.loads(r.read())
                break
            except OSError:
                assert time.monotonic() < end, "no inspector on the printed port"
                time.sleep(0.05)
        with ws_connect(targets[0]["webSocketDebuggerUrl"], open_timeout=5) as ws:
            seq = iter(range(1, 1000))

            def call(method: str, **params: Any) -> None:
                ws.send(json.dumps({"id": next(seq), "method": method, "params": params}))

            def paused() -> dict[str, Any]:
                while True:
                    msg = json.loads(ws.recv(timeout=20))
                    if msg.get("method") == "Debugger.paused":
                        return dict(msg["params"])

            call("Debugger.enable")
            call("Debugger.setBreakpointByUrl", lineNumber=1, urlRegex=r"index\.mjs$")
            call("Runtime.runIfWaitingForDebugger")
            first = paused()  # --inspect-brk: paused before the runtime's first line
            if not first.get("hitBreakpoints"):
                call("Debugger.resume")
                first = paused()
            assert first["hitBreakpoints"], first
            assert first["callFrames"][0]["functionName"] == "handler", first["callFrames"][0]
            call("Debugger.resume")
            assert proc.stdout is not None
            out = proc.stdout.read()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr.rest()
    _close(proc)
    assert json.loads(out) == {"word": "inspected"}
