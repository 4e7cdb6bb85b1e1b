"""CloudWatch metric values: a metric's identity, one stored datum, an alarm and its state.

A metric is (namespace, name, dimensions); dimensions are kept sorted by name so that the same
set given in any order is the same metric (as on AWS). A ``Datum`` is what one PutMetricData
entry (or one flush of the platform's aggregator) adds for one metric at one timestamp: a
statistic set and, when individual values are known, their distribution (value -> count),
from which percentiles are computed. Frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Dimensions = tuple[tuple[str, str], ...]


class MetricPut(Protocol):
    """Where the platform's parts report metric values (``ovis.invoke.metrics.PlatformMetrics
    .put``): in memory, no I/O, event-loop thread; ``dims`` sorted by name."""

    def put(
        self,
        namespace: str,
        name: str,
        dims: Dimensions,
        value: float,
        unit: str = "Count",
        ts_ms: int | None = None,
    ) -> None: ...


def dimensions(pairs: Any) -> Dimensions:
    """Sorted (name, value) pairs from wire ``[{"Name", "Value"}]`` or (name, value) pairs."""
    out = []
    for d in pairs or ():
        if isinstance(d, dict):
            out.append((str(d["Name"]), str(d["Value"])))
        else:
            out.append((str(d[0]), str(d[1])))
    return tuple(sorted(out))


@dataclass(frozen=True)
class MetricKey:
    namespace: str
    name: str
    dimensions: Dimensions = ()

    def wire(self) -> dict[str, Any]:
        return {
            "Namespace": self.namespace,
            "MetricName": self.name,
            "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions],
        }


@dataclass(frozen=True)
class Datum:
    key: MetricKey
    timestamp_ms: int
    unit: str  # "None" when not given, as AWS records it
    count: float
    total: float
    minimum: float
    maximum: float
    values: dict[float, float] = field(default_factory=dict)  # value -> count; {} if unknown
    high_resolution: bool = False  # StorageResolution 1


ALARM_STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


@dataclass(frozen=True)
class AlarmState:
    value: str  # one of ALARM_STATES
    reason: str
    reason_data: str | None
    updated_ms: int


@dataclass(frozen=True)
class Alarm:
    """A metric alarm: ``config`` holds PutMetricAlarm's members as given (validated), with
    the alarm's ARN; ``state`` its current state."""

    name: str
    arn: str
    config: dict[str, Any]
    state: AlarmState
    actions_enabled: bool
    configuration_updated_ms: int
    transitioned_ms: int = 0


@dataclass(frozen=True)
class AlarmHistoryItem:
    alarm_name: str
    alarm_type: str  # "MetricAlarm"
    timestamp_ms: int
    item_type: str  # ConfigurationUpdate | StateUpdate | Action
    summary: str
    data: str
