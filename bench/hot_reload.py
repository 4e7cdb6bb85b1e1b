"""Hot reload: how long from saving a file under `ovis dev` to the new code answering an invoke.

A script, not a test. Starts its own Ovis server, creates a Python function, runs the real
`ovis dev DIR --name F` command, then N times: writes app.py with a new marker (write + close,
as an editor's save), and invokes in a loop until the answer carries that marker. The time from
the save to that answer includes the kernel's inotify event, the server retiring the old
instances and the new instance's cold start; the invoke loop itself adds under a millisecond.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ACCESS_KEY,
    SECRET_KEY,
    lambda_client,
    machine_info,
    percentile,
    print_table,
    project_python,
    start_ovis,
    write_results,
)

APP = "def handler(event, context):\n    return {marker!r}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=50, help="saves to measure")
    args = parser.parse_args()
    server, url = start_ovis()
    src = Path(tempfile.mkdtemp(prefix="bench-hot-"))
    src.chmod(0o755)
    dev = None
    try:
        lam = lambda_client(url)
        (src / "app.py").write_text(APP.format(marker="m0"))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", APP.format(marker="deployed"))
        lam.create_function(
            FunctionName="hot",
            Runtime="python3.11",
            Role="arn:aws:iam::000000000000:role/r",
            Handler="app.handler",
            Code={"ZipFile": buf.getvalue()},
        )
        lam.get_waiter("function_active_v2").wait(FunctionName="hot", WaiterConfig={"Delay": 0.05})
        env = dict(
            os.environ,
            OVIS_ENDPOINT_URL=url,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            PYTHONUNBUFFERED="1",
        )
        dev = subprocess.Popen(
            [project_python(), "-m", "ovis", "dev", str(src), "--name", "hot"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert dev.stdout is not None
        line = dev.stdout.readline()
        assert "Serving" in line, line

        def answer() -> str:
            return str(json.loads(lam.invoke(FunctionName="hot")["Payload"].read()))

        deadline = time.monotonic() + 30
        while answer() != "m0":
            assert time.monotonic() < deadline
        samples: list[float] = []
        invokes: list[int] = []
        for i in range(1, args.n + 1):
            marker = f"m{i}"
            (src / "app.py").write_text(APP.format(marker=marker))
            saved = time.perf_counter()
            count = 1
            while answer() != marker:
                count += 1
                assert time.perf_counter() - saved < 10, "save never served"
            samples.append((time.perf_counter() - saved) * 1000)
            invokes.append(count)
        rows = [
            [
                str(args.n),
                f"{percentile(samples, 50):.1f}",
                f"{percentile(samples, 99):.1f}",
                f"{max(samples):.1f}",
                f"{sum(invokes) / len(invokes):.2f}",
            ]
        ]
        headers = ["saves", "p50 (ms)", "p99 (ms)", "max (ms)", "invokes per save"]
        print_table(headers, rows)
        write_results(
            "hot_reload",
            {"machine": machine_info(), "samples_ms": samples, "invokes_per_save": invokes},
        )
    finally:
        if dev is not None:
            dev.terminate()
            dev.wait(30)
        server.stop()


if __name__ == "__main__":
    main()
