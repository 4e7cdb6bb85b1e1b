"""Response streaming: the Runtime API's streaming mode, RESPONSE_STREAM function URLs and
InvokeWithResponseStream, with a custom runtime (provided.al2023) whose bootstrap, written in
Python, posts its response in chunks and sleeps between them.

The point of streaming is that the client has the first bytes while the function still runs: the
tests measure when each chunk arrives against when the response ends.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import sys
import time
import uuid
import zipfile

import pytest

from tests.conftest import ROLE, create_python_function
from tests.integration.urls import Url, public_url

GAP_S = 0.6  # the function sleeps this long between chunks
RUNTIME = r'''
import base64, http.client, json, os, time

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
API = "/2018-06-01/runtime"
GAP = float(os.environ.get("GAP", "0.6"))
conn = http.client.HTTPConnection(host, int(port))


def post_stream(rid, chunks, content_type, trailers=None, gap=GAP):
    """A streamed response: chunked transfer encoding, one HTTP chunk per item, with a pause
    after each; error trailers at the end when given. Returns the Runtime API's status."""
    conn.putrequest("POST", f"{API}/invocation/{rid}/response")
    conn.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", content_type)
    conn.putheader("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
    conn.endheaders()
    for i, data in enumerate(chunks):
        conn.send(b"%x\r\n%s\r\n" % (len(data), data))
        if i < len(chunks) - 1:
            time.sleep(gap)
    end = b"0\r\n"
    for k, v in (trailers or {}).items():
        end += f"{k}: {v}\r\n".encode()
    conn.send(end + b"\r\n")
    r = conn.getresponse()
    r.read()
    return r.status


while True:
    conn.request("GET", f"{API}/invocation/next")
    r = conn.getresponse()
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(r.read())
    mode = (event.get("queryStringParameters") or {}).get("mode") or event.get("mode", "http")
    parts = [f"part {i} at {time.time():.3f}\n".encode() for i in range(3)]
    if mode == "http":  # awslambda.HttpResponseStream.from(): prelude, 8 NULs, body
        prelude = {"statusCode": 201, "headers": {"Content-Type": "text/plain", "X-Stream": "1"},
                   "cookies": ["s=1"]}
        first = json.dumps(prelude).encode() + b"\0" * 8
        post_stream(rid, [first + parts[0], parts[1], parts[2]],
                    "application/vnd.awslambda.http-integration-response")
    elif mode == "plain":
        post_stream(rid, parts, "text/event-stream")
    elif mode == "error":  # fails after the first chunk: the error travels in the trailers
        body = base64.b64encode(json.dumps({"errorType": "StreamBroke",
                                            "errorMessage": "gave up midway"}).encode()).decode()
        post_stream(rid, parts[:2], "application/octet-stream",
                    {"Lambda-Runtime-Function-Error-Type": "StreamBroke",
                     "Lambda-Runtime-Function-Error-Body": body})
    elif mode == "early-error":  # fails before any byte
        body = base64.b64encode(b'{"errorType":"Early","errorMessage":"no"}').decode()
        post_stream(rid, [], "application/octet-stream",
                    {"Lambda-Runtime-Function-Error-Type": "Early",
                     "Lambda-Runtime-Function-Error-Body": body})
    elif mode == "hang":  # a chunk, then past the function's timeout
        conn.putrequest("POST", f"{API}/invocation/{rid}/response")
        conn.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        conn.send(b"5\r\nfirst\r\n")
        time.sleep(60)
    elif mode == "bad-id":  # streaming for another request id is refused
        status = post_stream("not-" + rid, [b"x"], "text/plain", gap=0)
        out = json.dumps({"statusCode": 200, "body": str(status)}).encode()
        conn.request("POST", f"{API}/invocation/{rid}/response", body=out)
        conn.getresponse().read()
    else:  # a buffered response, as non-streaming runtimes answer
        out = json.dumps({"statusCode": 200, "body": "buffered"}).encode()
        conn.request("POST", f"{API}/invocation/{rid}/response", body=out)
        conn.getresponse().read()
'''


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_streamer(lam, name: str, timeout: int = 10) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        zf.writestr(info, f'#!/bin/sh\nexec {sys.executable} -u "$LAMBDA_TASK_ROOT/runtime.py"\n')
        zf.writestr("runtime.py", RUNTIME)
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="none",
        Code={"ZipFile": buf.getvalue()},
        Timeout=timeout,
        Environment={"Variables": {"GAP": str(GAP_S)}},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


def stream_get(
    url: Url, path: str, style: str = "host"
) -> tuple[int, dict[str, str], list[tuple[float, bytes]], float, list[str]]:
    """(status, headers, [(seconds since the request, chunk)], total seconds, set-cookies)."""
    conn = http.client.HTTPConnection("127.0.0.1", url.server.port, timeout=60)
    t0 = time.monotonic()
    if style == "host":
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", url.host)
    else:
        conn.putrequest("GET", f"/_ovis/url/{url.id}{path}")
    conn.endheaders()
    r = conn.getresponse()
    chunks: list[tuple[float, bytes]] = []
    while True:
        data = r.read1(65536)
        if not data:
            break
        chunks.append((time.monotonic() - t0, data))
    total = time.monotonic() - t0
    headers = {k.lower(): v for k, v in r.getheaders()}
    cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    return r.status, headers, chunks, total, cookies


@pytest.fixture(scope="module")
def streamer(lam, server):  # type: ignore[no-untyped-def]
    name = uniq("streamer")
    create_streamer(lam, name)
    url = public_url(lam, server, name, InvokeMode="RESPONSE_STREAM")
    stream_get(url, "/warm?mode=buffered")  # a cold start must not count in the timings
    return name, url


def assert_streamed(chunks: list[tuple[float, bytes]], total: float) -> None:
    """The first chunk came while the function still had ~2 pauses to go."""
    first_at = chunks[0][0]
    assert total - first_at >= 2 * GAP_S * 0.8, (first_at, total, chunks)
    assert first_at < total / 2, (first_at, total)


@pytest.mark.parametrize("style", ["host", "path"])
def test_url_streams_with_http_prelude(streamer, style: str) -> None:  # type: ignore[no-untyped-def]
    _name, url = streamer
    status, headers, chunks, total, cookies = stream_get(url, "/s?mode=http", style)
    assert status == 201
    assert headers["content-type"] == "text/plain" and headers["x-stream"] == "1"
    assert cookies == ["s=1"]
    assert headers.get("transfer-encoding") == "chunked"
    assert headers["x-amzn-requestid"]
    body = b"".join(c for _, c in chunks)
    lines = body.decode().splitlines()
    assert [line.split(" at ")[0] for line in lines] == ["part 0", "part 1", "part 2"]
    assert b"\0" not in body and b"statusCode" not in body
    assert_streamed(chunks, total)
    # Chunks arrive as the function writes them, GAP_S apart.
    arrivals = [t for t, c in chunks if c]
    assert arrivals[-1] - arrivals[0] >= 2 * GAP_S * 0.8


def test_url_streams_plain_content(streamer) -> None:  # type: ignore[no-untyped-def]
    _name, url = streamer
    status, headers, chunks, total, _ = stream_get(url, "/s?mode=plain")
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert b"".join(c for _, c in chunks).count(b"part ") == 3
    assert_streamed(chunks, total)


def test_url_stream_errors(streamer) -> None:  # type: ignore[no-untyped-def]
    _name, url = streamer
    # After the first byte the status is sent: the body ends where the function failed.
    status, _h, chunks, _t, _c = stream_get(url, "/s?mode=error")
    assert status == 200
    assert b"".join(c for _, c in chunks).count(b"part ") == 2
    # Before any byte, it is a function error.
    status, _h, chunks, _t, _c = stream_get(url, "/s?mode=early-error")
    assert status == 502
    assert json.loads(b"".join(c for _, c in chunks)) == {"Message": "Internal Server Error"}


def test_url_in_stream_mode_with_buffered_response(streamer, lam, server) -> None:  # type: ignore[no-untyped-def]
    _name, url = streamer
    status, _h, chunks, _t, _c = stream_get(url, "/s?mode=buffered")
    assert status == 200 and b"".join(c for _, c in chunks) == b"buffered"
    # A managed Python function does not stream: RESPONSE_STREAM behaves as BUFFERED.
    name = uniq("streampy")
    create_python_function(
        lam,
        name,
        "def handler(e, c):\n    return {'statusCode': 202, 'headers': {'x-py': '1'}, 'body': 'py'}\n",
    )
    py = public_url(lam, server, name, InvokeMode="RESPONSE_STREAM")
    status, headers, chunks, _t, _c = stream_get(py, "/")
    assert status == 202 and headers["x-py"] == "1"
    assert b"".join(c for _, c in chunks) == b"py"


def test_runtime_api_refuses_a_stream_for_another_request(streamer) -> None:  # type: ignore[no-untyped-def]
    _name, url = streamer
    status, _h, chunks, _t, _c = stream_get(url, "/s?mode=bad-id")
    assert status == 200 and b"".join(c for _, c in chunks) == b"400"


def test_invoke_with_response_stream(streamer, lam) -> None:  # type: ignore[no-untyped-def]
    name, _url = streamer
    t0 = time.monotonic()
    resp = lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"mode": "plain"}')
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ExecutedVersion"] == "$LATEST"
    assert resp["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    events: list[tuple[float, dict]] = []
    for event in resp["EventStream"]:
        events.append((time.monotonic() - t0, event))
    total = time.monotonic() - t0
    chunks = [(t, e["PayloadChunk"]["Payload"]) for t, e in events if "PayloadChunk" in e]
    assert [b.decode().split(" at ")[0] for _, b in chunks] == ["part 0", "part 1", "part 2"]
    assert_streamed(chunks, total)
    assert "InvokeComplete" in events[-1][1]
    assert not events[-1][1]["InvokeComplete"].get("ErrorCode")

    # LogType=Tail: the log tail rides on InvokeComplete.
    resp = lam.invoke_with_response_stream(
        FunctionName=name, Payload=b'{"mode": "http"}', LogType="Tail"
    )
    events2 = list(resp["EventStream"])
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events2 if "PayloadChunk" in e)
    assert payload.startswith(b'{"statusCode": 201')  # the prelude is part of the payload
    complete = events2[-1]["InvokeComplete"]
    assert "REPORT RequestId" in base64.b64decode(complete["LogResult"]).decode()


def test_invoke_with_response_stream_errors(streamer, lam) -> None:  # type: ignore[no-untyped-def]
    name, _url = streamer
    events = list(
        lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"mode": "error"}')[
            "EventStream"
        ]
    )
    assert sum("PayloadChunk" in e for e in events) == 2
    complete = events[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "StreamBroke"
    assert complete["ErrorDetails"] == "gave up midway"
    # A buffered answer comes as one chunk; Invoke of a streaming function buffers it all.
    events = list(
        lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"mode": "buffered"}')[
            "EventStream"
        ]
    )
    assert json.loads(events[0]["PayloadChunk"]["Payload"])["body"] == "buffered"
    r = lam.invoke(FunctionName=name, Payload=b'{"mode": "plain"}')
    assert r["Payload"].read().count(b"part ") == 3
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke_with_response_stream(FunctionName=uniq("missing"), Payload=b"{}")
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke_with_response_stream(FunctionName=name, Payload=b"not json")
    r = lam.invoke_with_response_stream(FunctionName=name, InvocationType="DryRun")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_stream_cut_by_timeout(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uniq("streamhang")
    create_streamer(lam, name, timeout=2)
    events = list(
        lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"mode": "hang"}')[
            "EventStream"
        ]
    )
    assert events[0]["PayloadChunk"]["Payload"] == b"first"
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "Sandbox.Timedout"
    # The next invocation gets a fresh instance.
    r = lam.invoke(FunctionName=name, Payload=b'{"mode": "buffered"}')
    assert json.loads(r["Payload"].read())["body"] == "buffered"


def test_python_function_over_invoke_with_response_stream(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("streampy2")
    create_python_function(
        lam,
        name,
        "def handler(e, c):\n    if e.get('fail'):\n        raise KeyError('k')\n    return {'x': 1}\n",
    )
    events = list(lam.invoke_with_response_stream(FunctionName=name, Payload=b"{}")["EventStream"])
    assert json.loads(events[0]["PayloadChunk"]["Payload"]) == {"x": 1}
    assert events[-1] == {"InvokeComplete": {}}
    events = list(
        lam.invoke_with_response_stream(FunctionName=name, Payload=b'{"fail": true}')["EventStream"]
    )
    assert len(events) == 1
    assert events[0]["InvokeComplete"]["ErrorCode"] == "KeyError"


NODE_STREAMER = r"""
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const http = event.rawPath !== undefined;
  if (http) {
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 202, headers: { "content-type": "text/plain", "x-node": "yes" },
    });
  }
  for (let i = 0; i < 3; i++) {
    responseStream.write(`node part ${i}\n`);
    if (i < 2) await new Promise((r) => setTimeout(r, GAP_MS));
  }
  responseStream.end();
});
"""


@pytest.fixture(scope="module")
def node_streamer(lam, server):  # type: ignore[no-untyped-def]
    name = uniq("nodestream")
    code = NODE_STREAMER.replace("GAP_MS", str(int(GAP_S * 1000)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.mjs", code)
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": buf.getvalue()},
        Timeout=10,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    url = public_url(lam, server, name, InvokeMode="RESPONSE_STREAM")
    stream_get(url, "/warm")  # a cold start must not count in the timings
    return name, url


def test_node_streamify_response_through_a_url(node_streamer) -> None:  # type: ignore[no-untyped-def]
    _name, url = node_streamer
    status, headers, chunks, total, _cookies = stream_get(url, "/n")
    assert status == 202
    assert headers["content-type"] == "text/plain" and headers["x-node"] == "yes"
    assert b"".join(c for _, c in chunks).decode().splitlines() == [
        "node part 0",
        "node part 1",
        "node part 2",
    ]
    assert_streamed(chunks, total)


def test_node_streamify_response_with_invoke_with_response_stream(node_streamer, lam) -> None:  # type: ignore[no-untyped-def]
    name, _url = node_streamer
    t0 = time.monotonic()
    resp = lam.invoke_with_response_stream(FunctionName=name, Payload=b"{}")
    events = [(time.monotonic() - t0, e) for e in resp["EventStream"]]
    total = time.monotonic() - t0
    chunks = [(t, e["PayloadChunk"]["Payload"]) for t, e in events if "PayloadChunk" in e]
    assert b"".join(c for _, c in chunks).decode().splitlines() == [
        "node part 0",
        "node part 1",
        "node part 2",
    ]
    assert_streamed(chunks, total)
    assert not events[-1][1]["InvokeComplete"].get("ErrorCode")
