"""Schedule expressions: AWS's documented examples, the cron wildcards (? L W # and years),
rates anchored at a start, at() in a timezone, DST edges on fixed clocks, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ovis.models.schedule_expression import (
    ScheduleExpressionError,
    parse_rule_schedule_expression,
    parse_schedule_expression,
)

NY = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def fires(text: str, after: datetime, n: int, tz: str | None = None) -> list[datetime]:
    expr = parse_schedule_expression(text, tz)
    out: list[datetime] = []
    t = after
    for _ in range(n):
        nxt = expr.next_fire(t)
        assert nxt is not None
        out.append(nxt)
        t = nxt
    return out


# ---- cron -------------------------------------------------------------------------------


def test_cron_every_day_at_ten_fifteen_utc() -> None:
    assert fires("cron(15 10 * * ? *)", utc(2026, 3, 1, 10, 15), 2) == [
        utc(2026, 3, 2, 10, 15),
        utc(2026, 3, 3, 10, 15),
    ]


def test_next_fire_is_strictly_after() -> None:
    expr = parse_schedule_expression("cron(0 12 * * ? *)")
    assert expr.next_fire(utc(2026, 1, 1, 11, 59, 59)) == utc(2026, 1, 1, 12)
    assert expr.next_fire(utc(2026, 1, 1, 12)) == utc(2026, 1, 2, 12)


def test_cron_weekdays_at_six_pm_with_names() -> None:
    # AWS's example: 6:00 PM Monday through Friday. 2026-01-02 is a Friday.
    got = fires("cron(0 18 ? * MON-FRI *)", utc(2026, 1, 2, 18), 3)
    assert got == [utc(2026, 1, 5, 18), utc(2026, 1, 6, 18), utc(2026, 1, 7, 18)]


def test_cron_numbers_days_of_week_from_sunday() -> None:
    # 1 = SUN: 2026-01-04 is a Sunday.
    assert fires("cron(0 8 ? * 1 *)", utc(2026, 1, 1), 1) == [utc(2026, 1, 4, 8)]


def test_cron_first_of_month_and_steps() -> None:
    assert fires("cron(0 8 1 * ? *)", utc(2026, 1, 15), 2) == [
        utc(2026, 2, 1, 8),
        utc(2026, 3, 1, 8),
    ]
    assert fires("cron(0/15 * * * ? *)", utc(2026, 1, 1, 0, 1), 3) == [
        utc(2026, 1, 1, 0, 15),
        utc(2026, 1, 1, 0, 30),
        utc(2026, 1, 1, 0, 45),
    ]
    assert fires("cron(0/10 * ? * MON-FRI *)", utc(2026, 1, 2, 23, 55), 1) == [utc(2026, 1, 5)]


def test_cron_lists_ranges_and_step_ranges_aws_accepts() -> None:
    assert fires("cron(0 0 1/10,2,3/8 * ? *)", utc(2026, 1, 1), 6) == [
        utc(2026, 1, 2),
        utc(2026, 1, 3),
        utc(2026, 1, 11),
        utc(2026, 1, 19),
        utc(2026, 1, 21),
        utc(2026, 1, 27),
    ]
    assert fires("cron(1-31/30 1-1 ? * 1,7 *)", utc(2026, 1, 3), 2) == [
        utc(2026, 1, 3, 1, 1),
        utc(2026, 1, 3, 1, 31),
    ]
    parse_schedule_expression("cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)")


def test_cron_wrapping_ranges() -> None:
    # 2026-01-02 is a Friday: FRI-MON covers Fri, Sat, Sun, Mon.
    got = fires("cron(0 0 ? * FRI-MON *)", utc(2026, 1, 1, 1), 5)
    assert [d.day for d in got] == [2, 3, 4, 5, 9]
    assert [d.hour for d in fires("cron(0 22-1 * * ? *)", utc(2026, 1, 1, 12), 4)] == [22, 23, 0, 1]


def test_cron_last_day_of_month_and_offset() -> None:
    assert fires("cron(0 0 L * ? *)", utc(2026, 1, 1), 3) == [
        utc(2026, 1, 31),
        utc(2026, 2, 28),
        utc(2026, 3, 31),
    ]
    assert fires("cron(0 0 L 2 ? *)", utc(2027, 3, 1), 1) == [utc(2028, 2, 29)]
    assert fires("cron(0 0 L-2 * ? *)", utc(2026, 2, 1), 1) == [utc(2026, 2, 26)]


def test_cron_nearest_weekday() -> None:
    # 2026-02-01 is a Sunday: 1W is Monday the 2nd (never leaves the month).
    assert fires("cron(0 0 1W * ? *)", utc(2026, 1, 20), 1) == [utc(2026, 2, 2)]
    # 2026-01-17 is a Saturday: 17W is Friday the 16th.
    assert fires("cron(0 0 17W * ? *)", utc(2026, 1, 1), 1) == [utc(2026, 1, 16)]
    # 2026-05-31 is a Sunday: 31W is Friday the 29th; LW the same.
    assert fires("cron(0 0 31W 5 ? *)", utc(2026, 5, 1), 1) == [utc(2026, 5, 29)]
    assert fires("cron(0 0 LW 5 ? *)", utc(2026, 5, 1), 1) == [utc(2026, 5, 29)]


def test_cron_last_and_nth_weekday_of_month() -> None:
    # Last Friday (6L) of January 2026 is the 30th; the second Tuesday (3#2) is the 13th.
    assert fires("cron(0 0 ? * 6L *)", utc(2026, 1, 1), 1) == [utc(2026, 1, 30)]
    assert fires("cron(0 0 ? * 3#2 *)", utc(2026, 1, 1), 2) == [utc(2026, 1, 13), utc(2026, 2, 10)]
    assert fires("cron(0 0 ? * FRI#5 *)", utc(2026, 1, 1), 2) == [
        utc(2026, 1, 30),
        utc(2026, 5, 29),
    ]
    # L alone in day-of-week is Saturday.
    assert fires("cron(0 0 ? * L *)", utc(2026, 1, 1), 1) == [utc(2026, 1, 3)]


def test_cron_years_bound_the_schedule() -> None:
    expr = parse_schedule_expression("cron(0 0 1 1 ? 2027-2028)")
    assert expr.next_fire(utc(2026, 6, 1)) == utc(2027, 1, 1)
    assert expr.next_fire(utc(2028, 1, 1)) is None
    assert parse_schedule_expression("cron(0 0 1 1 ? *)").next_fire(utc(2199, 1, 1)) is None


def test_cron_impossible_date_never_fires() -> None:
    assert parse_schedule_expression("cron(0 0 30 2 ? *)").next_fire(utc(2026, 1, 1)) is None


def test_cron_in_a_timezone() -> None:
    got = fires("cron(0 9 * * ? *)", utc(2026, 1, 10), 1, "America/New_York")
    assert got == [utc(2026, 1, 10, 14)]  # 09:00 EST
    got = fires("cron(0 9 * * ? *)", utc(2026, 7, 10), 1, "America/New_York")
    assert got == [utc(2026, 7, 10, 13)]  # 09:00 EDT


def test_cron_spring_forward_skips_the_missing_wall_time() -> None:
    # 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist that day.
    got = fires("cron(30 2 * * ? *)", utc(2026, 3, 7, 12), 2, "America/New_York")
    assert got == [utc(2026, 3, 9, 6, 30), utc(2026, 3, 10, 6, 30)]
    # An hourly schedule goes 01:00 EST -> 03:00 EDT, one hour of real time.
    got = fires("cron(0 * * * ? *)", datetime(2026, 3, 8, 0, 30, tzinfo=NY), 3, "America/New_York")
    assert [g.astimezone(NY).hour for g in got] == [1, 3, 4]
    assert got[1] - got[0] == timedelta(hours=1)


def test_cron_fall_back_fires_a_repeated_wall_time_once() -> None:
    # 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice, fires at the first.
    got = fires("cron(30 1 * * ? *)", utc(2026, 10, 31, 12), 2, "America/New_York")
    assert got == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    # Every 20 minutes: 01:00, 01:20, 01:40 (EDT), then 02:00 EST; the repeated hour is skipped.
    start = datetime(2026, 11, 1, 0, 50, tzinfo=NY)
    got = fires("cron(0/20 * * * ? *)", start, 4, "America/New_York")
    assert got == [
        utc(2026, 11, 1, 5),
        utc(2026, 11, 1, 5, 20),
        utc(2026, 11, 1, 5, 40),
        utc(2026, 11, 1, 7),
    ]


def test_cron_after_inside_the_repeated_hour() -> None:
    # `after` in the second 01:xx (EST): the next fire is 02:00 EST, not a first-pass time.
    expr = parse_schedule_expression("cron(0/20 * * * ? *)", "America/New_York")
    assert expr.next_fire(utc(2026, 11, 1, 6, 10)) == utc(2026, 11, 1, 7)


# ---- rate -------------------------------------------------------------------------------


def test_rate_fires_from_its_anchor() -> None:
    expr = parse_schedule_expression("rate(5 minutes)")
    anchor = utc(2026, 1, 1, 0, 0, 7)
    assert expr.next_fire(utc(2025, 12, 31), anchor=anchor) == anchor
    assert expr.next_fire(anchor, anchor=anchor) == anchor + timedelta(minutes=5)
    assert expr.next_fire(utc(2026, 1, 1, 0, 12), anchor=anchor) == utc(2026, 1, 1, 0, 15, 7)


def test_rate_units_and_day_is_24_hours_across_dst() -> None:
    for text, period in [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(1 minutes)", timedelta(minutes=1)),
        ("rate(2 hours)", timedelta(hours=2)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(3 days)", timedelta(days=3)),
    ]:
        expr = parse_schedule_expression(text, "America/New_York")
        anchor = utc(2026, 3, 7, 12)
        assert expr.next_fire(anchor, anchor=anchor) == anchor + period


def test_rule_rates_need_singular_for_one_and_plural_otherwise() -> None:
    parse_rule_schedule_expression("rate(1 hour)")
    parse_rule_schedule_expression("rate(5 minutes)")
    for bad in ["rate(1 hours)", "rate(5 minute)"]:
        with pytest.raises(ScheduleExpressionError) as err:
            parse_rule_schedule_expression(bad)
        assert err.value.message == "Parameter ScheduleExpression is not valid."


# ---- at -----------------------------------------------------------------------------------


def test_at_fires_once_in_its_timezone() -> None:
    expr = parse_schedule_expression("at(2026-07-04T09:30:00)", "America/New_York")
    assert expr.one_time and expr.kind == "at"
    assert expr.next_fire(utc(2026, 1, 1)) == utc(2026, 7, 4, 13, 30)
    assert expr.next_fire(utc(2026, 7, 4, 13, 30)) is None
    assert parse_schedule_expression("at(2026-07-04T09:30:00)").next_fire(utc(2026, 1, 1)) == utc(
        2026, 7, 4, 9, 30
    )


def test_at_in_a_skipped_or_repeated_wall_time() -> None:
    skipped = parse_schedule_expression("at(2026-03-08T02:30:00)", "America/New_York")
    assert skipped.next_fire(utc(2026, 1, 1)) == utc(2026, 3, 8, 7, 30)  # reads as 03:30 EDT
    repeated = parse_schedule_expression("at(2026-11-01T01:30:00)", "America/New_York")
    assert repeated.next_fire(utc(2026, 1, 1)) == utc(2026, 11, 1, 5, 30)  # first 01:30


def test_rules_refuse_at() -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_rule_schedule_expression("at(2026-07-04T09:30:00)")


# ---- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "every 5 minutes",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(5 weeks)",
        "rate(5)",
        "rate(1.5 hours)",
        "at(2026-02-30T00:00:00)",
        "at(2026-07-04 09:30:00)",
        "at(2026-07-04T25:00:00)",
        "cron(0 10 * * ?)",
        "cron(0 10 * * ? * *)",
        "cron(0 10 * * * *)",
        "cron(0 10 ? * ? *)",
        "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 * 13 ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? * 2#6 *)",
        "cron(0 0 ? * 2#1,3#2 *)",
        "cron(0 0 ? * MON,3#2 *)",
        "cron(0 0 * * ? 1969)",
        "cron(0 0 * * ? 2200)",
        "cron(0/0 0 * * ? *)",
        "cron(x 0 * * ? *)",
        "cron(0 0 * FOO ? *)",
        "cron(0 0 ? * MON-FOO *)",
        "cron(0 0 32W * ? *)",
        " rate(5 minutes)",
    ],
)
def test_invalid_expressions_are_refused_with_aws_message(text: str) -> None:
    with pytest.raises(ScheduleExpressionError) as err:
        parse_schedule_expression(text)
    assert err.value.message == f"Invalid Schedule Expression {text}."
    assert isinstance(err.value, ValueError)
    assert err.value.reason


def test_unknown_timezone_is_refused() -> None:
    for tz in ["Mars/Olympus", "../etc/passwd", "America/"]:
        with pytest.raises(ScheduleExpressionError) as err:
            parse_schedule_expression("rate(5 minutes)", tz)
        assert err.value.message == f"Invalid ScheduleExpressionTimezone {tz}."


def test_expressions_are_values() -> None:
    a = parse_schedule_expression("cron(0 9 * * ? *)", "Europe/Paris")
    b = parse_schedule_expression("cron(0 9 * * ? *)", "Europe/Paris")
    assert a == b and hash(a) == hash(b)
    assert a.timezone == "Europe/Paris" and a.kind == "cron" and not a.one_time
    # A naive `after` reads as UTC.
    assert a.next_fire(datetime(2026, 1, 1)) == utc(2026, 1, 1, 8)
