"""CPU per instance in proportion to MemorySize (issue #19): a CPU hog leaves its neighbours be.

A 128 MB function spins in 16 processes while a 512 MB neighbour does a fixed piece of work in
50 invokes, timing itself; the neighbour's p99 must stay within 2x of its p99 without the hog,
measured in the same test just before and just after it (the worse of the two: the host's own
noise moves a p99 of 50 samples too). Without a CPU share per instance
the hog's 16 tasks each weigh as much as any of the server's or the neighbour's (issue #19 saw
5.8 -> 36.5 ms); with it, the hog's cgroup as a whole weighs what its memory buys (74 shares)
and is capped at what it buys (7.2% of a vCPU), as on Lambda.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ServerProcess, create_python_function

pytestmark = pytest.mark.privileged

CPU_ROOT = Path("/sys/fs/cgroup/cpu/ovis")

HOG = """
import os, time
def handler(event, context):
    end = time.time() + event["seconds"]
    pids = []
    for _ in range(event["procs"]):
        pid = os.fork()
        if pid == 0:
            while time.time() < end:
                pass
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return len(pids)
"""

NEIGHBOUR = """
import time
def handler(event, context):
    t = time.perf_counter()
    n = 0
    for i in range(50_000):  # a fixed piece of work, a few milliseconds of one CPU
        n += i
    return time.perf_counter() - t
"""


def p99(samples: list[float]) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def neighbour_latencies(lam, name: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The neighbour's own latency for its fixed work, as it measured it, over n invokes."""
    out = []
    for _ in range(n):
        r = lam.invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" not in r
        out.append(float(json.loads(r["Payload"].read())))
    return out


def instance_groups(server: ServerProcess, shares: int) -> list[Path]:
    """The cpu cgroups of this server's instances that have ``shares`` cpu.shares.

    The server is shared by the tests of one worker, so other 128 MB instances may be there too.
    """
    parent = CPU_ROOT / str(server.proc.pid)
    out = []
    for d in parent.iterdir():
        try:
            if d.is_dir() and int((d / "cpu.shares").read_text()) == shares:
                out.append(d)
        except (FileNotFoundError, ValueError):
            continue  # an instance that went away while we looked
    return out


def tasks(group: Path) -> int:
    try:
        return len((group / "tasks").read_text().split())
    except FileNotFoundError:
        return 0


def test_cpu_hog_does_not_move_a_neighbours_p99_by_more_than_2x(server, lam) -> None:  # type: ignore[no-untyped-def]
    if not (CPU_ROOT / str(server.proc.pid)).is_dir():  # the server makes its group as it starts
        pytest.skip("no cgroup v1 cpu controller for Ovis here")
    hog, nb = (f"wall-{k}-{uuid.uuid4().hex[:8]}" for k in ("hog", "nb"))
    create_python_function(lam, hog, HOG, MemorySize=128, Timeout=90)
    create_python_function(lam, nb, NEIGHBOUR, MemorySize=512, Timeout=30)
    neighbour_latencies(lam, nb, 5)  # warm: the instance exists
    assert instance_groups(server, 512 * 1024 // 1769)  # 1,769 MB = 1024 shares, as AWS
    # Two attempts: the suite runs beside other tests on 2 cores, and their bursts move a p99 of
    # 40 samples by 2x on their own; the claim holds when one attempt shows it.
    results = []
    for _attempt in range(2):
        measured = _measure(server, lam, hog, nb)
        if measured is None:
            continue
        loaded, baseline = measured
        results.append((loaded, baseline))
        if loaded <= 2 * baseline:
            return
    assert results, "no attempt saw the hog's 16 spinners running through the measurement"
    pytest.fail(
        "neighbour p99 under the hog vs without, ms: "
        + ", ".join(f"{a * 1000:.1f} vs {b * 1000:.1f}" for a, b in results)
    )


def _measure(server, lam, hog: str, nb: str) -> tuple[float, float] | None:  # type: ignore[no-untyped-def]
    """(p99 under the hog, p99 without it), the latter the worse of a run before and after."""
    baseline = p99(neighbour_latencies(lam, nb, 40))
    with ThreadPoolExecutor(1) as ex:
        fut = ex.submit(
            lambda: lam.invoke(
                FunctionName=hog, Payload=json.dumps({"seconds": 30, "procs": 16}).encode()
            )
        )
        # a 128 MB instance has 7% of a CPU: its cold start and 16 forks take a while on a busy host
        deadline = time.monotonic() + 40
        while True:  # wait until the hog's 16 spinners are in its cgroup
            spinning = [g for g in instance_groups(server, 128 * 1024 // 1769) if tasks(g) >= 17]
            if spinning:
                group = spinning[0]
                break
            if time.monotonic() > deadline or fut.done():
                return None  # the hog never showed its 16 spinners: this attempt measures nothing
            time.sleep(0.02)  # a poll: a cgroup's task count has no event to wait on
        assert int((group / "cpu.cfs_quota_us").read_text()) == 100_000 * 128 // 1769
        loaded = p99(neighbour_latencies(lam, nb, 40))
        if tasks(group) < 17:
            return None  # the hog ended before the measurement did
        r = fut.result()
        assert json.loads(r["Payload"].read()) == 16
    # the baseline brackets the hog: the machine's own noise moves a p99 in either direction
    return loaded, max(baseline, p99(neighbour_latencies(lam, nb, 40)))
