"""Delivery retry schedules: AWS's delivery policies, as delays after each failed attempt.

AWS-managed endpoints (Lambda, SQS) have a fixed policy: 3 immediate retries, 2 retries 1 s
apart, 10 retries backing off exponentially from 1 s to 20 s, then 100,000 retries 20 s apart
(100,015 retries, about 23 days). http(s) endpoints follow the subscription's, else the topic's
``DeliveryPolicy`` (``{"http": {"defaultHealthyRetryPolicy": {...}}}`` on a topic,
``{"healthyRetryPolicy": {...}}`` on a subscription); AWS's default is 3 retries 20 s apart.
A healthy retry policy: ``numRetries`` in all (at most 100), of which ``numNoDelayRetries``
immediately, ``numMinDelayRetries`` at ``minDelayTarget`` s, ``numMaxDelayRetries`` at
``maxDelayTarget`` s, and the rest backing off from min to max by ``backoffFunction``
(linear | arithmetic | geometric | exponential), in that order.

``scale`` multiplies every delay (tests shrink them; the schedule's shape stays AWS's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ovis.services.sns.errors import InvalidParameter

BACKOFF_FUNCTIONS = ("linear", "arithmetic", "geometric", "exponential")


@dataclass(frozen=True)
class RetryPolicy:
    num_retries: int
    no_delay: int = 0
    min_delay_retries: int = 0
    max_delay_retries: int = 0
    min_delay_s: float = 20.0
    max_delay_s: float = 20.0
    backoff: str = "linear"

    def delay_s(self, failures: int) -> float | None:
        """Seconds before the retry that follows ``failures`` failed attempts (>= 1); None
        once the policy is spent."""
        if failures < 1 or failures > self.num_retries:
            return None
        i = failures
        if i <= self.no_delay:
            return 0.0
        i -= self.no_delay
        if i <= self.min_delay_retries:
            return self.min_delay_s
        i -= self.min_delay_retries
        backoff = self.num_retries - self.no_delay - self.min_delay_retries - self.max_delay_retries
        if i <= backoff:
            x = i / backoff
            lo, hi = self.min_delay_s, self.max_delay_s
            if self.backoff == "exponential" and lo > 0:
                return float(lo * (hi / lo) ** x)
            if self.backoff == "geometric":
                return lo + (hi - lo) * x * x
            return lo + (hi - lo) * x
        return self.max_delay_s

    def to_json(self) -> dict[str, Any]:
        return {
            "minDelayTarget": int(self.min_delay_s),
            "maxDelayTarget": int(self.max_delay_s),
            "numRetries": self.num_retries,
            "numMaxDelayRetries": self.max_delay_retries,
            "numNoDelayRetries": self.no_delay,
            "numMinDelayRetries": self.min_delay_retries,
            "backoffFunction": self.backoff,
        }


MANAGED = RetryPolicy(
    num_retries=100_015,
    no_delay=3,
    min_delay_retries=2,
    max_delay_retries=100_000,
    min_delay_s=1.0,
    max_delay_s=20.0,
    backoff="exponential",
)
HTTP_DEFAULT = RetryPolicy(num_retries=3)


def default_http_delivery_policy() -> dict[str, Any]:
    """The topic's EffectiveDeliveryPolicy when none is set (AWS's document)."""
    return {
        "http": {
            "defaultHealthyRetryPolicy": HTTP_DEFAULT.to_json(),
            "disableSubscriptionOverrides": False,
            "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
        }
    }


def parse_retry_policy(doc: Any, what: str) -> RetryPolicy:
    """A healthy retry policy object, checked as SNS checks it (InvalidParameter if bad)."""
    if not isinstance(doc, dict):
        raise InvalidParameter(f"{what}: healthyRetryPolicy must be an object")

    def number(key: str, default: int, lo: int, hi: int) -> int:
        v = doc.get(key, default)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise InvalidParameter(f"{what}: {key} must be an integer in [{lo}, {hi}]")
        return v

    retries = number("numRetries", 3, 0, 100)
    lo = number("minDelayTarget", 20, 1, 3600)
    hi = number("maxDelayTarget", 20, 1, 3600)
    if hi < lo:
        raise InvalidParameter(f"{what}: maxDelayTarget must be at least minDelayTarget")
    no_delay = number("numNoDelayRetries", 0, 0, retries)
    min_r = number("numMinDelayRetries", 0, 0, retries)
    max_r = number("numMaxDelayRetries", 0, 0, retries)
    if no_delay + min_r + max_r > retries:
        raise InvalidParameter(f"{what}: the retry phases add up to more than numRetries")
    backoff = doc.get("backoffFunction", "linear")
    if backoff not in BACKOFF_FUNCTIONS:
        raise InvalidParameter(f"{what}: backoffFunction must be one of {BACKOFF_FUNCTIONS}")
    policy = RetryPolicy(retries, no_delay, min_r, max_r, float(lo), float(hi), backoff)
    total = sum(policy.delay_s(i) or 0.0 for i in range(1, retries + 1))
    if total > 3600:
        raise InvalidParameter(f"{what}: total retry time exceeds 3600 seconds")
    return policy


def check_topic_delivery_policy(text: str) -> None:
    """A topic's DeliveryPolicy attribute ("" removes it)."""
    if text:
        _topic_http(text)


def check_subscription_delivery_policy(text: str) -> None:
    if text:
        _subscription_http(text)


def _load(text: str, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError:
        raise InvalidParameter(f"{what}: failed to parse JSON") from None
    if not isinstance(doc, dict):
        raise InvalidParameter(f"{what}: must be a JSON object")
    return doc


def _topic_http(text: str) -> RetryPolicy | None:
    doc = _load(text, "DeliveryPolicy")
    http = doc.get("http", {})
    if not isinstance(http, dict):
        raise InvalidParameter("DeliveryPolicy: http must be an object")
    retry = http.get("defaultHealthyRetryPolicy")
    return None if retry is None else parse_retry_policy(retry, "DeliveryPolicy")


def _subscription_http(text: str) -> RetryPolicy | None:
    doc = _load(text, "DeliveryPolicy")
    retry = doc.get("healthyRetryPolicy")
    return None if retry is None else parse_retry_policy(retry, "DeliveryPolicy")


DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"


def http_content_type(topic_policy: str, subscription_policy: str) -> str:
    """The Content-Type of http(s) deliveries: the subscription's ``requestPolicy``, else the
    topic's ``http.defaultRequestPolicy``, ``headerContentType``; else AWS's text/plain."""
    for text, path in (
        (subscription_policy, ("requestPolicy",)),
        (topic_policy, ("http", "defaultRequestPolicy")),
    ):
        if not text:
            continue
        try:
            doc: Any = json.loads(text)
        except ValueError:
            continue
        for key in path:
            doc = doc.get(key) if isinstance(doc, dict) else None
        value = doc.get("headerContentType") if isinstance(doc, dict) else None
        if isinstance(value, str) and value:
            return value
    return DEFAULT_CONTENT_TYPE


def http_policy(topic_policy: str, subscription_policy: str) -> RetryPolicy:
    """The retry policy of an http(s) subscription: its own, else its topic's, else AWS's."""
    for text, parse in ((subscription_policy, _subscription_http), (topic_policy, _topic_http)):
        if text:
            try:
                got = parse(text)
            except InvalidParameter:
                got = None
            if got is not None:
                return got
    return HTTP_DEFAULT
