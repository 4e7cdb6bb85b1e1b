"""Lambda Invoke on the hot path: routing + parse + serialize through ``RestJsonCodec``, the
per-request codec work of a warm Invoke (compare runs of this before and after a change).

Run: ``.venv/bin/python -m tests.unit.protocols.bench_invoke``"""

from __future__ import annotations

import functools
import timeit
from typing import Any

from ovis.protocols.base import HttpRequest
from ovis.protocols.restjson import RestJsonCodec

PATH = (
    "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations"
)
HEADERS = {"x-amz-invocation-type": "RequestResponse", "x-amz-log-type": "None"}
BODY = b'{"hello": "world"}'
OUTPUT: dict[str, Any] = {"StatusCode": 200, "Payload": b'{"ok":1}', "ExecutedVersion": "$LATEST"}


def main() -> None:
    codec = RestJsonCodec("lambda")

    def invoke(query: str) -> None:
        req = HttpRequest("POST", PATH, query, HEADERS, BODY)
        op = codec.operation(req)
        codec.parse(op, req)
        codec.serialize(op, OUTPUT, "request-id")

    for query in ("", "Qualifier=%24LATEST"):
        best = (
            min(timeit.repeat(functools.partial(invoke, query), number=20_000, repeat=7)) / 20_000
        )
        print(f"RestJsonCodec query={query!r:22} {best * 1e6:6.1f} us/call")


if __name__ == "__main__":
    main()
