"""RequestStats: counts by (service, operation, status), latency by (service, operation)."""

from __future__ import annotations

from ovis.frontdoor.access_log import AccessLog
from ovis.supervisor import Supervisor


def test_the_access_log_counts_requests_even_when_it_logs_nothing() -> None:
    log = AccessLog(Supervisor(), enabled=False)
    log.record("lambda", "Invoke", 200, 1.5, "rid")
    log.record("lambda", "Invoke", 500, 3.0, "rid", " boom")
    log.record("sqs", "SendMessage", 200, 0.2, "rid")
    counts, latency = log.stats.snapshot()
    assert counts == {
        ("lambda", "Invoke", 200): 1,
        ("lambda", "Invoke", 500): 1,
        ("sqs", "SendMessage", 200): 1,
    }
    _, n, total = latency[("lambda", "Invoke")].cumulative()
    assert n == 2 and abs(total - 0.0045) < 1e-9
