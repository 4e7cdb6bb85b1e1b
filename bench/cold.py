"""Cold-start latency as the client sees it, for Ovis zygote and exec spawn modes.

Each round forces a cold start the way AWS does: UpdateFunctionConfiguration (a new env var
value), wait for `function_updated_v2`, then time exactly one Invoke with the harness (one
pre-signed request, `X-Amz-Log-Type: Tail`, fresh connection; the connect is not timed).
The server-side Init Duration is read from the REPORT line in the returned log tail.

  python bench/cold.py -n 50                  # zygote and exec
  python bench/cold.py --modes zygote -n 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
from collections.abc import Callable

from common import (
    FAST_WAITER,
    fmt,
    lambda_client,
    print_table,
    start_ovis,
    summarize_ms,
    write_results,
)
from harness import Response, Target, install_uvloop, invoke_path, single_request
from warm import prepare_function

FUNCTION_NAME = "bench-cold"
INIT_RE = re.compile(r"Init Duration: ([0-9.]+) ms")


def force_cold(client, name: str, round_no: int) -> None:
    """A configuration change recycles every instance of the function."""
    client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"BENCH_COLD_ROUND": str(round_no)}}
    )
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST_WAITER)


def init_duration_ms(resp: Response) -> float | None:
    """Init Duration from the base64 log tail in X-Amz-Log-Result, if the server sent one."""
    encoded = resp.header("x-amz-log-result")
    if not encoded:
        return None
    log = base64.b64decode(encoded).decode("utf-8", errors="replace")
    match = INIT_RE.search(log)
    return float(match.group(1)) if match else None


def check_response(resp: Response) -> None:
    if resp.status != 200 or resp.header("x-amz-function-error"):
        raise RuntimeError(f"cold invoke failed: {resp.status} {resp.body[:300]!r}")
    if json.loads(resp.body) != {"ok": True}:
        raise RuntimeError(f"cold invoke returned {resp.body[:300]!r}")


def run_cold(
    endpoint: str, name: str, rounds: int, on_round: Callable[[int], None] | None = None
) -> dict:
    """`rounds` forced cold starts; client-observed ms and server Init Duration per round."""
    client = lambda_client(endpoint)
    target = Target(endpoint, invoke_path(name), extra_headers={"X-Amz-Log-Type": "Tail"})
    client_ms: list[float] = []
    init_ms: list[float] = []
    with asyncio.Runner() as runner:
        for i in range(rounds):
            force_cold(client, name, i)
            elapsed, resp = runner.run(single_request(target))
            check_response(resp)
            client_ms.append(elapsed)
            init = init_duration_ms(resp)
            if init is not None:
                init_ms.append(init)
            if on_round:
                on_round(i)
    return {
        "client": summarize_ms(client_ms),
        "init_duration": summarize_ms(init_ms),
        "rounds_with_init_duration": len(init_ms),
        "samples_ms": client_ms,
    }


def bench_ovis_cold(spawn_mode: str, rounds: int) -> dict:
    server, url = start_ovis(spawn_mode)
    with server:
        prepare_function(url, FUNCTION_NAME)
        return run_cold(url, FUNCTION_NAME, rounds)


HEADERS = ["target", "cold p50 ms", "cold p99 ms", "mean ms", "init p50 ms", "init p99 ms", "n"]


def row_for(name: str, res: dict) -> list[str]:
    c, i = res["client"], res["init_duration"]
    n = f"{c['n']} ({res['rounds_with_init_duration']} w/ Init Duration)"
    return [
        name,
        fmt(c["p50_ms"]),
        fmt(c["p99_ms"]),
        fmt(c["mean_ms"]),
        fmt(i["p50_ms"]),
        fmt(i["p99_ms"]),
        n,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="zygote,exec", help="comma-separated spawn modes")
    parser.add_argument("-n", "--rounds", type=int, default=50)
    args = parser.parse_args()
    install_uvloop()

    results = {
        f"ovis-{mode}": bench_ovis_cold(mode, args.rounds)
        for mode in filter(None, args.modes.split(","))
    }
    print("\ncold starts (client-observed Invoke after UpdateFunctionConfiguration)")
    print_table(HEADERS, [row_for(name, res) for name, res in results.items()])
    path = write_results("cold", {"rounds": args.rounds, "results": results})
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
