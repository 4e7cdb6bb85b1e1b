"""Values of the SNS-compatible topics (ovis.services.sns) as the store keeps them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicRecord:
    """A topic: its ARN and name, and its settable attributes as SNS shows them (strings)."""

    arn: str
    name: str
    attributes: dict[str, str]
    created_ms: int

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"


@dataclass(frozen=True)
class SubscriptionRecord:
    """A subscription of ``endpoint`` (a function ARN, a queue ARN, an http(s) URL) to a topic.
    ``token`` confirms a pending http(s) subscription; ``confirmed`` is False until then."""

    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    owner: str
    attributes: dict[str, str]
    confirmed: bool
    token: str
    created_ms: int


@dataclass(frozen=True)
class Delivery:
    """One message (or subscription confirmation) owed to one subscription: the outbox row.

    ``payload`` is the JSON document the delivery renders from (message id, text, subject,
    attributes, timestamp...; opaque to the store). ``row`` orders arrival, which is delivery
    order within a FIFO ``group_id``. ``attempt`` counts failed attempts; ``due_ms`` is when the
    next one may start. ``dead`` marks a delivery whose retries are spent and that is now owed
    to the subscription's dead-letter queue."""

    subscription_arn: str
    topic_arn: str
    kind: str  # "Notification" | "SubscriptionConfirmation"
    payload: str
    due_ms: int
    group_id: str = ""
    attempt: int = 0
    dead: bool = False
    row: int = 0


@dataclass(frozen=True)
class PublishEntry:
    """One published message as stored: its deliveries, and (FIFO topics) the deduplication
    key that makes a repeat within the window store nothing."""

    topic_arn: str
    message_id: str
    deliveries: list[Delivery]
    dedup_key: str = ""  # "" for standard topics
    dedup_until_ms: int = 0
    fifo: bool = False


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of an attempted delivery: ``done`` removes it from the outbox; otherwise
    it is due again at ``due_ms`` after ``attempt`` failures (``dead``: owed to the DLQ)."""

    row: int
    done: bool
    attempt: int = 0
    due_ms: int = 0
    dead: bool = False
