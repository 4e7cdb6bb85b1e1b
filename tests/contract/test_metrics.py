"""CloudWatch storage: datapoints by metric and time, metrics last seen, alarms with their
history written together, state changes of alarms that are gone."""

from __future__ import annotations

from ovis.models.metric import Alarm, AlarmHistoryItem, AlarmState, Datum, MetricKey
from tests.contract.conftest import Backend, Storage

K = MetricKey("App", "Latency", (("Service", "api"), ("Stage", "prod")))


def datum(key: MetricKey, ts: int, v: float, unit: str = "Milliseconds") -> Datum:
    return Datum(key, ts, unit, 1.0, v, v, v, {v: 1.0})


def test_datapoints_by_metric_and_time_range(backend: Backend, storage: Storage) -> None:
    m = storage.metrics
    m.put_data([])
    other_dims = MetricKey("App", "Latency", (("Service", "web"),))
    m.put_data([datum(K, 60_000, 1.5), datum(K, 120_000, 2.5), datum(other_dims, 60_000, 9.0)])
    m.put_data([Datum(K, 60_000, "Milliseconds", 4.0, 10.0, 1.0, 4.0, {}, True)])
    seen = backend.open().metrics
    got = seen.data(K, 60_000, 120_000)  # end exclusive
    assert [(d.timestamp_ms, d.count, d.total, d.values) for d in got] == [
        (60_000, 1.0, 1.5, {1.5: 1.0}),
        (60_000, 4.0, 10.0, {}),
    ]
    assert got[1].high_resolution and not got[0].high_resolution
    assert [d.total for d in seen.data(K, 0, 10**12)] == [1.5, 10.0, 2.5]
    assert seen.data(MetricKey("App", "Latency"), 0, 10**12) == []  # dimensions are identity
    listed = seen.metrics("App", None, 0)
    assert [k for k, _ in listed] == [K, other_dims]
    assert [k for k, _ in seen.metrics(None, "Nope", 0)] == []
    assert seen.metrics("App", "Latency", 10**15) == []  # none put that recently


def _alarm(name: str, state: str = "INSUFFICIENT_DATA") -> Alarm:
    return Alarm(
        name,
        f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{name}",
        {"AlarmName": name, "Threshold": 1.0, "Dimensions": [{"Name": "a", "Value": "b"}]},
        AlarmState(state, "Unchecked: Initial alarm creation", None, 1000),
        True,
        1000,
        1000,
    )


def _history(name: str, ts: int, kind: str = "ConfigurationUpdate") -> AlarmHistoryItem:
    return AlarmHistoryItem(name, "MetricAlarm", ts, kind, f"{kind} of {name}", "{}")


def test_alarms_and_history(backend: Backend, storage: Storage) -> None:
    m = storage.metrics
    m.put_alarm(_alarm("b"), _history("b", 1000))
    m.put_alarm(_alarm("a"), _history("a", 1001))
    seen = backend.open().metrics
    assert [a.name for a in seen.alarms()] == ["a", "b"]
    assert seen.alarm("a") == _alarm("a")
    assert seen.alarm("zz") is None
    new = AlarmState("ALARM", "Threshold Crossed", '{"x": 1}', 5000)
    assert m.set_alarm_state("a", new, _history("a", 5000, "StateUpdate"), True)
    a = seen.alarm("a")
    assert a is not None and a.state == new and a.transitioned_ms == 5000
    assert not m.set_alarm_state("zz", new, _history("zz", 5000, "StateUpdate"), True)
    assert seen.history("zz", None, 0, 10**12) == []  # nothing written for a missing alarm
    m.set_actions_enabled(["a"], False)
    assert seen.alarm("a").actions_enabled is False  # type: ignore[union-attr]
    m.add_history(_history("a", 6000, "Action"))
    assert [h.item_type for h in seen.history("a", None, 0, 10**12)] == [
        "Action",
        "StateUpdate",
        "ConfigurationUpdate",
    ]
    assert [h.timestamp_ms for h in seen.history(None, "ConfigurationUpdate", 0, 10**12)] == [
        1001,
        1000,
    ]
    assert [h.item_type for h in seen.history("a", None, 5500, 10**12)] == ["Action"]
    m.delete_alarms(["a"])
    assert [x.name for x in seen.alarms()] == ["b"]
    assert seen.history("a", None, 0, 10**12) == []
