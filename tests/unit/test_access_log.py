"""The access log: lines gathered without I/O, written in order by a supervised step."""

from __future__ import annotations

import asyncio
import io
import re

from ovis.frontdoor.access_log import LOOP, MAX_PENDING, AccessLog
from ovis.supervisor import Supervisor


def test_lines_are_written_in_order_in_the_log_format() -> None:
    out = io.StringIO()
    log = AccessLog(Supervisor(), out, interval_s=0.001, enabled=True)

    async def main() -> None:
        await log.start()
        log.record("lambda", "Invoke", 200, 0.4567, "r1")
        log.record("sqs", "SendMessage", 400, 1.0, "r2", " InvalidParameterValue: bad")
        while out.getvalue().count("\n") < 2:
            await asyncio.sleep(0.001)
        await log.close()

    asyncio.run(main())
    first, second = out.getvalue().splitlines()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO ovis.access: lambda.Invoke 200 0.46ms r1",
        first,
    )
    assert second.endswith("sqs.SendMessage 400 1.00ms r2 InvalidParameterValue: bad")


def test_disabled_records_nothing_and_runs_no_loop() -> None:
    sup = Supervisor()
    log = AccessLog(sup, io.StringIO(), enabled=False)

    async def main() -> None:
        await log.start()
        log.record("lambda", "Invoke", 200, 1.0, "r")
        assert LOOP not in sup.health()["components"]
        await log.close()

    asyncio.run(main())
    assert log.stream is not None and log.stream.getvalue() == ""  # type: ignore[attr-defined]


def test_pending_lines_are_bounded() -> None:
    out = io.StringIO()
    log = AccessLog(Supervisor(), out, enabled=True)
    for i in range(MAX_PENDING + 5):
        log.record("lambda", "Invoke", 200, 1.0, str(i))
    log.flush()
    lines = out.getvalue().splitlines()
    assert len(lines) == MAX_PENDING + 1
    assert lines[-1].endswith("5 access lines dropped (log stream full)")
