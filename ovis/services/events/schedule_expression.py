"""Schedule expressions of scheduled rules, behind one function until the shared parser
(``ovis.models.schedule_expression``, written with EventBridge Scheduler) is merged.

Only ``rate(value unit)`` is understood here: a positive whole ``value`` and ``minute``,
``hour`` or ``day`` (singular for 1, plural otherwise, as AWS insists). Firings are at
``anchor + k * period`` for k >= 1: a rate schedule starts when the rule is created and runs on
its period. ``cron(...)`` is refused until the shared parser replaces this module.
"""

from __future__ import annotations

import re

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def rate_period_ms(expression: str) -> int | None:
    """The period of a valid rate expression in ms; None if ``expression`` is not one."""
    m = _RATE.fullmatch(expression)
    if m is None:
        return None
    value, unit = int(m.group(1)), m.group(2)
    if value < 1 or (value == 1) != (not unit.endswith("s")):
        return None
    return value * _UNIT_S[unit.rstrip("s")] * 1000


def is_valid(expression: str) -> bool:
    return rate_period_ms(expression) is not None


def next_fire(expression: str, after_ms: int, anchor_ms: int, scale: float = 1.0) -> int:
    """The first firing strictly after ``after_ms`` of a valid expression whose schedule
    started at ``anchor_ms``; ``scale`` shrinks periods (tests)."""
    period = rate_period_ms(expression)
    if period is None:
        raise ValueError(f"not a schedule expression: {expression}")
    step = max(1, int(period * scale))
    if after_ms < anchor_ms:
        return anchor_ms + step
    return anchor_ms + ((after_ms - anchor_ms) // step + 1) * step
