"""Lambda Invoke on the hot path: routing + parse + serialize through ``RestJsonCodec`` against
today's ``ovis.api.model.RestJsonService`` (with the query decoding ``App._rest`` does).

Run: ``.venv/bin/python -m tests.unit.protocols.bench_invoke``"""

from __future__ import annotations

import timeit
from typing import Any
from urllib.parse import parse_qs

from ovis.frontdoor.legacy_codecs import Request, RestJsonService
from ovis.protocols.base import HttpRequest
from ovis.protocols.restjson import RestJsonCodec

PATH = (
    "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations"
)
HEADERS = {"x-amz-invocation-type": "RequestResponse", "x-amz-log-type": "None"}
BODY = b'{"hello": "world"}'
OUTPUT: dict[str, Any] = {"StatusCode": 200, "Payload": b'{"ok":1}', "ExecutedVersion": "$LATEST"}


def main() -> None:
    old_svc, codec = RestJsonService("lambda"), RestJsonCodec("lambda")

    def old(query: str) -> None:
        q = parse_qs(query, keep_blank_values=True)
        route, labels = old_svc.match("POST", PATH, {k: v[-1] for k, v in q.items()})
        old_svc.parse(route, labels, Request("POST", PATH, query, HEADERS, BODY), q)
        old_svc.serialize(route.operation, OUTPUT)

    def new(query: str) -> None:
        req = HttpRequest("POST", PATH, query, HEADERS, BODY)
        op = codec.operation(req)
        codec.parse(op, req)
        codec.serialize(op, OUTPUT, "request-id")

    for query in ("", "Qualifier=%24LATEST"):
        for name, f in (("RestJsonService", old), ("RestJsonCodec", new)):
            best = min(timeit.repeat(lambda f=f, q=query: f(q), number=20_000, repeat=7)) / 20_000
            print(f"{name:16} query={query!r:22} {best * 1e6:6.1f} us/call")


if __name__ == "__main__":
    main()
