"""Concurrency controls: reserved concurrency, the account limit, throttling as AWS does it."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.conftest import create_python_function, start_server

SLEEPY = "import time\ndef handler(e, c):\n    time.sleep(e.get('s', 0))\n    return 'ok'\n"
# How long the admitted invocations hold their slots while the others arrive: long enough that
# every request of a burst is in flight together even on a loaded 2-core CI machine (with 1 s,
# a request that a slow client thread sent late was once admitted after a slot freed up).
HOLD_S = 3.0


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def attempt(lam, name: str, seconds: float) -> str:  # type: ignore[no-untyped-def]
    try:
        r = lam.invoke(FunctionName=name, Payload=json.dumps({"s": seconds}).encode())
        return json.loads(r["Payload"].read())
    except ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert e.response["Error"]["Code"] == "TooManyRequestsException"
        return "throttled:" + e.response.get("Reason", "")


def test_reserved_zero_throttles_everything(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("zero")
    create_python_function(lam, name, SLEEPY)
    assert (
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)[
            "ReservedConcurrentExecutions"
        ]
        == 0
    )
    with pytest.raises(lam.exceptions.TooManyRequestsException) as info:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert info.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert info.value.response["Error"]["Message"] == "Rate Exceeded."
    lam.delete_function_concurrency(FunctionName=name)
    assert attempt(lam, name, 0) == "ok"


def test_reserved_n_caps_parallel_invocations(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("two")
    create_python_function(lam, name, SLEEPY, Timeout=10)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 2
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 2}
    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda _: attempt(lam, name, HOLD_S), range(5)))
    assert results.count("ok") == 2, results
    assert results.count("throttled:ReservedFunctionConcurrentInvocationLimitExceeded") == 3


def test_account_settings_and_minimum_unreserved(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("acct")
    create_python_function(lam, name, SLEEPY)
    before = lam.get_account_settings()["AccountLimit"]
    assert before["ConcurrentExecutions"] == 1000
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=50)
    after = lam.get_account_settings()["AccountLimit"]
    assert after["UnreservedConcurrentExecutions"] == before["UnreservedConcurrentExecutions"] - 50
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=901)
    assert "below its minimum value of [100]" in str(info.value)
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_function_concurrency(FunctionName=uniq("missing"), ReservedConcurrentExecutions=1)


@pytest.fixture(scope="module")
def tiny_account(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    srv = start_server(tmp_path_factory.mktemp("ovis-tiny") / "data", "--concurrency-limit", "2")
    yield srv
    srv.stop()


def test_account_limit_throttles_unreserved(tiny_account) -> None:  # type: ignore[no-untyped-def]
    lam = tiny_account.client("lambda")
    name = uniq("acct")
    create_python_function(lam, name, SLEEPY, Timeout=10)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: attempt(lam, name, HOLD_S), range(4)))
    assert results.count("ok") == 2, results
    assert results.count("throttled:ConcurrentInvocationLimitExceeded") == 2
