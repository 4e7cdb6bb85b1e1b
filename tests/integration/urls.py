"""Helpers for function URL tests: plain HTTP requests to a URL by host name or by path.

Python's resolver does not map *.localhost names, so requests connect to 127.0.0.1 and carry the
URL's host name in the Host header.
"""

from __future__ import annotations

import http.client
import json
import re

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import REGION, ServerProcess

URL_RE = re.compile(r"http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)/")


class Resp:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.body)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.header_list if k.lower() == name.lower()]


def request(
    port: int,
    method: str,
    path: str,
    host: str | None = None,
    body: bytes | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Resp:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for k, v in headers or []:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class Url:
    """One function URL, reachable by host name or by path."""

    def __init__(self, server: ServerProcess, function_url: str) -> None:
        m = URL_RE.fullmatch(function_url)
        assert m, function_url
        self.server = server
        self.id = m[1]
        self.host = f"{self.id}.lambda-url.{REGION}.localhost:{server.port}"

    def call(self, method: str = "GET", path: str = "/", style: str = "host", **kw) -> Resp:  # type: ignore[no-untyped-def]
        if style == "host":
            return request(self.server.port, method, path, host=self.host, **kw)
        return request(self.server.port, method, f"/_ovis/url/{self.id}{path}", **kw)

    def signed(
        self,
        method: str = "GET",
        path: str = "/",
        body: bytes = b"",
        key: str = "test",
        secret: str = "test",
        service: str = "lambda",
        style: str = "host",
    ) -> Resp:
        if style == "host":
            url = f"http://{self.host}{path}"
        else:
            url = f"http://127.0.0.1:{self.server.port}/_ovis/url/{self.id}{path}"
        req = AWSRequest(method=method, url=url, data=body)
        SigV4Auth(Credentials(key, secret), service, REGION).add_auth(req)
        hdrs = [(k, v) for k, v in req.headers.items() if k.lower() != "host"]
        host = self.host if style == "host" else f"127.0.0.1:{self.server.port}"
        real_path = path if style == "host" else f"/_ovis/url/{self.id}{path}"
        return request(self.server.port, method, real_path, host=host, body=body, headers=hdrs)


def public_url(lam, server: ServerProcess, name: str, **kw) -> Url:  # type: ignore[no-untyped-def]
    """A URL with AuthType NONE and the public-access statement AWS's console adds."""
    qualifier = {"Qualifier": kw["Qualifier"]} if "Qualifier" in kw else {}
    r = lam.create_function_url_config(FunctionName=name, AuthType="NONE", **kw)
    lam.add_permission(
        FunctionName=name,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
        **qualifier,
    )
    return Url(server, r["FunctionUrl"])
