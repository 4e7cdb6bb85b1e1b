"""`ovis logs` and `ovis invoke --logs` against a live server: multi-line records, timestamps,
--filter, grouping by request, --since, --follow. Waits poll with a deadline, never sleep."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ovis.cli.logs_view import FilterPattern, RequestTracker, parse_since, record_lines
from tests.conftest import ServerProcess
from tests.integration.test_cli import cli_env, deploy, ovis, uniq, write_function

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}"
LOCAL_LINE = re.compile(rf"^{STAMP}[+-]\d\d:\d\d ")
UTC_LINE = re.compile(rf"^{STAMP}Z ")

RAISES = """
def handler(event, context):
    print('about to fail')
    raise ValueError('kaboom')
"""

WORDS = """
def handler(event, context):
    for word in event['words']:
        print(word)
    return 'ok'
"""


def poll(check: Callable[[], str | None], what: str, timeout: float = 30) -> str:
    """Call `check` until it returns text, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got is not None:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def logs_until(server: ServerProcess, name: str, needle: str, *args: str) -> str:
    """`ovis logs NAME ARGS` once its output contains `needle`."""

    def check() -> str | None:
        r = ovis(server, "logs", name, *args)
        return r.stdout if r.returncode == 0 and needle in r.stdout else None

    return poll(check, f"{needle!r} in the logs of {name}")


def invoke(server: ServerProcess, name: str, payload: str = "{}") -> None:
    r = ovis(server, "invoke", name, payload)
    assert r.returncode in (0, 1), r.stderr


def groups(stdout: str) -> list[list[str]]:
    """Output split at blank lines."""
    return [block.splitlines() for block in stdout.strip("\n").split("\n\n")]


def request_ids(lines: list[str]) -> set[str]:
    return set(re.findall(r"RequestId: ([0-9a-f-]{36})", "\n".join(lines)))


def test_traceback_is_shown_one_line_per_line(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-tb")
    deploy(server, write_function(tmp_path, RAISES), name)

    r = ovis(server, "invoke", name, "--logs")
    assert r.returncode == 1
    assert "\r" not in r.stderr
    tail = r.stderr.splitlines()
    assert "Traceback (most recent call last):" in tail
    assert "[ERROR] ValueError: kaboom" in tail

    out = logs_until(server, name, "kaboom")
    assert "\r" not in out
    lines = out.splitlines()
    error = next(i for i, line in enumerate(lines) if "[ERROR] ValueError: kaboom" in line)
    assert LOCAL_LINE.match(lines[error]), lines[error]
    # The next line of the same record stands alone, indented under the timestamp.
    assert lines[error + 1].strip() == "Traceback (most recent call last):"
    assert lines[error + 1].startswith(" ")

    utc = ovis(server, "logs", name, "--utc").stdout
    assert any(UTC_LINE.match(line) and "START RequestId" in line for line in utc.splitlines())
    bare = ovis(server, "logs", name, "--no-timestamps").stdout.splitlines()
    assert "Traceback (most recent call last):" in bare and "about to fail" in bare


def test_filter_and_grouping(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-filter")
    deploy(server, write_function(tmp_path, WORDS), name)
    invoke(server, name, '{"words": ["alpha one", "common"]}')
    invoke(server, name, '{"words": ["beta two", "common"]}')
    invoke(server, name, '{"words": ["alpha three", "beta three"]}')
    everything = logs_until(server, name, "beta three", "--no-timestamps")

    # Unfiltered: one block per request, START to REPORT of the same id (plus INIT's own).
    blocks = [b for b in groups(everything) if any("START RequestId" in line for line in b)]
    assert len(blocks) == 3
    for block in blocks:
        assert block[0].startswith("START RequestId") and block[-1].startswith("REPORT")
        assert len(request_ids(block)) == 1
    assert blocks[0][1:3] == ["alpha one", "common"]

    # One term: only matching lines, each group headed by its request.
    out = ovis(server, "logs", name, "--filter", "alpha", "--no-timestamps").stdout
    found = groups(out)
    assert [b[1:] for b in found] == [["alpha one"], ["alpha three"]]
    assert all(re.fullmatch(r"--- request [0-9a-f-]{36} ---", b[0]) for b in found)
    assert {b[0].split()[2] for b in found} == request_ids(blocks[0]) | request_ids(blocks[2])

    # Exclusion, AND of terms, quoted phrase and any-of: CloudWatch's syntax, the server's parser.
    def shown(pattern: str) -> list[str]:
        r = ovis(server, "logs", name, "--filter", pattern, "--no-timestamps")
        assert r.returncode == 0, r.stderr
        return [line for line in r.stdout.splitlines() if line and not line.startswith("---")]

    assert shown("alpha -three") == ["alpha one"]
    assert shown("three beta") == ["beta three"]
    assert shown('"beta two"') == ["beta two"]
    assert shown("?one ?two") == ["alpha one", "beta two"]
    assert shown("common -START -END -REPORT") == ["common", "common"]
    assert shown("nowhere") == []

    r = ovis(server, "logs", name, "--filter", '"unbalanced')
    assert r.returncode == 2 and "Invalid character(s) in term" in r.stderr  # CloudWatch's words


def test_since_takes_durations_and_iso_times(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-since")
    deploy(server, write_function(tmp_path, WORDS), name)
    invoke(server, name, '{"words": ["marker"]}')
    logs_until(server, name, "marker", "--since", "1h")
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert "marker" in ovis(server, "logs", name, "--since", past).stdout
    future = (datetime.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")  # local
    assert ovis(server, "logs", name, "--since", future).stdout.strip() == ""
    r = ovis(server, "logs", name, "--since", "yesterday-ish")
    assert r.returncode == 2 and "invalid duration or time" in r.stderr


def test_follow_prints_new_requests_grouped(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-follow")
    deploy(server, write_function(tmp_path, WORDS), name)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while not any(text in line for line in seen):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} not followed; got {seen}"
            try:
                seen.append(lines.get(timeout=remaining).rstrip("\n"))
            except queue.Empty:
                pass

    with subprocess.Popen(
        [sys.executable, "-m", "ovis", "logs", name, "--follow", "--no-timestamps"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=cli_env(server),
    ) as proc:
        stdout = proc.stdout
        assert stdout is not None

        def read() -> None:  # a thread, so the test can wait with a deadline
            for line in stdout:
                lines.put(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            invoke(server, name, '{"words": ["first follow"]}')
            wait_for("first follow")
            invoke(server, name, '{"words": ["second follow"]}')
            wait_for("second follow")
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0  # Ctrl-C ends --follow cleanly
            reader.join(timeout=30)
    second = seen.index("second follow")
    # A new request: a blank line, then its START line (which names it).
    assert seen[second - 2] == ""
    assert seen[second - 1].startswith("START RequestId")


# --- the pure parts the commands are built on ------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("ERROR", "[ERROR] boom", True),
        ("error", "[ERROR] boom", False),  # case-sensitive, as CloudWatch
        ("ERROR boom", "boom [ERROR]", True),
        ("ERROR -boom", "[ERROR] boom", False),
        ('"a b"', "xa bx", True),
        ('"a b"', "b a", False),
        ("?x ?y", "only y", True),
        ("?x ?y", "neither", False),
        ("", "anything", True),
    ],
)
def test_filter_pattern(pattern: str, message: str, expected: bool) -> None:
    assert FilterPattern.parse(pattern).matches(message) is expected


def test_filter_pattern_is_the_servers_and_is_sent_to_it() -> None:
    assert FilterPattern.parse("ERROR").server_pattern() == "ERROR"
    assert FilterPattern.parse("a -b").server_pattern() == "a -b"
    assert FilterPattern.parse("  ").server_pattern() is None
    json_pattern = FilterPattern.parse('{ $.level = "ERROR" }')
    assert json_pattern.matches('{"level": "ERROR", "n": 1}')
    assert not json_pattern.matches('{"level": "INFO"}')
    assert FilterPattern.parse("[ip, user, status=5*]").matches("1.2.3.4 bob 503")
    with pytest.raises(ValueError, match="Invalid filter pattern"):
        FilterPattern.parse('{ $.level = "ERROR" ')


def test_record_lines_and_since() -> None:
    assert record_lines("a\rb\r  c\n") == ["a", "b", "  c"]
    assert record_lines("one\n") == ["one"]
    now = 1_000_000_000
    assert parse_since("10m", now) == now - 600_000
    assert parse_since("2026-01-01T00:00:00Z", now) == 1_767_225_600_000
    with pytest.raises(ValueError, match="invalid duration or time"):
        parse_since("soon", now)


def test_request_tracker_keys_by_stream() -> None:
    t = RequestTracker()

    def key(stream: str, message: str) -> str:
        return t.key({"logStreamName": stream, "message": message})

    assert key("s1", "INIT_START x").startswith("stream s1")
    assert key("s1", "START RequestId: r1 Version: $LATEST") == "r1"
    assert key("s2", "START RequestId: r2 Version: $LATEST") == "r2"
    assert key("s1", "line of r1") == "r1"
    assert key("s2", "line of r2") == "r2"
    assert key("s1", "REPORT RequestId: r1 Duration: 1 ms") == "r1"
    assert key("s1", "after").startswith("stream s1")
