"""Schedule expressions as EventBridge Scheduler and EventBridge scheduled rules write them.

``parse_schedule_expression(text, timezone)`` (Scheduler: ``at(...)``, ``rate(...)``,
``cron(...)``, evaluated in an IANA ``ScheduleExpressionTimezone``) and
``parse_rule_schedule_expression(text)`` (EventBridge rules: ``rate(...)`` and ``cron(...)`` in
UTC, with the rules' stricter singular/plural unit) validate a text and return a
:class:`ScheduleExpression`; ``expression.next_fire(after)`` answers the first fire time strictly
after ``after``, or ``None`` when the expression never fires again.

Contract:

- Values are immutable and hold no mutable state: share them between threads and tasks freely.
- ``next_fire`` takes and returns timezone-aware datetimes (UTC on return); a naive ``after`` is
  read as UTC. It is pure: the same input always gives the same answer (no clock is read).
- ``at(yyyy-mm-ddThh:mm:ss)``: one fire at that wall-clock time in the timezone (a time that
  does not exist because of a DST jump is read as the wall clock's time just after the jump; an
  ambiguous one as its first occurrence).
- ``rate(value unit)``: fires at ``anchor + k * period`` for k >= 0, where the caller gives the
  anchor (Scheduler: StartDate, else the creation time; rules: the creation time). Units are
  minute(s), hour(s), day(s); a day is 24 hours whatever DST does (as AWS documents).
- ``cron(minutes hours day-of-month month day-of-week year)``: AWS's six fields, with
  ``, - * /`` everywhere, ``? L W`` in day-of-month (``L``, ``L-n``, ``nW``, ``LW``), ``? L #`` in
  day-of-week (``1``-``7`` = SUN-SAT or names, ``nL`` the month's last such weekday, ``n#k`` its
  k-th, alone in its field), JAN-DEC names, years 1970-2199. Exactly one of day-of-month and
  day-of-week is ``?``. Ranges may wrap (``FRI-MON``, ``22-2``). Cron times are evaluated on the
  timezone's wall clock, as AWS documents for DST: a wall time skipped by the spring jump does
  not fire; a wall time repeated by the fall jump fires once (its first occurrence).
- Errors: :class:`ScheduleExpressionError` (a ``ValueError``) with ``.message`` in AWS's words
  for the dialect (Scheduler: ``Invalid Schedule Expression <text>.``; rules: ``Parameter
  ScheduleExpression is not valid.``) and ``.reason`` saying exactly what is wrong (for logs and
  tests). A bad timezone raises it too (``Invalid ScheduleExpressionTimezone <tz>.``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "AtExpression",
    "CronExpression",
    "RateExpression",
    "ScheduleExpression",
    "ScheduleExpressionError",
    "parse_rule_schedule_expression",
    "parse_schedule_expression",
    "zone",
]

MIN_YEAR, MAX_YEAR = 1970, 2199
# A rate's period is bounded so that anchor + k * period stays a representable datetime.
MAX_RATE_MINUTES = 10**9

_SCHEDULER_MESSAGE = "Invalid Schedule Expression {text}."
_RULES_MESSAGE = "Parameter ScheduleExpression is not valid."

# Literal names: calendar.month_abbr follows the process locale.
_MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
# AWS numbers days of the week 1 (SUN) to 7 (SAT).
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)")
_RATE = re.compile(r"rate\(\s*(\d+)\s+([A-Za-z]+)\s*\)")
_CRON = re.compile(r"cron\((.*)\)", re.DOTALL)
_UNITS = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}


class ScheduleExpressionError(ValueError):
    """An expression (or timezone) AWS would refuse; ``message`` is AWS's wording."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(f"{message} ({reason})")
        self.message = message
        self.reason = reason


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (``None`` or empty: UTC); ScheduleExpressionError if unknown."""
    if not name:
        return ZoneInfo("UTC")
    try:
        if name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleExpressionError(
            f"Invalid ScheduleExpressionTimezone {name}.", f"unknown time zone {name!r}"
        ) from None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time (first occurrence), None if the wall clock skips it."""
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        return None
    return aware.astimezone(UTC)


@dataclass(frozen=True)
class ScheduleExpression:
    """A validated expression; subclasses answer ``next_fire``."""

    text: str
    timezone: str = "UTC"

    @property
    def kind(self) -> str:
        """``at``, ``rate`` or ``cron``."""
        raise NotImplementedError

    @property
    def one_time(self) -> bool:
        return False

    def next_fire(self, after: datetime, *, anchor: datetime | None = None) -> datetime | None:
        """The first fire strictly after ``after`` (UTC), or None if there is none.

        ``anchor`` is the start of a rate's sequence (ignored by at and cron)."""
        raise NotImplementedError


@dataclass(frozen=True)
class AtExpression(ScheduleExpression):
    wall_clock: datetime = field(default=datetime(1970, 1, 1))

    @property
    def kind(self) -> str:
        return "at"

    @property
    def one_time(self) -> bool:
        return True

    @property
    def fire_time(self) -> datetime:
        """The one fire time, in UTC."""
        tz = zone(self.timezone)
        exact = _local_to_utc(self.wall_clock, tz)
        if exact is not None:
            return exact
        # Skipped by a spring-forward jump: the wall clock reads the time shifted by the jump.
        return self.wall_clock.replace(tzinfo=tz, fold=0).astimezone(UTC)

    def next_fire(self, after: datetime, *, anchor: datetime | None = None) -> datetime | None:
        fire = self.fire_time
        return fire if fire > _utc(after) else None


@dataclass(frozen=True)
class RateExpression(ScheduleExpression):
    period: timedelta = field(default=timedelta(minutes=1))

    @property
    def kind(self) -> str:
        return "rate"

    def next_fire(self, after: datetime, *, anchor: datetime | None = None) -> datetime | None:
        start = _utc(anchor) if anchor is not None else datetime(1970, 1, 1, tzinfo=UTC)
        after = _utc(after)
        if after < start:
            return start
        steps = (after - start) // self.period + 1
        try:
            return start + steps * self.period
        except OverflowError:
            return None


@dataclass(frozen=True)
class _DaySpec:
    """Day-of-month or day-of-week constraints of one cron expression."""

    month_days: frozenset[int] | None = None  # plain days of month; None: not used
    last_day_offsets: frozenset[int] = frozenset()  # L (0), L-n (n)
    nearest_weekdays: frozenset[int] = frozenset()  # nW
    last_weekday: bool = False  # LW
    week_days: frozenset[int] | None = None  # 1 (SUN) .. 7 (SAT)
    last_of_week_day: frozenset[int] = frozenset()  # nL
    nth_week_day: frozenset[tuple[int, int]] = frozenset()  # n#k

    def matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.month_days is not None and day.day in self.month_days:
            return True
        if any(day.day == last - n for n in self.last_day_offsets):
            return True
        if self.nearest_weekdays and day.weekday() < 5:
            for wanted in self.nearest_weekdays:
                if _nearest_weekday(day.year, day.month, wanted, last) == day.day:
                    return True
        if self.last_weekday and day.day == _nearest_weekday(day.year, day.month, last, last):
            return True
        aws_dow = (day.weekday() + 1) % 7 + 1  # Monday=0 -> 2, Sunday=6 -> 1
        if self.week_days is not None and aws_dow in self.week_days:
            return True
        if aws_dow in self.last_of_week_day and day.day + 7 > last:
            return True
        return (aws_dow, (day.day - 1) // 7 + 1) in self.nth_week_day


def _nearest_weekday(year: int, month: int, wanted: int, last: int) -> int:
    """The weekday of the month nearest to day ``wanted`` without leaving the month (Quartz W)."""
    wanted = min(wanted, last)
    weekday = date(year, month, wanted).weekday()
    if weekday < 5:
        return wanted
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return wanted - 1 if wanted > 1 else wanted + 2
    return wanted + 1 if wanted < last else wanted - 2  # Sunday


@dataclass(frozen=True)
class CronExpression(ScheduleExpression):
    minutes: tuple[int, ...] = ()
    hours: tuple[int, ...] = ()
    months: tuple[int, ...] = ()
    years: tuple[int, ...] = ()
    days: _DaySpec = field(default_factory=_DaySpec)

    @property
    def kind(self) -> str:
        return "cron"

    def next_fire(self, after: datetime, *, anchor: datetime | None = None) -> datetime | None:
        tz = zone(self.timezone)
        after = _utc(after)
        # Start from the wall clock at `after`: candidates before it in UTC (the repeated hour
        # of a fall-back day) are skipped by the UTC comparison below.
        naive = after.astimezone(tz).replace(tzinfo=None, fold=0)
        while True:
            candidate = self._next_wall_clock(naive)
            if candidate is None:
                return None
            instant = _local_to_utc(candidate, tz)
            if instant is not None and instant > after:
                return instant
            naive = candidate + timedelta(minutes=1)

    def _next_wall_clock(self, start: datetime) -> datetime | None:
        """The first matching wall-clock minute at or after ``start`` (a naive datetime)."""
        t = start.replace(second=0, microsecond=0)
        if t < start:
            t += timedelta(minutes=1)
        while True:
            if t.year > MAX_YEAR:
                return None
            if t.year not in self.years:
                year = _next_in(self.years, t.year + 1)
                if year is None:
                    return None
                t = datetime(year, 1, 1)
                continue
            if t.month not in self.months:
                month = _next_in(self.months, t.month + 1)
                t = datetime(t.year + 1, 1, 1) if month is None else datetime(t.year, month, 1)
                continue
            if not self.days.matches(t.date()):
                t = datetime(t.year, t.month, t.day) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                hour = _next_in(self.hours, t.hour + 1)
                day = datetime(t.year, t.month, t.day)
                t = day + timedelta(days=1) if hour is None else day.replace(hour=hour)
                continue
            if t.minute not in self.minutes:
                minute = _next_in(self.minutes, t.minute + 1)
                hour_start = t.replace(minute=0)
                t = hour_start + timedelta(hours=1) if minute is None else t.replace(minute=minute)
                continue
            return t


def _next_in(values: tuple[int, ...], at_least: int) -> int | None:
    for v in values:  # sorted ascending
        if v >= at_least:
            return v
    return None


# ---- parsing ------------------------------------------------------------------------------


class _Invalid(Exception):
    """Internal: why a text is not an expression (wrapped into ScheduleExpressionError)."""


def _number(token: str, low: int, high: int, names: dict[str, int] | None, what: str) -> int:
    upper = token.upper()
    if names is not None and upper in names:
        return names[upper]
    if not token.isdigit():
        raise _Invalid(f"{what}: {token!r} is not a number" + (" or a name" if names else ""))
    value = int(token)
    if not low <= value <= high:
        raise _Invalid(f"{what}: {value} is outside {low}-{high}")
    return value


def _span(low: int, high: int, start: int, end: int, step: int) -> Iterable[int]:
    if start <= end:
        return range(start, end + 1, step)
    # A wrapping range (FRI-MON, 22-2) runs to the top and starts again at the bottom.
    width = high - low + 1
    count = (end - start) % width + 1
    return (low + (start - low + i) % width for i in range(0, count, step))


def _field(
    text: str, low: int, high: int, what: str, names: dict[str, int] | None = None
) -> set[int]:
    """A plain cron field (`, - * /`); returns the set of values it allows."""
    if text == "":
        raise _Invalid(f"{what}: empty")
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise _Invalid(f"{what}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, second = base.partition("-")
            start = _number(first, low, high, names, what)
            end = _number(second, low, high, names, what)
        else:
            start = _number(base, low, high, names, what)
            end = high if slash else start
        values.update(_span(low, high, start, end, step))
    return values


_LAST_OFFSET = re.compile(r"L-(\d+)")
_NEAREST = re.compile(r"(\d+)W")
_LAST_OF = re.compile(r"([0-9A-Za-z]+)L")
_NTH = re.compile(r"([0-9A-Za-z]+)#(\d+)")


def _day_of_month(text: str) -> _DaySpec:
    what = "day-of-month"
    plain: list[str] = []
    offsets: set[int] = set()
    nearest: set[int] = set()
    last_weekday = False
    for item in text.split(","):
        upper = item.upper()
        if upper == "L":
            offsets.add(0)
        elif upper == "LW":
            last_weekday = True
        elif m := _LAST_OFFSET.fullmatch(upper):
            n = int(m.group(1))
            if n > 30:
                raise _Invalid(f"{what}: L-{n} offset must be 0-30")
            offsets.add(n)
        elif m := _NEAREST.fullmatch(upper):
            nearest.add(_number(m.group(1), 1, 31, None, what))
        else:
            plain.append(item)
    month_days = frozenset(_field(",".join(plain), 1, 31, what)) if plain else frozenset()
    return _DaySpec(
        month_days=month_days,
        last_day_offsets=frozenset(offsets),
        nearest_weekdays=frozenset(nearest),
        last_weekday=last_weekday,
    )


def _day_of_week(text: str) -> _DaySpec:
    what = "day-of-week"
    plain: list[str] = []
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    items = text.split(",")
    if len(items) > 1 and any("#" in item for item in items):
        raise _Invalid(f"{what}: '#' must be the field's only expression")
    for item in items:
        upper = item.upper()
        if upper == "L":
            plain.append("7")  # L alone is the last day of the week: Saturday
        elif (m := _NTH.fullmatch(upper)) is not None:
            k = int(m.group(2))
            if not 1 <= k <= 5:
                raise _Invalid(f"{what}: #{k} must be 1-5")
            nth.add((_number(m.group(1), 1, 7, _DAYS, what), k))
        elif (m := _LAST_OF.fullmatch(upper)) is not None:
            last_of.add(_number(m.group(1), 1, 7, _DAYS, what))
        else:
            plain.append(item)
    week_days = frozenset(_field(",".join(plain), 1, 7, what, _DAYS)) if plain else frozenset()
    return _DaySpec(
        month_days=None,
        week_days=week_days,
        last_of_week_day=frozenset(last_of),
        nth_week_day=frozenset(nth),
    )


def _cron(body: str, text: str, timezone: str) -> CronExpression:
    fields = body.split()
    if len(fields) != 6:
        raise _Invalid(
            "cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}"
        )
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise _Invalid("exactly one of day-of-month and day-of-week must be '?'")
    days = _day_of_week(dow) if dom == "?" else _day_of_month(dom)
    return CronExpression(
        text=text,
        timezone=timezone,
        minutes=tuple(sorted(_field(minutes, 0, 59, "minutes"))),
        hours=tuple(sorted(_field(hours, 0, 23, "hours"))),
        months=tuple(sorted(_field(month, 1, 12, "month", _MONTHS))),
        years=tuple(sorted(_field(year, MIN_YEAR, MAX_YEAR, "year"))),
        days=days,
    )


def _rate(
    value_text: str, unit: str, text: str, timezone: str, strict_plural: bool
) -> RateExpression:
    value = int(value_text)
    unit = unit.lower()
    if unit not in _UNITS:
        raise _Invalid(f"rate unit {unit!r} is not minute(s), hour(s) or day(s)")
    if value < 1:
        raise _Invalid("rate value must be a positive number")
    if strict_plural and (value == 1) == unit.endswith("s"):
        raise _Invalid("rate unit must be singular for 1 and plural otherwise")
    minutes = value * _UNITS[unit]
    if minutes > MAX_RATE_MINUTES:
        raise _Invalid(f"rate period is longer than {MAX_RATE_MINUTES} minutes")
    return RateExpression(text=text, timezone=timezone, period=timedelta(minutes=minutes))


def _at(match: re.Match[str], text: str, timezone: str) -> AtExpression:
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    try:
        wall = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise _Invalid(f"at: {exc}") from None
    return AtExpression(text=text, timezone=timezone, wall_clock=wall)


def _parse(text: str, timezone: str, *, rules: bool) -> ScheduleExpression:
    if (m := _AT.fullmatch(text)) is not None:
        if rules:
            raise _Invalid("scheduled rules take rate() or cron(), not at()")
        return _at(m, text, timezone)
    if (m := _RATE.fullmatch(text)) is not None:
        return _rate(m.group(1), m.group(2), text, timezone, strict_plural=rules)
    if (m := _CRON.fullmatch(text)) is not None:
        return _cron(m.group(1), text, timezone)
    raise _Invalid("not at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)")


def parse_schedule_expression(text: str, timezone: str | None = None) -> ScheduleExpression:
    """An EventBridge Scheduler ScheduleExpression evaluated in ScheduleExpressionTimezone."""
    tz_name = zone(timezone).key if timezone else "UTC"
    try:
        return _parse(text, tz_name, rules=False)
    except _Invalid as exc:
        raise ScheduleExpressionError(_SCHEDULER_MESSAGE.format(text=text), str(exc)) from None


def parse_rule_schedule_expression(text: str) -> ScheduleExpression:
    """An EventBridge rule's ScheduleExpression (rate or cron, in UTC)."""
    try:
        return _parse(text, "UTC", rules=True)
    except _Invalid as exc:
        raise ScheduleExpressionError(_RULES_MESSAGE, str(exc)) from None
