"""Shared fixtures: a real Ovis server per test session (per xdist worker), and boto3 clients."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"
ACCOUNT = "000000000000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    url: str
    port: int
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    extra_args: tuple[str, ...] = ()

    def client(self, service: str = "lambda", **kw: object) -> object:
        return make_client(self.url, service, **kw)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def make_client(url: str, service: str = "lambda", **kw: object):  # type: ignore[no-untyped-def]
    cfg = Config(retries={"max_attempts": 1}, read_timeout=120, connect_timeout=5)
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=kw.pop("access_key", "test"),  # type: ignore[arg-type]
        aws_secret_access_key=kw.pop("secret_key", "test"),  # type: ignore[arg-type]
        config=kw.pop("config", cfg),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


ROOT = Path(__file__).resolve().parent.parent


def _server_python() -> list[str]:
    """How to start a server: under `coverage run` when `make test` measures coverage (each
    server writes its own data file, combined at the end; see the Makefile)."""
    if os.environ.get("OVIS_TEST_COVERAGE"):
        rc = str(ROOT / "pyproject.toml")
        return [sys.executable, "-m", "coverage", "run", "--parallel-mode", f"--rcfile={rc}"]
    return [sys.executable]


def start_server(data_dir: Path, *extra: str, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"server-{port}.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if os.environ.get("OVIS_TEST_COVERAGE"):
        env["COVERAGE_FILE"] = str(ROOT / ".coverage")
    with open(log_path, "ab") as logf:
        proc = subprocess.Popen(
            [
                *_server_python(),
                "-m",
                "ovis",
                "server",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                *extra,
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/_ovis/health", timeout=1) as r:
                if r.status == 200:
                    return ServerProcess(url, port, data_dir, proc, log_path, extra)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server did not become healthy:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("ovis") / "data")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def lam(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("lambda")


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    """A zip of ``files``, byte-for-byte the same for the same input.

    Entries carry a fixed timestamp: ``writestr`` with a bare name stamps the current time, so two
    zips of the same files built across a second boundary would differ (and so would CodeSha256).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, content)
    return buf.getvalue()


ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"


def create_python_function(lam, name: str, code: str, handler: str = "app.handler", **kw):  # type: ignore[no-untyped-def]
    """Create a python3.11 function from one module's source and wait until it is Active."""
    files = kw.pop("files", None) or {handler.split(".")[0] + ".py": code}
    resp = lam.create_function(
        FunctionName=name,
        Runtime=kw.pop("Runtime", "python3.11"),
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_bytes(files)},
        **kw,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    return resp
