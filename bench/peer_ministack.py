"""The same warm and cold measurements against ministack, a peer local AWS emulator.

ministack (PyPI) serves the Lambda API and, by default (LAMBDA_EXECUTOR=local), runs Python
functions without Docker in a pool of warm subprocess workers. It is installed into its own
venv, bench/.peer-venv, so its dependencies never mix with the project's. It is started as
`python -m ministack` with GATEWAY_PORT=<free port> BIND_HOST=127.0.0.1 (its documented
settings; see ministack/app.py main()), health at /_ministack/health.

If ministack cannot be installed or does not run, this script says so and exits 0.

  python bench/peer_ministack.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from cold import HEADERS as COLD_HEADERS
from cold import row_for as cold_row
from cold import run_cold
from common import (
    BENCH_DIR,
    Server,
    free_port,
    print_table,
    wait_http_ok,
    write_results,
)
from harness import Target, install_uvloop, invoke_path
from warm import HEADERS as WARM_HEADERS
from warm import WarmSizes, measure, prepare_function
from warm import rows_for as warm_rows

PEER_VENV = BENCH_DIR / ".peer-venv"
PEER_PYTHON = PEER_VENV / "bin" / "python"
WARM_NAME = "bench-warm"
COLD_NAME = "bench-cold"


class PeerUnavailable(Exception):
    """ministack could not be installed or started; the message says why."""


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def peer_version() -> str | None:
    if not PEER_PYTHON.exists():
        return None
    code = "import importlib.metadata as m; print(m.version('ministack'))"
    proc = _run([str(PEER_PYTHON), "-c", code], timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure_peer_venv() -> str:
    """Create bench/.peer-venv with ministack if it is not there; return its version."""
    version = peer_version()
    if version:
        return version
    print(f"installing ministack into {PEER_VENV} ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(PEER_VENV)],
        [str(PEER_PYTHON), "-m", "pip", "install", "-q", "ministack"],
    ]
    for argv in steps:
        try:
            proc = _run(argv, timeout=600)
        except subprocess.TimeoutExpired as exc:
            raise PeerUnavailable(f"`{' '.join(argv)}` timed out") from exc
        if proc.returncode != 0:
            raise PeerUnavailable(f"`{' '.join(argv)}` failed:\n{proc.stderr[-2000:]}")
    version = peer_version()
    if not version:
        raise PeerUnavailable("ministack installed but cannot be imported")
    return version


def start_ministack() -> tuple[Server, str]:
    port = free_port()
    data = tempfile.mkdtemp(prefix="bench-ministack-")
    env = {
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "S3_DATA_DIR": f"{data}/s3",
        "TMPDIR": data,
    }
    argv = [str(PEER_PYTHON), "-m", "ministack"]
    server = Server("ministack", argv, env=env, scratch=[Path(data)])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(url + "/_ministack/health", server, timeout=60)
    except Exception as exc:
        server.stop()
        raise PeerUnavailable(f"ministack did not become healthy: {exc}") from exc
    return server, url


def bench_ministack(sizes: WarmSizes, cold_rounds: int) -> dict:
    """Warm (latency + throughput) and cold measurements; the server is always stopped."""
    version = ensure_peer_venv()
    server, url = start_ministack()
    with server:
        try:
            prepare_function(url, WARM_NAME)
            warm = measure(Target(url, invoke_path(WARM_NAME)), sizes)
            prepare_function(url, COLD_NAME)
            cold = run_cold(url, COLD_NAME, cold_rounds)
        except Exception as exc:
            raise PeerUnavailable(
                f"{exc}\n--- ministack log tail ---\n{server.log_tail()}"
            ) from exc
    return {"version": version, "warm": warm, "cold": cold}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=WarmSizes.requests)
    parser.add_argument("-c", "--concurrency", type=int, default=WarmSizes.concurrency)
    parser.add_argument("-t", "--duration", type=float, default=WarmSizes.duration)
    parser.add_argument("--cold-rounds", type=int, default=50)
    args = parser.parse_args()
    sizes = WarmSizes(requests=args.requests, concurrency=args.concurrency, duration=args.duration)
    install_uvloop()
    try:
        res = bench_ministack(sizes, args.cold_rounds)
    except PeerUnavailable as exc:
        print(f"ministack: NOT MEASURED - {exc}")
        write_results("ministack", {"error": str(exc)})
        return
    name = f"ministack {res['version']}"
    print(f"\n{name}: warm invokes")
    print_table(WARM_HEADERS, warm_rows({name: res["warm"]}))
    print(f"\n{name}: cold starts (UpdateFunctionConfiguration, then one Invoke)")
    print_table(COLD_HEADERS, [cold_row(name, res["cold"])])
    print(f"\nJSON: {write_results('ministack', res)}")


if __name__ == "__main__":
    main()
