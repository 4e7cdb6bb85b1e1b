"""The console's Monitor and Logs tabs in a real browser: charts whose totals equal
GetMetricData's sums after a known set of invokes (some erroring), and a live log tail where a
line printed by an invoke appears within 3 s of the invoke's return, with a filter pattern that
hides what does not match; with no browser console error and no request to another origin."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import create_python_function
from tests.integration.browser import Watched, shot, sign_in

APP = """
def handler(event, context):
    if event.get("say"):
        print(event["say"])
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
"""


def _wait_for(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _sums(cw: Any, name: str) -> dict[str, float]:
    """GetMetricData's sums of the function's Sum-statistic metrics over the last 15 minutes."""
    now = datetime.now(UTC)
    dims = [{"Name": "FunctionName", "Value": name}]
    metrics = {
        "inv": "Invocations",
        "err": "Errors",
        "thr": "Throttles",
        "drop": "AsyncEventsDropped",
    }
    out = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": i,
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": m, "Dimensions": dims},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
            for i, m in metrics.items()
        ],
        StartTime=now - timedelta(minutes=15),
        EndTime=now + timedelta(minutes=1),
    )["MetricDataResults"]
    return {r["Id"]: float(sum(r["Values"])) for r in out}


def _polls(page: Any) -> int:
    """How many tail polls the Logs tab has answered so far."""
    return int(page.locator("#logs-status").get_attribute("data-polls") or 0)


def _total(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def test_monitor_totals_equal_get_metric_data(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    cw = server.client("cloudwatch")
    name = f"mon-{uuid.uuid4().hex[:8]}"
    create_python_function(lam, name, APP)
    for _ in range(4):
        assert "FunctionError" not in lam.invoke(FunctionName=name, Payload=b"{}")
    for _ in range(2):
        assert lam.invoke(FunctionName=name, Payload=b'{"fail": true}')["FunctionError"]
    sums = _wait_for(lambda: (s := _sums(cw, name))["inv"] == 6 and s["err"] == 2 and s)
    assert sums, _sums(cw, name)

    page = browser_page.page
    page.clock.install()  # real time flows; fast_forward() stands in for waiting a minute
    sign_in(page, server.url)
    page.goto(f"{server.url}/console/#/functions/{name}/monitor/15m")
    expect(page.locator("#mon-total-invocations")).to_have_text(_total(sums["inv"]))
    expect(page.locator("#mon-total-errors")).to_have_text(_total(sums["err"]))
    expect(page.locator("#mon-total-throttles")).to_have_text(_total(sums["thr"]))
    expect(page.locator("#mon-total-dropped")).to_have_text(_total(sums["drop"]))
    # AWS's success-rate expression over the same window: 100 - 100 * 2 / 6
    expect(page.locator("#mon-rate-success")).to_have_text("66.67 %")
    # every chart is drawn, the invocations with a hover title per datapoint
    expect(page.locator("#mon-charts figure.mon-chart")).to_have_count(9)
    points = page.locator("#mon-chart-invocations circle.mon-point")
    expect(points.first).to_be_attached()
    titles = points.locator("title").all_text_contents()
    assert titles and all(t.startswith("Invocations: ") for t in titles)
    assert sum(float(t.split(": ")[1].split(" ")[0]) for t in titles) == sums["inv"]
    expect(page.locator("#mon-peak-duration")).to_contain_text(" ms")
    shot(page, "mon-monitor")

    # another range is another period over the same datapoints: the same totals
    page.click("#mon-range-1h")
    expect(page.locator("#mon-range-1h")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#mon-updated")).to_contain_text("period 1 min")
    expect(page.locator("#mon-total-invocations")).to_have_text(_total(sums["inv"]))
    # a refresh sees an invoke made since
    lam.invoke(FunctionName=name, Payload=b"{}")
    assert _wait_for(lambda: _sums(cw, name)["inv"] == 7)
    page.click("#mon-refresh")
    expect(page.locator("#mon-total-invocations")).to_have_text("7")
    expect(page.locator("#mon-rate-success")).to_have_text("71.43 %")

    # left open, the tab refreshes itself every 60 s
    lam.invoke(FunctionName=name, Payload=b'{"fail": true}')
    assert _wait_for(lambda: _sums(cw, name)["inv"] == 8)
    page.clock.fast_forward(61_000)
    expect(page.locator("#mon-total-invocations")).to_have_text("8")
    expect(page.locator("#mon-total-errors")).to_have_text("3")

    # and stops once left: a minute later, no GetMetricData from the page
    page.click("#tab-overview")
    expect(page.locator("#overview")).to_be_visible()
    asked: list[str] = []  # from here on: a poll in flight at the click was sent before it
    page.on("request", lambda r: asked.append(r.url) if "/call/cloudwatch/" in r.url else None)
    page.clock.fast_forward(125_000)
    page.evaluate("() => fetch('/console/api/session').then((r) => r.json())")  # a round trip
    assert asked == []


def test_logs_tail_live_with_a_filter(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    name = f"logs-{uuid.uuid4().hex[:8]}"
    create_python_function(lam, name, APP)
    page = browser_page.page
    page.clock.install()  # real time flows; fast_forward() shows the polls stop when left
    sign_in(page, server.url)
    page.goto(f"{server.url}/console/#/functions/{name}/logs")
    expect(page.locator("#logs-group")).to_have_text(f"/aws/lambda/{name}")
    # no invoke yet: no group, and the tab keeps asking
    expect(page.locator("#logs-status")).to_contain_text("No logs yet")

    marker = f"marker-{uuid.uuid4().hex}"
    lam.invoke(FunctionName=name, Payload=f'{{"say": "{marker}"}}'.encode())
    # measured from the invoke's return
    expect(page.locator("#logs-lines")).to_contain_text(marker, timeout=3000)
    line = page.locator("#logs-lines tr", has_text=marker)
    polls = _polls(page)
    assert _wait_for(lambda: _polls(page) >= polls + 3, timeout=10)
    expect(line).to_have_count(1)  # asked again and again from the same time, shown once
    expect(line.locator(".logs-stream")).to_contain_text("[$LATEST]")
    expect(page.locator("#logs-lines")).to_contain_text("REPORT RequestId:")

    other = f"other-{uuid.uuid4().hex}"
    lam.invoke(FunctionName=name, Payload=f'{{"say": "{other}"}}'.encode())
    expect(page.locator("#logs-lines")).to_contain_text(other, timeout=3000)
    shot(page, "logs-tail")

    # the filter (a CloudWatch filter pattern, applied by the server) hides what does not match
    page.fill("#logs-filter", f'"{marker}"')
    expect(page.locator("#logs-lines tr", has_text=other)).to_have_count(0)
    expect(page.locator("#logs-lines tr", has_text=marker)).to_have_count(1)
    expect(page.locator("#logs-lines tr")).to_have_count(1)
    # and stays live: a matching line arrives, a non-matching one does not
    lam.invoke(FunctionName=name, Payload=f'{{"say": "{other} again"}}'.encode())
    lam.invoke(FunctionName=name, Payload=f'{{"say": "{marker} again"}}'.encode())
    expect(page.locator("#logs-lines")).to_contain_text(f"{marker} again", timeout=3000)
    expect(page.locator("#logs-lines tr", has_text=other)).to_have_count(0)
    shot(page, "logs-filter")

    # paused, nothing is asked; resumed, it catches up
    page.click("#logs-pause")
    expect(page.locator("#logs-pause")).to_have_text("Resume")
    expect(page.locator("#logs-status")).to_have_text("Paused")
    polls = page.locator("#logs-status").get_attribute("data-polls")
    lam.invoke(FunctionName=name, Payload=f'{{"say": "{marker} after pause"}}'.encode())
    assert page.locator("#logs-status").get_attribute("data-polls") == polls
    page.click("#logs-pause")
    expect(page.locator("#logs-lines")).to_contain_text(f"{marker} after pause", timeout=3000)

    # a burst bigger than the view keeps: the newest 2,000 lines, followed to the bottom
    logs = server.client("logs")
    group = f"/aws/lambda/{name}"
    logs.create_log_stream(logGroupName=group, logStreamName="bulk")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="bulk",
        logEvents=[{"timestamp": now, "message": f"{marker} bulk {i}"} for i in range(2500)],
    )
    expect(page.locator("#logs-lines tr").last).to_contain_text(f"{marker} bulk 2499")
    expect(page.locator("#logs-lines tr")).to_have_count(2000)
    expect(page.locator("#logs-lines tr").first).to_contain_text(f"{marker} bulk 500")
    at_bottom = "(v) => v.scrollTop + v.clientHeight >= v.scrollHeight - 8"
    assert page.locator("#logs-view").evaluate(at_bottom)
    # Clear empties the view; the tail goes on
    page.click("#logs-clear")
    expect(page.locator("#logs-lines tr")).to_have_count(0)
    lam.invoke(FunctionName=name, Payload=f'{{"say": "{marker} after clear"}}'.encode())
    expect(page.locator("#logs-lines tr")).to_have_count(1, timeout=3000)
    expect(page.locator("#logs-lines")).to_contain_text(f"{marker} after clear")

    # leaving the tab stops the tail: ten seconds later, no Logs call from the page
    page.click("#tab-overview")
    expect(page.locator("#overview")).to_be_visible()
    asked: list[str] = []  # from here on: a poll in flight at the click was sent before it
    page.on("request", lambda r: asked.append(r.url) if "/call/logs/" in r.url else None)
    page.clock.fast_forward(10_000)
    page.evaluate("() => fetch('/console/api/session').then((r) => r.json())")  # a round trip
    assert asked == []


def test_filter_log_events_pages_wide_and_narrow_windows_alike(server) -> None:  # type: ignore[no-untyped-def]
    """The reads a tail makes each second and a tool paging a whole group go by different
    indexes (ovis/storage/sqlite/logs.py); both give every event once, in order."""
    logs = server.client("logs")
    group, stream = f"/ovis/mon-{uuid.uuid4().hex[:8]}", "s"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    n = 6000  # more than the narrow-window bound, so the first pages walk by id
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now - n + i, "message": f"e{i}"} for i in range(n)],
    )
    got: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": now - n, "limit": 1000}
    while True:
        page = logs.filter_log_events(**kwargs)
        got += [e["message"] for e in page["events"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert got == [f"e{i}" for i in range(n)]
    tail = logs.filter_log_events(logGroupName=group, startTime=now - 3)["events"]
    assert [e["message"] for e in tail] == [f"e{i}" for i in range(n - 3, n)]
    picked = logs.filter_log_events(logGroupName=group, startTime=now - n, filterPattern="e5999")
    assert [e["message"] for e in picked["events"]] == ["e5999"]
