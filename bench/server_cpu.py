"""CPU per warm invoke over N sequential invokes: the server process's own user+sys time, and
everything but the load client (server, zygote and instance: the machine's busy time from
/proc/stat minus this process's own).

Latency and throughput on a 2-core machine move with whatever else runs; CPU time per request
is steadier, and it is what limits throughput.

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


def busy_s() -> float:
    """Non-idle CPU seconds of the whole machine (all cores) since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_s() -> float:
    t = os.times()
    return t.user + t.system


async def measure(url: str, pid: int, n: int) -> tuple[float, float]:
    """(server process us, all but the client us) per invoke."""
    target = Target(url, invoke_path(FUNCTION_NAME))
    await run_latency(target, 200, 50)  # warm
    server0, busy0, own0 = cpu_s(pid), busy_s(), own_s()
    await run_latency(target, n, 0)
    server = (cpu_s(pid) - server0) / n * 1e6
    rest = ((busy_s() - busy0) - (own_s() - own0)) / n * 1e6
    return server, rest


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
    servers = sorted(r[0] for r in results)
    rests = sorted(r[1] for r in results)
    print("server CPU per warm invoke (us): " + ", ".join(f"{r[0]:.0f}" for r in results))
    print("server+zygote+instance (us):     " + ", ".join(f"{r[1]:.0f}" for r in results))
    print(
        f"median: server {servers[len(servers) // 2]:.0f} us, "
        f"all but the client {rests[len(rests) // 2]:.0f} us"
    )


if __name__ == "__main__":
    main()
