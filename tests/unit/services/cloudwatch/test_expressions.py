"""Metric math: parsing and precedence, series arithmetic, the SUM/AVG/MIN/MAX functions over a
series (a scalar) and an array (a series), FILL, METRICS(), and errors."""

from __future__ import annotations

import pytest

from ovis.errors import ValidationException
from ovis.services.cloudwatch.expressions import Context, Series, evaluate, parse, references

GRID = [0, 60_000, 120_000, 180_000]


def ctx(expr: str, **series: dict[int, float]) -> Context:
    return Context(expr, {k: Series(v, k) for k, v in series.items()}, sorted(series), GRID)


def run(expr: str, **series: dict[int, float]) -> object:
    return evaluate(parse(expr), ctx(expr, **series))


A = {0: 1.0, 60_000: 2.0, 180_000: 4.0}
B = {0: 10.0, 60_000: 10.0, 120_000: 10.0, 180_000: 10.0}


def points(v: object) -> dict[int, float]:
    assert isinstance(v, Series)
    return v.points


def test_precedence_and_scalars() -> None:
    assert run("1 + 2 * 3") == 7.0
    assert run("(1 + 2) * 3") == 9.0
    assert run("-2 * -3") == 6.0
    assert run("10 / 4 - 1") == 1.5


def test_series_arithmetic_meets_at_common_timestamps() -> None:
    assert points(run("a + b", a=A, b=B)) == {0: 11.0, 60_000: 12.0, 180_000: 14.0}
    assert points(run("a * 2 + 1", a=A)) == {0: 3.0, 60_000: 5.0, 180_000: 9.0}
    assert points(run("100 / a", a={0: 0.0, 60_000: 4.0})) == {60_000: 25.0}  # no value for /0


def test_reductions_of_a_series_are_scalars_and_of_arrays_series() -> None:
    assert run("SUM(a)", a=A) == 7.0
    assert run("AVG(b)", b=B) == 10.0
    assert run("MIN(a)", a=A) == 1.0 and run("MAX(a)", a=A) == 4.0
    assert points(run("SUM([a, b])", a=A, b=B)) == {
        0: 11.0,
        60_000: 12.0,
        120_000: 10.0,
        180_000: 14.0,
    }
    assert points(run("MAX(METRICS())", a=A, b=B))[120_000] == 10.0
    assert points(run("a - AVG(a)", a={0: 1.0, 60_000: 3.0})) == {0: -1.0, 60_000: 1.0}


def test_fill() -> None:
    assert points(run("FILL(a, 0)", a=A)) == {0: 1.0, 60_000: 2.0, 120_000: 0.0, 180_000: 4.0}
    assert points(run("FILL(a, REPEAT)", a=A))[120_000] == 2.0
    assert points(run("FILL(a, LINEAR)", a=A))[120_000] == 3.0
    edge = points(run("FILL(a, LINEAR)", a={60_000: 5.0}))
    assert edge == {0: 5.0, 60_000: 5.0, 120_000: 5.0, 180_000: 5.0}
    filled = run("FILL(METRICS(), 7)", a={0: 1.0}, b={})
    assert isinstance(filled, list) and [len(s.points) for s in filled] == [4, 4]


def test_metrics_filters_by_label() -> None:
    arr = run('METRICS("b")', a=A, b=B)
    assert isinstance(arr, list) and [s.label for s in arr] == ["b"]


def test_references() -> None:
    assert references(parse("a + FILL(b, 0) * SUM([c, d])")) == {"a", "b", "c", "d"}
    assert references(parse("SUM(METRICS())")) == {"*"}


@pytest.mark.parametrize("expr", ["a +", "SUM(a", "1 2", "a $ b", "FILL(a)", "[1]", ")"])
def test_bad_expressions_are_validation_errors(expr: str) -> None:
    with pytest.raises(ValidationException) as ei:
        evaluate(parse(expr), ctx(expr, a=A))
    assert ei.value.message.startswith(f"Error in expression '{expr}'")


def test_unknown_id() -> None:
    with pytest.raises(ValidationException, match="Unrecognized metric id: zz"):
        run("zz * 2", a=A)
