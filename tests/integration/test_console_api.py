"""The console over HTTP (what its page calls): pages and assets, sign-in with the server's
keys, the session cookie's flags, CSRF on every POST, sign-out, and function changes made
through the console that boto3 sees at once."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Browserish:
    """An HTTP client that keeps cookies, as a browser does for /console."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.csrf = ""

    def call(
        self, method: str, path: str, body: Any = None, csrf: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        token = self.csrf if csrf is None else csrf
        if token:
            req.add_header("X-CSRF-Token", token)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def api(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, _h, raw = self.call(method, "/console/api" + path, body, **kw)
        return status, json.loads(raw)

    def start(self) -> None:
        status, out = self.api("GET", "/session")
        assert status == 200 and out["SignedIn"] is False
        self.csrf = out["CsrfToken"]

    def sign_in(self, key: str = "test", secret: str = "test") -> None:
        self.start()
        status, out = self.api("POST", "/signin", {"AccessKeyId": key, "SecretAccessKey": secret})
        assert status == 200, out
        self.csrf = out["CsrfToken"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kw: Any) -> None:
        return None


@pytest.fixture
def console(server) -> Browserish:  # type: ignore[no-untyped-def]
    return Browserish(server.url)


def test_pages_and_assets_come_from_the_server(console: Browserish) -> None:
    status, headers, _ = console.call("GET", "/console")
    assert status == 301 and headers["location"] == "/console/"
    status, headers, body = console.call("GET", "/console/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert b"/console/static/app.js" in body
    status, headers, empty = console.call("HEAD", "/console/")
    assert status == 200 and empty == b"" and headers["content-length"] == str(len(body))
    assert console.call("POST", "/console/")[0] == 405
    for asset, kind in (("app.js", "text/javascript"), ("console.css", "text/css")):
        status, headers, body = console.call("GET", f"/console/static/{asset}")
        assert status == 200 and headers["content-type"].startswith(kind) and body
    status, _h, _b = console.call("GET", "/console/static/../server.py")
    assert status == 404
    assert console.call("GET", "/console/static/nope.js")[0] == 404


def test_sign_in_needs_the_csrf_token_and_a_known_key(console: Browserish) -> None:
    status, out = console.api("GET", "/functions")
    assert status == 401 and out["Error"]["Code"] == "NotSignedIn"
    body = {"AccessKeyId": "test", "SecretAccessKey": "test"}
    status, out = console.api("POST", "/signin", body)  # no pre-session cookie nor token
    assert status == 403 and out["Error"]["Code"] == "InvalidCsrfToken"
    console.start()
    status, out = console.api("POST", "/signin", body, csrf="forged")
    assert status == 403
    status, out = console.api("POST", "/signin", {"AccessKeyId": "test", "SecretAccessKey": "x"})
    assert status == 401 and out["Error"]["Code"] == "InvalidCredentials"
    status, out = console.api("POST", "/signin", {"AccessKeyId": "test"})
    assert status == 400
    status, headers, raw = console.call("POST", "/console/api/signin", body)
    assert status == 200 and json.loads(raw)["SignedIn"] is True
    cookie = headers["set-cookie"]
    assert "ovis_console=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/console" in cookie


def test_posts_without_the_session_csrf_token_change_nothing(console: Browserish, lam) -> None:  # type: ignore[no-untyped-def]
    console.sign_in()
    name = uniq("console-csrf")
    for token in ("", "forged"):
        status, out = console.api(
            "POST", "/functions", {"FunctionName": name, "Runtime": "python3.11"}, csrf=token or "x"
        )
        assert status == 403 and out["Error"]["Code"] == "InvalidCsrfToken"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)


def test_sign_out_ends_the_session(console: Browserish) -> None:
    console.sign_in()
    sid = next(c.value for c in console.jar if c.name == "ovis_console")
    assert console.api("GET", "/functions")[0] == 200
    status, out = console.api("POST", "/signout")
    assert status == 200 and out["SignedIn"] is False
    assert console.api("GET", "/functions")[0] == 401
    replay = Browserish(console.base)  # the old cookie, replayed, is no session either
    req = urllib.request.Request(console.base + "/console/api/functions")
    req.add_header("Cookie", f"ovis_console={sid}")
    with pytest.raises(urllib.error.HTTPError) as e:
        replay.opener.open(req, timeout=30)
    e.value.close()
    assert e.value.code == 401


def test_functions_made_in_the_console_are_the_apis(console: Browserish, lam) -> None:  # type: ignore[no-untyped-def]
    console.sign_in()
    name = uniq("console-fn")
    status, out = console.api("POST", "/functions", {"FunctionName": name, "Runtime": "python3.11"})
    assert status == 200, out
    assert lam.get_function(FunctionName=name)["Configuration"]["Handler"] == (
        "lambda_function.lambda_handler"
    )
    status, out = console.api("POST", "/functions", {"FunctionName": name, "Runtime": "python3.11"})
    assert status == 409 and out["Error"]["Code"] == "ResourceConflictException"
    status, out = console.api("POST", "/functions", {"FunctionName": "bad name!"})
    assert status == 400, out

    status, out = console.api(
        "POST",
        f"/functions/{name}/configuration",
        {"MemorySize": 256, "Timeout": 7, "Environment": {"GREETING": "hi"}},
    )
    assert status == 200, out
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["MemorySize"] == 256 and cfg["Timeout"] == 7
    assert cfg["Environment"]["Variables"] == {"GREETING": "hi"}
    status, out = console.api("POST", f"/functions/{name}/configuration", {"MemorySize": 1})
    assert status == 400 and out["Error"]["Code"] == "ValidationException"

    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    status, out = console.api("POST", f"/functions/{name}/invoke", {"Payload": '{"a": 1}'})
    assert status == 200, out
    assert json.loads(out["Payload"]) == {"statusCode": 200, "body": '"Hello from Ovis!"'}
    assert any(line.startswith("REPORT RequestId:") for line in out["Log"].splitlines())
    assert 'event: {"a": 1}' in out["Log"]


def test_the_list_pages_searches_and_sorts_on_the_server(console: Browserish, lam) -> None:  # type: ignore[no-untyped-def]
    console.sign_in()
    tag = uniq("conlist")
    for i, mem in enumerate((512, 128, 256)):
        status, out = console.api(
            "POST", "/functions", {"FunctionName": f"{tag}-{i}", "Runtime": "python3.11"}
        )
        assert status == 200, out
        lam.update_function_configuration(FunctionName=f"{tag}-{i}", MemorySize=mem)
    status, out = console.api("GET", f"/functions?q={tag.upper()}&sort=memory&order=desc&size=2")
    assert status == 200
    assert out["Total"] == 3
    assert [f["FunctionName"] for f in out["Functions"]] == [f"{tag}-0", f"{tag}-2"]
    status, out = console.api("GET", f"/functions?q={tag}&sort=memory&order=desc&size=2&page=2")
    assert [f["FunctionName"] for f in out["Functions"]] == [f"{tag}-1"]
    assert console.api("GET", "/functions?sort=colour")[0] == 400
    assert console.api("GET", "/functions?size=1000")[0] == 400
    assert console.api("GET", "/functions?page=x")[0] == 400


def test_code_is_listed_edited_and_deployed_through_update_function_code(
    console: Browserish,
    lam,  # type: ignore[no-untyped-def]
) -> None:
    console.sign_in()
    name = uniq("console-code")
    assert (
        console.api("POST", "/functions", {"FunctionName": name, "Runtime": "python3.11"})[0] == 200
    )
    status, code = console.api("GET", f"/functions/{name}/code")
    assert status == 200 and code["Editable"] is True
    [source] = code["Files"]
    assert source["Path"] == "lambda_function.py" and "Hello from Ovis!" in source["Text"]

    new = "def lambda_handler(event, context):\n    return {'edited': event}\n"
    status, out = console.api(
        "POST",
        f"/functions/{name}/code",
        {"Files": {"../evil.py": "x"}, "RevisionId": code["RevisionId"]},
    )
    assert status == 400 and out["Error"]["Code"] == "InvalidParameterValueException"
    status, out = console.api(
        "POST",
        f"/functions/{name}/code",
        {"Files": {"lambda_function.py": new}, "RevisionId": code["RevisionId"]},
    )
    assert status == 200, out
    assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == out["CodeSha256"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    res = lam.invoke(FunctionName=name, Payload=b'{"n": 1}')
    assert json.loads(res["Payload"].read()) == {"edited": {"n": 1}}

    # a deploy from a page loaded before that change is refused, not applied over it
    status, out = console.api(
        "POST",
        f"/functions/{name}/code",
        {"Files": {"lambda_function.py": "stale = 1\n"}, "RevisionId": code["RevisionId"]},
    )
    assert status == 412 and out["Error"]["Code"] == "PreconditionFailedException"
    status, code = console.api("GET", f"/functions/{name}/code")
    assert code["Files"][0]["Text"] == new


def test_create_offers_the_runtimes_this_host_runs(console: Browserish) -> None:
    assert console.api("GET", "/runtimes")[0] == 401
    console.sign_in()
    status, out = console.api("GET", "/runtimes")
    assert status == 200
    assert "python3.11" in out["Runtimes"]  # the tests' own interpreter family
    assert out["Runtimes"][0].startswith("python")
    assert all(r.startswith(("python", "nodejs")) for r in out["Runtimes"])


def test_a_zip_upload_and_a_delete_are_lambdas_own(console: Browserish, lam) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile

    console.sign_in()
    name = uniq("console-zip")
    assert (
        console.api("POST", "/functions", {"FunctionName": name, "Runtime": "python3.11"})[0] == 200
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", "def lambda_handler(e, c):\n    return 'zipped'\n")
    req = urllib.request.Request(
        console.base + f"/console/api/functions/{name}/zip", data=buf.getvalue(), method="POST"
    )
    req.add_header("Content-Type", "application/zip")
    req.add_header("X-CSRF-Token", console.csrf)
    with console.opener.open(req, timeout=60) as resp:
        out = json.loads(resp.read())
    assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == out["CodeSha256"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == "zipped"

    status, _h, raw = console.call("POST", f"/console/api/functions/{name}/zip", "not a zip")
    assert status == 400, raw

    assert console.api("POST", f"/functions/{name}/delete", csrf="forged")[0] == 403
    lam.get_function(FunctionName=name)
    status, out = console.api("POST", f"/functions/{name}/delete")
    assert status == 200, out
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    status, out = console.api("POST", f"/functions/{name}/delete")
    assert status == 404 and out["Error"]["Code"] == "ResourceNotFoundException"


def test_any_operation_through_the_call_endpoint_is_the_services_own(
    console: Browserish, lam
) -> None:  # type: ignore[no-untyped-def]
    """POST /console/api/call/SERVICE/OPERATION: JSON in and out as the AWS JSON protocols
    write it; the service's validation and errors; boto3 sees the change at once."""
    console.sign_in()
    name = uniq("call")
    status, out = console.api("POST", "/functions", {"FunctionName": name, "Runtime": "python3.11"})
    assert status == 200, out
    status, out = console.api(
        "POST",
        "/call/lambda/PutFunctionConcurrency",
        {"FunctionName": name, "ReservedConcurrentExecutions": 3},
    )
    assert (status, out) == (200, {"ReservedConcurrentExecutions": 3})
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 3

    # a blob goes in as base64 and comes back as base64
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    status, out = console.api(
        "POST", "/call/lambda/Invoke", {"FunctionName": name, "Payload": "eyJhIjogMX0="}
    )
    assert status == 200 and out["StatusCode"] == 200 and "Payload" in out, out

    # the service's own validation and error wording
    status, out = console.api(
        "POST",
        "/call/lambda/PutFunctionConcurrency",
        {"FunctionName": name, "ReservedConcurrentExecutions": "many"},
    )
    assert status == 400 and out["Error"]["Code"] == "ValidationException"
    assert "ReservedConcurrentExecutions" in out["Error"]["Message"]
    status, out = console.api("POST", "/call/lambda/GetFunction", {"FunctionName": uniq("none")})
    assert status == 404 and out["Error"]["Code"] == "ResourceNotFoundException"
    status, out = console.api("POST", "/call/lambda/NoSuchThing", {})
    assert status == 404 and out["Error"]["Code"] == "UnknownOperation"
    status, out = console.api("POST", "/call/nosuchservice/List", {})
    assert status == 404 and out["Error"]["Code"] == "UnknownOperation"

    # timestamps come back as epoch seconds (JSON protocol style), across services
    status, out = console.api("POST", "/call/sqs/CreateQueue", {"QueueName": uniq("q")})
    assert status == 200 and out["QueueUrl"].endswith("/" + out["QueueUrl"].rsplit("/", 1)[1])

    # and, like every POST, nothing happens without the session's CSRF token
    status, out = console.api(
        "POST", "/call/lambda/DeleteFunction", {"FunctionName": name}, csrf="wrong"
    )
    assert status == 403
    assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
