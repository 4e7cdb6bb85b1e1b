"""EventBridge Scheduler's store: groups and their schedules, API writes that keep or replace
the timer state, fires recorded once (the exactly-once guard), and the outbox."""

from __future__ import annotations

from dataclasses import replace

from ovis.models.schedule import Fire, FireRecord, Schedule, ScheduleGroup, ScheduleWrite
from tests.contract.conftest import Backend, Storage

ARN = "arn:aws:scheduler:us-east-1:000000000000:schedule/{}/{}"


def schedule(name: str = "s", group: str = "default", **kw: object) -> Schedule:
    values: dict[str, object] = {
        "group": group,
        "name": name,
        "arn": ARN.format(group, name),
        "expression": "rate(5 minutes)",
        "timezone": "Europe/Paris",
        "start_ms": None,
        "end_ms": 9_000_000,
        "description": "d",
        "state": "ENABLED",
        "flexible_mode": "OFF",
        "flexible_window_min": None,
        "action_after_completion": "NONE",
        "kms_key_arn": None,
        "target": {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:f", "Input": "{}"},
        "client_token": "tok",
        "created_ms": 100,
        "modified_ms": 200,
        "next_fire_ms": 1000,
        "next_due_ms": 1000,
        "last_fired_ms": None,
    }
    values.update(kw)
    return Schedule(**values)  # type: ignore[arg-type]


def fire(eid: str = "e1", fire_ms: int = 1000) -> Fire:
    return Fire(eid, ARN.format("default", "s"), "default", "s", {"Arn": "x"}, fire_ms, fire_ms)


def record(expected: int, nxt: int | None, delete: bool = False, eid: str = "e1") -> FireRecord:
    return FireRecord("default", "s", expected, expected, nxt, nxt, delete, fire(eid, expected))


def test_groups_and_cascading_delete(backend: Backend, storage: Storage) -> None:
    st = storage.schedules
    st.put_schedule_group(ScheduleGroup("g", "arn:g", 1, 2, "t"))
    st.put_schedule_group(ScheduleGroup("default", "arn:d", 1, 1))
    st.write_schedules([ScheduleWrite(("g", "a"), schedule("a", "g"))])
    st.write_schedules([ScheduleWrite(("default", "a"), schedule("a"))])
    other = backend.open().schedules
    assert other.schedule_groups() == [
        ScheduleGroup("default", "arn:d", 1, 1),
        ScheduleGroup("g", "arn:g", 1, 2, "t"),
    ]
    assert other.schedules() == [schedule("a"), schedule("a", "g")]  # every field round-trips
    st.delete_schedule_group("g")
    assert [s.key for s in other.schedules()] == [("default", "a")]
    assert [g.name for g in other.schedule_groups()] == ["default"]


def test_writes_in_order_and_keep_timer(backend: Backend, storage: Storage) -> None:
    st = storage.schedules
    s = schedule()
    st.write_schedules([ScheduleWrite(s.key, s), ScheduleWrite(s.key, None)])
    assert st.schedules() == []
    st.write_schedules([ScheduleWrite(s.key, s)])
    assert st.record_fires([record(1000, 2000)]) == [True]
    # A definition-only write keeps the timer state the fire moved on.
    st.write_schedules([ScheduleWrite(s.key, replace(s, description="new"), keep_timer=True)])
    (got,) = backend.open().schedules.schedules()
    assert (got.description, got.next_fire_ms, got.last_fired_ms) == ("new", 2000, 1000)
    # A full write never moves last_fired_ms back.
    st.write_schedules([ScheduleWrite(s.key, replace(s, next_fire_ms=5000, last_fired_ms=None))])
    (got,) = st.schedules()
    assert (got.next_fire_ms, got.last_fired_ms) == (5000, 1000)
    # keep_timer of a schedule that is not stored writes nothing.
    ghost = schedule("ghost")
    st.write_schedules([ScheduleWrite(ghost.key, ghost, keep_timer=True)])
    assert [x.name for x in st.schedules()] == ["s"]


def test_a_fire_is_recorded_once(backend: Backend, storage: Storage) -> None:
    st = storage.schedules
    s = schedule()
    st.write_schedules([ScheduleWrite(s.key, s)])
    assert st.record_fires([record(1000, 2000)]) == [True]
    assert st.record_fires([record(1000, 2000, eid="again")]) == [False]  # already moved on
    # Even if an API write put the old next fire back, the fire is not recorded twice.
    st.write_schedules([ScheduleWrite(s.key, s)])
    assert st.record_fires([record(1000, 2000, eid="twice")]) == [False]
    assert [f.execution_id for f in backend.open().schedules.schedule_fires()] == ["e1"]
    # A fire for a schedule that is gone (deleted by the API meanwhile) is not recorded.
    st.write_schedules([ScheduleWrite(s.key, None)])
    assert st.record_fires([record(1000, 2000, eid="gone")]) == [False]


def test_the_last_fire_can_delete_the_schedule(backend: Backend, storage: Storage) -> None:
    st = storage.schedules
    s = schedule()
    st.write_schedules([ScheduleWrite(s.key, s)])
    assert st.record_fires([record(1000, None, delete=True)]) == [True]
    other = backend.open().schedules
    assert other.schedules() == []
    assert [f.execution_id for f in other.schedule_fires()] == ["e1"]


def test_skipped_fire_moves_on_without_an_outbox_entry(storage: Storage) -> None:
    st = storage.schedules
    s = schedule()
    st.write_schedules([ScheduleWrite(s.key, s)])
    skipped = FireRecord("default", "s", 1000, 1000, 2000, 2100, False, None)
    assert st.record_fires([skipped]) == [True]
    (got,) = st.schedules()
    assert (got.next_fire_ms, got.next_due_ms, got.last_fired_ms) == (2000, 2100, 1000)
    assert st.schedule_fires() == []


def test_the_outbox(backend: Backend, storage: Storage) -> None:
    st = storage.schedules
    s = schedule()
    st.write_schedules([ScheduleWrite(s.key, s)])
    st.record_fires([record(1000, 2000, eid="a")])
    st.record_fires([record(2000, 3000, eid="b")])
    st.finish_fires(["a"], [("b", 2, 9000)])
    (b,) = backend.open().schedules.schedule_fires()
    assert (b.execution_id, b.attempts, b.due_ms, b.fire_ms) == ("b", 2, 9000, 2000)
    assert b.target == {"Arn": "x"}
    st.finish_fires(["b", "unknown"], [])
    assert st.schedule_fires() == []
