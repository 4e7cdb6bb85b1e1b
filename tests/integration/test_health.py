"""Health names a failing component while it fails and recovers with it (issue #10).

A real fault, not a mock: the server's data directory is a small tmpfs that the test fills up,
so SQLite's writes fail with "database or disk is full" until the test frees the space.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import create_python_function, start_server

pytestmark = pytest.mark.privileged


def health(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url + "/_ovis/health", timeout=5) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def wait_for(cond, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path: Path) -> None:
    """Write zeros until the filesystem is full (unbuffered: a buffered file would fail again
    on close, flushing the part of the last chunk that did not fit)."""
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass


def test_health_is_degraded_naming_the_log_sink_while_the_disk_is_full(small_disk: Path) -> None:
    srv = start_server(small_disk / "data")
    try:
        lam = srv.client("lambda")
        create_python_function(lam, "noisy", "def handler(e, c):\n    print('kept-line')\n")
        assert health(srv.url)["status"] == "ok"
        filler = small_disk / "filler"
        fill(filler)
        lam.invoke(FunctionName="noisy", Payload=b"{}")  # its log lines cannot be written
        degraded = wait_for(lambda: (h := health(srv.url))["status"] == "degraded" and h)
        assert degraded["components"]["log-sink"] == "failing"  # type: ignore[index]
        assert "full" in degraded["failing"]["log-sink"]["error"]  # type: ignore[index]
        filler.unlink()
        wait_for(lambda: health(srv.url)["status"] == "ok")
        logs = srv.client("logs")

        def kept() -> bool:
            events = logs.filter_log_events(logGroupName="/aws/lambda/noisy")["events"]
            return any("kept-line" in e["message"] for e in events)

        wait_for(kept)  # the lines waited in memory and were written once the disk had room
        assert "log-sink failed" in srv.log()
    finally:
        srv.stop()
