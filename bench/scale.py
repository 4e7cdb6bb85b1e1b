"""Scaling and footprint: 0 -> 100 concurrent instances, and idle instance memory (USS).

A script, not a test. Starts its own Ovis server, sends 100 concurrent Invokes (pre-signed,
100 keep-alive connections, loopback) of a function that sleeps 2 s, and reports when the
100th instance had finished init relative to the first request. Then, with the instances idle
(frozen), reads each instance's USS (Private_Clean + Private_Dirty from smaps_rollup).
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import lambda_client, machine_info, percentile, print_table, start_ovis, write_results
from harness import Connection, Target, install_uvloop, invoke_path

HANDLER = (
    "import time\nINIT = time.time()\n"
    "def handler(e, c):\n    start = time.time()\n    time.sleep(2)\n"
    "    return {'init': INIT, 'start': start}\n"
)
N = 100


async def burst(target: Target, n: int) -> tuple[float, list[dict[str, float]]]:
    conns = await asyncio.gather(*(Connection.open(target.host, target.port) for _ in range(n)))
    raw = target.raw()
    t0 = time.time()
    try:
        responses = await asyncio.gather(*(c.request(raw) for c in conns))
    finally:
        await asyncio.gather(*(c.close() for c in conns))
    return t0, [json.loads(r.body) for r in responses if r.status == 200]


def instance_pids(server_pid: int) -> list[int]:
    root = Path(f"/sys/fs/cgroup/pids/ovis/{server_pid}")
    pids: list[int] = []
    for group in root.glob("*/cgroup.procs") if root.is_dir() else []:
        pids += [int(p) for p in group.read_text().split()]
    return pids


def uss_kib(pid: int) -> int:
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    except OSError:
        return 0
    return total


def main() -> None:
    install_uvloop()
    server, url = start_ovis()
    try:
        client = lambda_client(url)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", HANDLER)
        client.create_function(
            FunctionName="scale",
            Runtime="python3.11",
            Handler="app.handler",
            Role="arn:aws:iam::000000000000:role/bench",
            Timeout=30,
            Code={"ZipFile": buf.getvalue()},
        )
        client.get_waiter("function_active_v2").wait(
            FunctionName="scale", WaiterConfig={"Delay": 0.1}
        )
        t0, outs = asyncio.run(burst(Target(url, invoke_path("scale")), N))
        inits = sorted(o["init"] - t0 for o in outs)
        distinct = len({o["init"] for o in outs})
        time.sleep(1.5)  # idle: past --freeze-after, instances frozen
        pids = instance_pids(server.proc.pid)
        usses = sorted(uss_kib(p) / 1024 for p in pids)
    finally:
        server.stop()
    result = {
        "instances": distinct,
        "completed": len(outs),
        "last_instance_ready_s": inits[-1] if inits else None,
        "idle_uss_mib_p50": percentile(usses, 50) if usses else None,
        "idle_uss_mib_max": max(usses) if usses else None,
        "instance_processes": len(pids),
    }
    print_table(
        [
            "concurrent invokes",
            "distinct instances",
            "100th instance ready (s)",
            "idle USS p50 (MiB)",
            "idle USS max (MiB)",
        ],
        [
            [
                str(N),
                str(distinct),
                f"{result['last_instance_ready_s']:.3f}",
                f"{result['idle_uss_mib_p50']:.2f}",
                f"{result['idle_uss_mib_max']:.2f}",
            ]
        ],
    )
    write_results("scale", {"machine": machine_info(), **result})


if __name__ == "__main__":
    main()
