"""Shared helpers for the benchmark scripts: processes, ports, clients, stats, output.

Everything here talks to loopback addresses only. Every wait loop is bounded by a deadline.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
ROLE_ARN = "arn:aws:iam::000000000000:role/bench-role"
OVIS_SRC_ENV = "OVIS_BENCH_SRC"
HANDLER_SOURCE = 'def handler(e, c):\n    return {"ok": True}\n'


# --------------------------------------------------------------------------- python / ports


def project_python() -> str:
    """The project venv's python once it is installed, else the fallback test venv."""
    venv = ROOT / ".venv"
    installed = any((venv / s).exists() for s in (".server-stamp", ".installed-stamp"))
    if installed and (venv / "bin" / "python").exists():
        return str(venv / "bin" / "python")
    fallback = Path("/tmp/venvtest/bin/python")
    return str(fallback) if fallback.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- processes


class Server:
    """A server subprocess with its log file; stop() is idempotent."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        scratch: Sequence[Path] = (),
    ):
        self.name = name
        self.scratch = list(scratch)  # removed, with the log, by stop()
        self.log_path = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")[1])
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n_chars: int = 2000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-n_chars:]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server, then SIGKILL whatever is left of its own process group."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group was made by start_new_session
        if not self._log.closed:
            self._log.close()
        for path in [*self.scratch, self.log_path]:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_http_ok(url: str, server: Server | None = None, timeout: float = 30.0) -> None:
    """Poll url until it answers 200; raise if the deadline passes or the server dies."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if server is not None and not server.alive():
            raise RuntimeError(f"{server.name} exited early:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
                last_error = f"status {resp.status}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.1)
    tail = server.log_tail() if server else ""
    raise TimeoutError(f"{url} not healthy after {timeout}s ({last_error})\n{tail}")


def start_bare_server(port: int | None = None, cpu: int | None = None) -> tuple[Server, str]:
    """The baseline server in its own process, optionally pinned to one CPU."""
    port = port or free_port()
    argv = [project_python(), str(BENCH_DIR / "bare_server.py"), "--port", str(port)]
    argv += ["--cpu", str(cpu)] if cpu is not None else []
    server = Server("bare", argv)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(url + "/", server, timeout=15)
    except Exception:
        server.stop()
        raise
    return server, url


def ovis_source() -> Path:
    """Where the measured `ovis` package lives: $OVIS_BENCH_SRC (see export_revision) or ROOT."""
    return Path(os.environ.get(OVIS_SRC_ENV) or ROOT)


def export_revision(rev: str) -> Path:
    """Extract a committed revision into a temp dir and point the benchmarks at it.

    The work tree may be mid-edit; a commit is a stable thing to measure. The project venv
    still provides the dependencies; PYTHONPATH and cwd put the exported `ovis` first.
    """
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "ovis"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    dest = Path(tempfile.mkdtemp(prefix=f"bench-ovis-src-{rev[:12]}-"))
    atexit.register(shutil.rmtree, dest, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")
    os.environ[OVIS_SRC_ENV] = str(dest)
    return dest


def start_ovis(spawn_mode: str = "zygote", data_dir: Path | None = None) -> tuple[Server, str]:
    """`python -m ovis server` on a free port with a throwaway data dir; waits for health."""
    port = free_port()
    scratch = [] if data_dir else [Path(tempfile.mkdtemp(prefix=f"bench-ovis-{spawn_mode}-"))]
    data_dir = data_dir or scratch[0]
    argv = [project_python(), "-m", "ovis", "server", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--data-dir", str(data_dir), "--spawn-mode", spawn_mode]
    src = ovis_source()
    env = {"PYTHONPATH": str(src)}
    server = Server(f"ovis-{spawn_mode}", argv, env=env, cwd=src, scratch=scratch)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(url + "/_ovis/health", server, timeout=60)
    except Exception:
        server.stop()
        raise
    return server, url


@contextlib.contextmanager
def pinned(cpu: int | None) -> Iterator[None]:
    """Pin this process (the load client) to one CPU for the block; None leaves it alone."""
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# --------------------------------------------------------------------------- lambda via boto3


def lambda_client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 0}, read_timeout=120, connect_timeout=5),
    )


def handler_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.py", HANDLER_SOURCE)
    return buf.getvalue()


FAST_WAITER = {"Delay": 0.05, "MaxAttempts": 1200}


def create_function(client, name: str, runtime: str = "python3.11") -> None:
    """Create the trivial handler and wait until it is Active."""
    client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE_ARN,
        Handler="index.handler",
        Code={"ZipFile": handler_zip()},
        Timeout=30,
        MemorySize=128,
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST_WAITER)


def check_invoke(client, name: str) -> None:
    resp = client.invoke(FunctionName=name, Payload=b"{}")
    payload = resp["Payload"].read()
    if resp.get("FunctionError") or json.loads(payload) != {"ok": True}:
        raise RuntimeError(f"unexpected invoke result: {resp.get('FunctionError')} {payload!r}")


# --------------------------------------------------------------------------- stats / output


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation); NaN for an empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct * len(ordered) / 100.0))
    return ordered[min(rank, len(ordered)) - 1]


def summarize_ms(samples_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": percentile(samples_ms, 50),
        "p99_ms": percentile(samples_ms, 99),
        "mean_ms": statistics.fmean(samples_ms) if samples_ms else float("nan"),
        "min_ms": min(samples_ms) if samples_ms else float("nan"),
        "max_ms": max(samples_ms) if samples_ms else float("nan"),
    }


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:  # None or NaN
        return "n/a"
    return f"{value:,.{digits}f}"


def fmt_ratio(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None or value != value else f"{value:,.{digits}f}x"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain aligned text table on stdout."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def write_results(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    payload = {"name": name, "time": stamp, "machine": machine_info(), **data}
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_percent(window_s: float = 1.0) -> float:
    """How busy the whole machine was over the window, in percent of all CPUs."""
    try:
        busy0, total0 = _cpu_times()
        time.sleep(window_s)
        busy1, total1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return float("nan")
    return 100.0 * (busy1 - busy0) / max(1, total1 - total0)


class OtherLoad:
    """CPU used on this machine by anything other than this process and its reaped children.

    Machine-wide busy time (/proc/stat) minus our own rusage (self + waited-for children, which
    includes the servers a benchmark started and stopped), as a percent of all CPUs over the
    window. Other engineers' test runs show up here; above ~10% the numbers are disturbed.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        busy, total = _cpu_times()
        ticks = os.sysconf("SC_CLK_TCK")
        ours = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            ours += usage.ru_utime + usage.ru_stime
        return busy / ticks, total / ticks, ours

    def percent(self) -> float:
        busy0, total0, ours0 = self._start
        busy1, total1, ours1 = self._sample()
        others = max(0.0, (busy1 - busy0) - (ours1 - ours0))
        return 100.0 * others / max(1e-9, total1 - total0)


def wait_until_quiet(max_wait_s: float, threshold: float = 10.0) -> float:
    """Wait (bounded) for other work on the machine to stop; return the last busy %."""
    deadline = time.monotonic() + max_wait_s
    busy = busy_percent()
    while busy > threshold and time.monotonic() < deadline:
        busy = busy_percent(2.0)
    return busy


def machine_info() -> dict[str, str]:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
