"""Server CPU per warm invoke: the server process's own user+sys time over N sequential invokes.

Latency and throughput on a 2-core machine move with whatever else runs; CPU time spent by
the server process per request is steadier, and it is what limits throughput. Counts only the
`ovis server` process (not the instance, whose time is the function's own work).

  python bench/server_cpu.py                 # 20,000 invokes, 3 rounds
  python bench/server_cpu.py -n 5000 -r 1
"""

from __future__ import annotations

import argparse
import asyncio
import os

from common import create_function, lambda_client, start_ovis
from harness import Target, install_uvloop, invoke_path, run_latency

FUNCTION_NAME = "bench-cpu"


def cpu_s(pid: int) -> float:
    """User + system seconds the process has used (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(url: str, pid: int, n: int) -> float:
    target = Target(url, invoke_path(FUNCTION_NAME))
    await run_latency(target, 200, 50)  # warm
    before = cpu_s(pid)
    await run_latency(target, n, 0)
    return (cpu_s(pid) - before) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=20_000)
    parser.add_argument("-r", "--rounds", type=int, default=3)
    args = parser.parse_args()
    install_uvloop()
    server, url = start_ovis("zygote")
    try:
        create_function(lambda_client(url), FUNCTION_NAME)
        results = [
            asyncio.run(measure(url, server.proc.pid, args.requests)) for _ in range(args.rounds)
        ]
    finally:
        server.stop()
    print("server CPU per warm invoke (us): " + ", ".join(f"{r:.0f}" for r in results))
    print(f"median: {sorted(results)[len(results) // 2]:.0f} us")


if __name__ == "__main__":
    main()
