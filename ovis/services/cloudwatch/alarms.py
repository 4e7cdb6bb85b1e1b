"""CloudWatch alarms: PutMetricAlarm, PutCompositeAlarm, DescribeAlarms(ForMetric),
DeleteAlarms, SetAlarmState, DescribeAlarmHistory, Enable/DisableAlarmActions, and the
evaluation loop.

Contract: every change is durable on return, the alarm and its history item in one
transaction. A new alarm starts INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"); an
update replaces the configuration and keeps the state (as AWS). ``step()`` evaluates every
alarm once over its last EvaluationPeriods periods ending now, then waits the evaluation
interval (AWS: a minute, or the period when shorter; times ``time_scale``). A state change
(by evaluation or SetAlarmState) is recorded in the history and, when ActionsEnabled, the
actions of the new state run: SNS topic ARNs get AWS's alarm JSON message through the
``TopicSender`` (durable on return); each outcome is an ``Action`` history item. A failed
action is recorded, never retried, and never blocks the state change. After a crash, a state
change whose actions did not run is not replayed (at-most-once actions).

Composite alarms (``AlarmRule`` in their configuration, ``composite.py``) are stored with the
metric alarms. One is evaluated when it is put and whenever an alarm its rule names changes
state (and in the first evaluation pass after a start, for a change a crash cut short): ALARM
when the rule holds, OK when it does not; a SetAlarmState on one holds until a child changes,
as on AWS. Its state changes run its actions like a metric alarm's. The alarms a rule names
must exist when it is put, and a rule may not lead back to its own alarm (AWS lets such cycles
be made and then must be broken by hand; refusing them keeps evaluation finite).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from ovis.invoke.destinations import DeliveryError, TopicSender
from ovis.models.metric import (
    ALARM_STATES,
    Alarm,
    AlarmHistoryItem,
    AlarmState,
    MetricKey,
    dimensions,
)
from ovis.services.cloudwatch import alarm_message
from ovis.services.cloudwatch.commands import (
    DataQuery,
    DescribeAlarmHistory,
    DescribeAlarms,
    MetricStat,
)
from ovis.services.cloudwatch.composite import Rule, parse_rule
from ovis.services.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
    ResourceNotFound,
)
from ovis.services.cloudwatch.evaluation import COMPARISONS, decide
from ovis.services.cloudwatch.metrics import MetricService, decode_token, encode_token, origin
from ovis.services.cloudwatch.params import period as check_period
from ovis.services.cloudwatch.repository import AlarmRepository
from ovis.services.cloudwatch.statistics import STATISTICS, is_percentile
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)
LOOP = "cloudwatch-alarms"
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
SEVEN_DAYS_S = 7 * 24 * 3600
_STORED = (
    *("AlarmName", "AlarmDescription", "OKActions", "AlarmActions", "InsufficientDataActions"),
    *("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period"),
    *("Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator"),
    *("TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId"),
)


_COMPOSITE_STORED = (
    *("AlarmName", "AlarmDescription", "AlarmRule"),
    *("OKActions", "AlarmActions", "InsufficientDataActions"),
)
METRIC_ALARM, COMPOSITE_ALARM = "MetricAlarm", "CompositeAlarm"


def _now() -> int:
    return int(time.time() * 1000)


def alarm_type(a: Alarm) -> str:
    return COMPOSITE_ALARM if "AlarmRule" in a.config else METRIC_ALARM


class AlarmService:
    name = LOOP

    def __init__(
        self,
        store: AlarmRepository,
        metrics: MetricService,
        region: str,
        account: str,
        *,
        topics: TopicSender | None = None,
        time_scale: float = 1.0,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.region = region
        self.account = account
        self.topics = topics
        self.time_scale = time_scale
        self.supervisor = supervisor or Supervisor()
        self._interval_s = 60.0
        self._started = False  # whether the first evaluation pass has run

    # ---- lifecycle

    async def start(self) -> None:
        self.supervisor.loop(LOOP, self.step)

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)

    async def step(self) -> None:
        await asyncio.sleep(max(0.05, self._interval_s * self.time_scale))
        await self.evaluate_all()

    # ---- API use cases

    def arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:{name}"

    async def put(self, params: dict[str, Any]) -> None:
        config = {k: params[k] for k in _STORED if k in params}
        _check_alarm(config)
        name = config["AlarmName"]
        old = await asyncio.to_thread(self.store.alarm, name)
        if old is not None and alarm_type(old) != METRIC_ALARM:
            raise InvalidParameterValue(f"The alarm name {name} is used by a composite alarm.")
        alarm, history = self._configured(name, config, old, params, METRIC_ALARM)
        await asyncio.to_thread(self.store.put_alarm, alarm, history)
        self._interval_s = min(self._interval_s, float(int(config.get("Period") or 60)))

    async def put_composite(self, params: dict[str, Any]) -> None:
        """PutCompositeAlarm: create or replace, then evaluate the rule at once."""
        for member in ("AlarmName", "AlarmRule"):
            if not params.get(member):
                raise MissingParameter(f"The parameter {member} is required.")
        for member in ("ActionsSuppressor", "ActionsSuppressorWaitPeriod"):
            if member in params:
                raise InvalidParameterValue(f"{member} is not supported by this server.")
        config = {k: params[k] for k in _COMPOSITE_STORED if k in params}
        name = config["AlarmName"]
        rule = parse_rule(config["AlarmRule"])
        for arn in _actions(config):
            if not arn.startswith("arn:"):
                raise InvalidParameterValue(f"Invalid arn syntax: {arn}")
        alarms = {a.name: a for a in await asyncio.to_thread(self.store.alarms)}
        old = alarms.get(name)
        if old is not None and alarm_type(old) != COMPOSITE_ALARM:
            raise InvalidParameterValue(f"The alarm name {name} is used by a metric alarm.")
        missing = [n for n in rule.names if n not in alarms and n != name]
        if missing:
            raise InvalidParameterValue(
                f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the "
                "alarm rule do not exist"
            )
        if self._leads_back(name, rule, alarms):
            raise InvalidParameterValue(
                f"The alarm rule of {name} leads back to {name} through the alarms it names; "
                "a composite alarm may not depend on itself."
            )
        alarm, history = self._configured(name, config, old, params, COMPOSITE_ALARM)
        await asyncio.to_thread(self.store.put_alarm, alarm, history)
        await self._evaluate_composite(alarm, None)

    def _configured(
        self,
        name: str,
        config: dict[str, Any],
        old: Alarm | None,
        params: dict[str, Any],
        kind: str,
    ) -> tuple[Alarm, AlarmHistoryItem]:
        """The alarm as put (a new one starts INSUFFICIENT_DATA; a replaced one keeps its state
        and when it last changed) and its ConfigurationUpdate history item."""
        now = _now()
        state = (
            old.state
            if old
            else AlarmState("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", None, now)
        )
        alarm = Alarm(
            name,
            self.arn(name),
            config,
            state,
            bool(params.get("ActionsEnabled", True)),
            now,
            old.transitioned_ms if old else now,
        )
        verb = "updated" if old else "created"
        history = AlarmHistoryItem(
            name,
            kind,
            now,
            "ConfigurationUpdate",
            f'Alarm "{name}" {verb}',
            json.dumps({"version": "1.0", "type": verb.capitalize(), "updatedAlarm": config}),
        )
        return alarm, history

    @staticmethod
    def _leads_back(name: str, rule: Rule, alarms: dict[str, Alarm]) -> bool:
        seen: set[str] = set()
        todo = list(rule.names)
        while todo:
            n = todo.pop()
            if n == name:
                return True
            if n in seen:
                continue
            seen.add(n)
            child = alarms.get(n)
            if child is not None and alarm_type(child) == COMPOSITE_ALARM:
                todo.extend(parse_rule(child.config["AlarmRule"]).names)
        return False

    async def _evaluate_composite(self, alarm: Alarm, cause: Alarm | None) -> None:
        """Set the composite's state from its rule over the current states of every alarm."""
        rule = parse_rule(alarm.config["AlarmRule"])
        alarms = {a.name: a for a in await asyncio.to_thread(self.store.alarms)}
        current = alarms.get(alarm.name)
        if current is None:
            return
        states = {n: a.state.value for n, a in alarms.items()}
        value = "ALARM" if rule.holds(states) else "OK"
        if value == current.state.value:
            return
        now = _now()
        children = [alarms[n] for n in rule.names if n in alarms]
        triggering = [cause] if cause is not None and cause.name in rule.names else children
        triggering = [alarms.get(t.name, t) for t in triggering]
        if triggering:
            t = triggering[0]
            reason = f"{t.arn} transitioned to {t.state.value} at " + time.strftime(
                "%A %d %B, %Y %H:%M:%S UTC", time.gmtime(t.state.updated_ms / 1000)
            )
        else:
            reason = f"The alarm rule evaluated to {'TRUE' if value == 'ALARM' else 'FALSE'}"
        data = json.dumps(
            {
                "triggeringAlarms": [
                    {
                        "arn": t.arn,
                        "state": {
                            "value": t.state.value,
                            "timestamp": alarm_message.iso(t.state.updated_ms),
                        },
                    }
                    for t in triggering
                ]
            }
        )
        await self._transition(current, AlarmState(value, reason, data, now))

    async def _parents_changed(self, child: Alarm) -> None:
        """Re-evaluate every composite whose rule names ``child`` (which just changed)."""
        for a in await asyncio.to_thread(self.store.alarms):
            if alarm_type(a) == COMPOSITE_ALARM and child.name in _rule_names(a):
                await self._evaluate_composite(a, child)

    async def describe(self, cmd: DescribeAlarms) -> dict[str, Any]:
        if cmd.names and cmd.prefix is not None:
            raise InvalidParameterCombination(
                "AlarmNames and AlarmNamePrefix cannot be specified together."
            )
        for t in cmd.types:
            if t not in (METRIC_ALARM, COMPOSITE_ALARM):
                raise InvalidParameterValue(
                    f"The value {t} for parameter AlarmTypes is not valid: it must be "
                    "MetricAlarm or CompositeAlarm."
                )
        if cmd.children_of is not None and cmd.parents_of is not None:
            raise InvalidParameterCombination(
                "ChildrenOfAlarmName and ParentsOfAlarmName cannot be specified together."
            )
        alarms = await asyncio.to_thread(self.store.alarms)
        by_name = {a.name: a for a in alarms}
        # AWS: without AlarmTypes, only metric alarms are returned
        types = set(cmd.types) or {METRIC_ALARM}
        related: set[str] | None = None
        if cmd.children_of is not None:
            parent = by_name.get(cmd.children_of)
            related = set(_rule_names(parent)) if parent is not None else set()
        elif cmd.parents_of is not None:
            related = {a.name for a in alarms if cmd.parents_of in _rule_names(a)}
        out = []
        for a in alarms:
            if alarm_type(a) not in types:
                continue
            if related is not None and a.name not in related:
                continue
            if cmd.names and a.name not in cmd.names:
                continue
            if cmd.prefix is not None and not a.name.startswith(cmd.prefix):
                continue
            if cmd.state is not None and a.state.value != cmd.state:
                continue
            if cmd.action_prefix is not None and not any(
                arn.startswith(cmd.action_prefix) for arn in _actions(a.config)
            ):
                continue
            out.append(a)
        start = decode_token(cmd.next_token) if cmd.next_token else 0
        if not isinstance(start, int) or start < 0:
            raise InvalidNextToken("The service cannot return the next page: invalid token.")
        page = out[start : start + cmd.max_records]
        more = start + cmd.max_records < len(out)
        return {
            "MetricAlarms": [self.wire(a) for a in page if alarm_type(a) == METRIC_ALARM],
            "CompositeAlarms": [self.wire(a) for a in page if alarm_type(a) == COMPOSITE_ALARM],
            "NextToken": encode_token(start + cmd.max_records) if more else None,
        }

    async def for_metric(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        want = dimensions(p.get("Dimensions"))
        out = []
        for a in await asyncio.to_thread(self.store.alarms):
            c = a.config
            if c.get("MetricName") != p["MetricName"] or c.get("Namespace") != p["Namespace"]:
                continue
            if "Dimensions" in p and dimensions(c.get("Dimensions")) != want:
                continue
            if any(
                k in p and c.get(k) != p[k]
                for k in ("Statistic", "ExtendedStatistic", "Period", "Unit")
            ):
                continue
            out.append(self.wire(a))
        return out

    async def delete(self, names: list[str]) -> None:
        existing = {a.name for a in await asyncio.to_thread(self.store.alarms)}
        missing = [n for n in names if n not in existing]
        if missing:
            raise ResourceNotFound(f"1 or more alarms not found: [{', '.join(missing)}]")  # AWS's
        await asyncio.to_thread(self.store.delete_alarms, names)
        # the composites naming a deleted alarm: its state functions are now all false
        gone = set(names)
        for a in await asyncio.to_thread(self.store.alarms):
            if alarm_type(a) == COMPOSITE_ALARM and gone & set(_rule_names(a)):
                await self._evaluate_composite(a, None)

    async def set_actions(self, names: list[str], enabled: bool) -> None:
        await asyncio.to_thread(self.store.set_actions_enabled, names, enabled)

    async def set_state(self, name: str, value: str, reason: str, reason_data: str | None) -> None:
        alarm = await asyncio.to_thread(self.store.alarm, name)
        if alarm is None:
            raise ResourceNotFound(f"Alarm {name} not found")
        if reason_data is not None:
            try:
                json.loads(reason_data)
            except ValueError:
                raise InvalidFormat("Invalid JSON in StateReasonData") from None
        await self._transition(alarm, AlarmState(value, reason, reason_data, _now()))

    async def history(self, cmd: DescribeAlarmHistory) -> dict[str, Any]:
        items = await asyncio.to_thread(
            self.store.history, cmd.name, cmd.item_type, cmd.start_ms, cmd.end_ms
        )
        if not cmd.descending:
            items.reverse()
        start = decode_token(cmd.next_token) if cmd.next_token else 0
        if not isinstance(start, int) or start < 0:
            raise InvalidNextToken("The service cannot return the next page: invalid token.")
        page = items[start : start + cmd.max_records]
        more = start + cmd.max_records < len(items)
        return {
            "AlarmHistoryItems": [
                {
                    "AlarmName": h.alarm_name,
                    "AlarmType": h.alarm_type,
                    "Timestamp": h.timestamp_ms / 1000,
                    "HistoryItemType": h.item_type,
                    "HistorySummary": h.summary,
                    "HistoryData": h.data,
                }
                for h in page
            ],
            "NextToken": encode_token(start + cmd.max_records) if more else None,
        }

    def wire(self, a: Alarm) -> dict[str, Any]:
        c = a.config
        if alarm_type(a) == COMPOSITE_ALARM:
            return {
                **c,
                "AlarmArn": a.arn,
                "AlarmConfigurationUpdatedTimestamp": a.configuration_updated_ms / 1000,
                "ActionsEnabled": a.actions_enabled,
                "OKActions": c.get("OKActions", []),
                "AlarmActions": c.get("AlarmActions", []),
                "InsufficientDataActions": c.get("InsufficientDataActions", []),
                "StateValue": a.state.value,
                "StateReason": a.state.reason,
                "StateReasonData": a.state.reason_data,
                "StateUpdatedTimestamp": a.state.updated_ms / 1000,
                "StateTransitionedTimestamp": a.transitioned_ms / 1000,
            }
        out: dict[str, Any] = {
            **{k: v for k, v in c.items()},
            "AlarmArn": a.arn,
            "AlarmConfigurationUpdatedTimestamp": a.configuration_updated_ms / 1000,
            "ActionsEnabled": a.actions_enabled,
            "OKActions": c.get("OKActions", []),
            "AlarmActions": c.get("AlarmActions", []),
            "InsufficientDataActions": c.get("InsufficientDataActions", []),
            "StateValue": a.state.value,
            "StateReason": a.state.reason,
            "StateReasonData": a.state.reason_data,
            "StateUpdatedTimestamp": a.state.updated_ms / 1000,
            "StateTransitionedTimestamp": a.transitioned_ms / 1000,
            "Dimensions": c.get("Dimensions", []) if "Metrics" not in c else None,
        }
        if "Metrics" not in c:
            out.setdefault("DatapointsToAlarm", c["EvaluationPeriods"])
        return out

    # ---- evaluation

    async def evaluate_all(self) -> None:
        alarms = await asyncio.to_thread(self.store.alarms)
        # AWS evaluates each minute, or each period when shorter (10, 20, 30 s alarms)
        periods = [int(a.config.get("Period") or 60) for a in alarms]
        self._interval_s = float(min([60, *periods]))
        # Composites change only with their children (so a SetAlarmState on one holds until a
        # child changes, as on AWS); the first pass after start catches up on a change a crash
        # cut short.
        composites = not self._started
        self._started = True
        for alarm in alarms:
            if alarm_type(alarm) == COMPOSITE_ALARM and not composites:
                continue
            try:
                await self.evaluate(alarm)
            except Exception:  # one bad alarm must not stop the others being evaluated
                log.exception("evaluating alarm %s", alarm.name)

    async def evaluate(self, alarm: Alarm) -> None:
        c = alarm.config
        if alarm_type(alarm) == COMPOSITE_ALARM:
            await self._evaluate_composite(alarm, None)
            return
        now = _now()
        n = int(c["EvaluationPeriods"])
        if "Metrics" in c:
            periods, statistic = await self._expression_periods(c, n, now)
        else:
            periods, statistic = await self._metric_periods(c, n, now)
        d = decide(c, alarm.state.value, periods, now, statistic)
        if d.state != alarm.state.value:
            await self._transition(alarm, AlarmState(d.state, d.reason, d.reason_data, now))

    async def _metric_periods(
        self, c: dict[str, Any], n: int, now: int
    ) -> tuple[list[tuple[int, float | None, float]], str]:
        p = int(c["Period"]) * 1000
        stat = c.get("Statistic") or c["ExtendedStatistic"]
        key = MetricKey(c["Namespace"], c["MetricName"], dimensions(c.get("Dimensions")))
        end = now // 1000 * 1000
        start = end - n * p
        data = await asyncio.to_thread(self.metrics.store.data, key, start, end)
        if c.get("Unit"):
            data = [x for x in data if x.unit == c["Unit"]]
        from ovis.services.cloudwatch.statistics import buckets

        groups = buckets(data, start, p)
        out = []
        for i in range(n):
            t = start + i * p
            agg = groups.get(t)
            out.append((t, agg.statistic(stat) if agg else None, agg.count if agg else 0.0))
        return out, stat

    async def _expression_periods(
        self, c: dict[str, Any], n: int, now: int
    ) -> tuple[list[tuple[int, float | None, float]], str]:
        queries = tuple(query(q, i) for i, q in enumerate(c["Metrics"], 1))
        result_id = next(q.id for q in queries if q.return_data)
        period_s = next(
            (q.stat.period_s for q in queries if q.id == result_id and q.stat),
            int(c.get("Period") or min((q.stat.period_s for q in queries if q.stat), default=60)),
        )
        end = now // 1000 * 1000
        start = origin(end - n * period_s * 1000, period_s)
        results = await self.metrics.evaluate(queries, start, end)
        value, grid = results[result_id]
        from ovis.services.cloudwatch.expressions import Series

        pts = value.points if isinstance(value, Series) else {}
        out = [(t, pts.get(t), 1.0 if t in pts else 0.0) for t in grid[-n:]]
        return out, "Expression"

    async def _transition(self, alarm: Alarm, new: AlarmState) -> None:
        old = alarm.state
        changed = new.value != old.value
        history = AlarmHistoryItem(
            alarm.name,
            alarm_type(alarm),
            new.updated_ms,
            "StateUpdate",
            f"Alarm updated from {old.value} to {new.value}",
            json.dumps(
                {
                    "version": "1.0",
                    "oldState": {"stateValue": old.value, "stateReason": old.reason},
                    "newState": {
                        "stateValue": new.value,
                        "stateReason": new.reason,
                        **(
                            {"stateReasonData": json.loads(new.reason_data)}
                            if new.reason_data
                            else {}
                        ),
                    },
                }
            ),
        )
        if not await asyncio.to_thread(
            self.store.set_alarm_state, alarm.name, new, history, changed
        ):
            return
        current = await asyncio.to_thread(self.store.alarm, alarm.name)
        if not changed or current is None:
            return
        if current.actions_enabled:
            await self._run_actions(current, old, new)
        await self._parents_changed(current)

    async def _run_actions(self, current: Alarm, old: AlarmState, new: AlarmState) -> None:
        member = {
            "OK": "OKActions",
            "ALARM": "AlarmActions",
            "INSUFFICIENT_DATA": "InsufficientDataActions",
        }
        for arn in current.config.get(member[new.value], []):
            await self._act(current, arn, old, new)

    async def _act(self, alarm: Alarm, arn: str, old: AlarmState, new: AlarmState) -> None:
        summary = f"Successfully executed action {arn}"
        try:
            if arn.startswith("arn:aws:autoscaling:"):
                # a target tracking policy's own alarm: the Application Auto Scaling scaler reads
                # the same metric and acts on it (ovis.services.autoscaling.scaling)
                pass
            elif not arn.startswith("arn:aws:sns:") or self.topics is None:
                raise DeliveryError("only SNS topic actions are supported by this server")
            else:
                await self.topics.publish_message(
                    arn,
                    alarm_message.message(alarm, old, new, self.region, self.account),
                    subject=alarm_message.subject(alarm, new, self.region),
                )
        except (DeliveryError, Exception) as e:  # any failure is the action's, not the alarm's
            summary = f'Failed to execute action {arn}. Received error: "{e}"'
            log.warning("alarm %s: %s", alarm.name, summary)
        item = AlarmHistoryItem(
            alarm.name,
            alarm_type(alarm),
            _now(),
            "Action",
            summary,
            json.dumps(
                {
                    "actionState": "Succeeded" if summary.startswith("Success") else "Failed",
                    "stateUpdateTimestamp": new.updated_ms,
                }
            ),
        )
        await asyncio.to_thread(self.store.add_history, item)


class InvalidFormat(InvalidParameterValue):
    code = "InvalidFormatFault"


def query(q: dict[str, Any], i: int) -> DataQuery:
    """A wire MetricDataQuery as a command (GetMetricData and expression alarms)."""
    stat = None
    ms = q.get("MetricStat")
    if ms is not None:
        m = ms["Metric"]
        if "Namespace" not in m or "MetricName" not in m:
            raise InvalidParameterValue(
                f"The parameter MetricDataQueries.member.{i}.MetricStat.Metric must name a "
                "Namespace and a MetricName."
            )
        s = ms["Stat"]
        if s not in STATISTICS and not is_percentile(s):
            raise InvalidParameterValue(
                f"The value {s} for parameter MetricDataQueries.member.{i}.MetricStat.Stat is "
                "not supported."
            )
        stat = MetricStat(
            MetricKey(m["Namespace"], m["MetricName"], dimensions(m.get("Dimensions"))),
            check_period(int(ms["Period"]), f"MetricDataQueries.member.{i}.MetricStat.Period"),
            s,
            ms.get("Unit"),
        )
    return DataQuery(
        q["Id"],
        stat,
        q.get("Expression"),
        q.get("Label"),
        bool(q.get("ReturnData", True)),
        int(q["Period"]) if "Period" in q else None,
    )


def _rule_names(a: Alarm) -> tuple[str, ...]:
    rule = a.config.get("AlarmRule")
    return parse_rule(rule).names if rule else ()


def _actions(c: dict[str, Any]) -> list[str]:
    return [
        *c.get("OKActions", []),
        *c.get("AlarmActions", []),
        *c.get("InsufficientDataActions", []),
    ]


def _check_alarm(c: dict[str, Any]) -> None:
    has_metric = "MetricName" in c
    has_metrics = bool(c.get("Metrics"))
    if has_metric == has_metrics:
        raise InvalidParameterCombination(
            "Exactly one of MetricName and Metrics must be specified."
        )
    if has_metric:
        if "Namespace" not in c:
            raise InvalidParameterCombination("Namespace must be specified with MetricName.")
        if ("Statistic" in c) == ("ExtendedStatistic" in c):
            raise InvalidParameterCombination(
                "Exactly one of Statistic and ExtendedStatistic must be specified."
            )
        if "ExtendedStatistic" in c and not is_percentile(c["ExtendedStatistic"]):
            raise InvalidParameterValue(
                f"The value {c['ExtendedStatistic']} for parameter ExtendedStatistic is not "
                "supported."
            )
        if "Period" not in c:
            raise InvalidParameterCombination("Period must be specified with MetricName.")
    else:
        for k in (
            "MetricName",
            "Namespace",
            "Statistic",
            "ExtendedStatistic",
            "Dimensions",
            "Unit",
        ):
            if k in c:
                raise InvalidParameterCombination(f"{k} cannot be specified together with Metrics.")
        queries = [query(q, i) for i, q in enumerate(c["Metrics"], 1)]
        if sum(q.return_data for q in queries) != 1:
            raise InvalidParameterValue(
                "Exactly one element of the Metrics list must have ReturnData set to true."
            )
    if "Period" in c:
        p = int(c["Period"])
        if not (p in (10, 20, 30) or p % 60 == 0):
            raise InvalidParameterValue(
                "The parameter Period must be 10, 20, 30 or a multiple of 60."
            )
        if p * int(c["EvaluationPeriods"]) > SEVEN_DAYS_S:
            raise InvalidParameterValue(
                "The evaluation period (Period * EvaluationPeriods) may not exceed 7 days."
            )
    if "ComparisonOperator" not in c or c["ComparisonOperator"] not in COMPARISONS:
        raise InvalidParameterValue(
            "ComparisonOperator must be one of GreaterThanOrEqualToThreshold, "
            "GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold."
        )
    if "Threshold" not in c:
        raise InvalidParameterCombination("Threshold must be specified.")
    m = c.get("DatapointsToAlarm")
    if m is not None and int(m) > int(c["EvaluationPeriods"]):
        raise InvalidParameterValue(
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods."
        )
    treat = c.get("TreatMissingData")
    if treat is not None and treat not in TREAT_MISSING:
        raise InvalidParameterValue(
            f"The value {treat} for parameter TreatMissingData is invalid: it must be one of "
            "breaching, notBreaching, ignore, missing."
        )
    for arn in _actions(c):
        if not arn.startswith("arn:"):
            raise InvalidParameterValue(f"Invalid arn syntax: {arn}")


__all__ = ["ALARM_STATES", "AlarmService", "query"]
