"""The console's function list at 1,000 functions: the server pages, filters and sorts; the
browser gets one page. Driven over a fake ServiceCalls that pages as ListFunctions does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ovis.errors import InvalidParameterValueException
from ovis.frontdoor.console.functions import ConsoleFunctions
from ovis.services.calls import Caller

CALLER = Caller("000000000000", "us-east-1")


class FakeLambda:
    def __init__(self, n: int) -> None:
        self.functions = [
            {
                "FunctionName": f"fn-{i:04d}",
                "Runtime": "python3.11" if i % 2 else "nodejs22.x",
                "MemorySize": 128 + (i * 37) % 1000,
                "LastModified": f"2026-01-01T00:{i % 60:02d}:00.000+0000",
                "Environment": {"Variables": {"SECRET": "not for the list"}},
            }
            for i in range(n)
        ]
        self.calls = 0

    async def __call__(
        self, service: str, operation: str, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        assert (service, operation) == ("lambda", "ListFunctions")
        self.calls += 1
        start = int(params.get("Marker") or 0)
        end = start + params["MaxItems"]
        out: dict[str, Any] = {"Functions": self.functions[start:end]}
        if end < len(self.functions):
            out["NextMarker"] = str(end)
        return out


def _list(fake: FakeLambda, **kw: Any) -> dict[str, Any]:
    args = {"query": "", "sort": "name", "order": "asc", "page": 1, "size": 25, **kw}
    return asyncio.run(ConsoleFunctions(fake, lambda d: Path("/nonexistent")).list(CALLER, **args))


def test_one_page_of_a_thousand() -> None:
    fake = FakeLambda(1000)
    out = _list(fake, page=3)
    assert out["Total"] == 1000
    assert [f["FunctionName"] for f in out["Functions"]] == [f"fn-{i:04d}" for i in range(50, 75)]
    assert "Environment" not in out["Functions"][0]  # a summary, not the configuration
    assert fake.calls == 1  # one ListFunctions page of 1,000


def test_search_and_sort_span_every_page() -> None:
    fake = FakeLambda(2500)
    out = _list(fake, query="FN-01", sort="memory", order="desc", size=10)
    assert fake.calls == 3
    names = [f["FunctionName"] for f in fake.functions if f["FunctionName"].startswith("fn-01")]
    assert out["Total"] == len(names) == 100
    mems = [f["MemorySize"] for f in out["Functions"]]
    assert mems == sorted(mems, reverse=True)
    best = max(f["MemorySize"] for f in fake.functions if f["FunctionName"] in names)
    assert mems[0] == best


def test_a_page_past_the_end_is_empty() -> None:
    out = _list(FakeLambda(30), page=2)
    assert len(out["Functions"]) == 5
    assert _list(FakeLambda(30), page=9)["Functions"] == []


@pytest.mark.parametrize(
    "kw", [{"sort": "colour"}, {"order": "up"}, {"size": 0}, {"size": 101}, {"page": 0}]
)
def test_bad_list_arguments_are_a_400(kw: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterValueException):
        _list(FakeLambda(3), **kw)
