"""GetMetricStatistics' period rules by the age of StartTime (AWS's retention schedule)."""

from __future__ import annotations

import pytest

from ovis.services.cloudwatch.metrics import origin, period_serves

H = 3600 * 1000
D = 24 * H


@pytest.mark.parametrize(
    ("age_ms", "period", "ok"),
    [
        (H, 1, True),
        (H, 10, True),
        (4 * H, 10, False),
        (4 * H, 120, True),
        (16 * D, 60, False),
        (16 * D, 600, True),
        (64 * D, 300, False),
        (64 * D, 7200, True),
    ],
)
def test_periods_by_age(age_ms: int, period: int, ok: bool) -> None:
    now = 1_800_000_000_000
    assert period_serves(now - age_ms, period, now) is ok


def test_origin_rounds_down_to_the_period() -> None:
    assert origin(125_000, 60) == 120_000
    assert origin(125_000, 3600) == 0
