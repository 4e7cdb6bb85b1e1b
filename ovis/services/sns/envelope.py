"""The JSON documents SNS delivers, and the string each signature covers.

- ``notification``: what an SQS queue (unless RawMessageDelivery) and an http(s) endpoint
  receive: Type, MessageId, TopicArn, Subject (only when given), Message, Timestamp,
  SignatureVersion, Signature, SigningCertURL, UnsubscribeURL, MessageAttributes (only when
  there are any), and SequenceNumber / MessageGroupId / MessageDeduplicationId... on FIFO topics
  as AWS sends them (SequenceNumber).
- ``lambda_event``: AWS's SNS event for Lambda, ``{"Records": [{"EventVersion": "1.0",
  "EventSubscriptionArn", "EventSource": "aws:sns", "Sns": {...}}]}``; the Sns member spells
  ``SigningCertUrl`` / ``UnsubscribeUrl``, always has ``Subject`` (null when none) and
  ``MessageAttributes`` (``{}`` when none).
- ``confirmation``: the SubscriptionConfirmation document an http(s) endpoint receives first
  (Token, SubscribeURL).

Signatures (SignatureVersion 1, SHA1withRSA, or 2, SHA256withRSA) cover ``canonical(doc)``:
the fields AWS lists for the message type, each as ``name\\nvalue\\n``, in that order. The
``Signer`` (signing.py) owns the key and the certificate served at ``SigningCertURL``.

The stored payload (``Delivery.payload``) is the message as published: MessageId, TopicArn,
Message (already chosen for the protocol when MessageStructure=json), Subject, Timestamp,
MessageAttributes in the API's shape (binary values base64), and for FIFO topics
SequenceNumber, MessageGroupId, MessageDeduplicationId.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)


def iso(ms: int) -> str:
    """AWS's timestamp spelling: ``2026-12-01T22:10:09.123Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Signer(Protocol):
    cert_url: str

    def prepare(self) -> None:
        """Make signing ready (may take a while once: call it off the event loop)."""
        ...

    def sign(self, text: str, version: str = "1") -> str:
        """The base64 signature of ``text`` (SignatureVersion 1: SHA1, 2: SHA256)."""
        ...


def canonical(doc: dict[str, Any]) -> str:
    """The string a notification's or confirmation's signature covers (AWS's order)."""
    fields = NOTIFICATION_FIELDS if doc.get("Type") == "Notification" else CONFIRMATION_FIELDS
    parts: list[str] = []
    for name in fields:
        value = doc.get(name)
        if value is None:
            continue  # Subject only when the message had one
        parts.append(f"{name}\n{value}\n")
    return "".join(parts)


def unsubscribe_url(base_url: str, subscription_arn: str) -> str:
    return f"{base_url}/?Action=Unsubscribe&SubscriptionArn={quote(subscription_arn, safe='')}"


def subscribe_url(base_url: str, topic_arn: str, token: str) -> str:
    return (
        f"{base_url}/?Action=ConfirmSubscription&TopicArn={quote(topic_arn, safe='')}"
        f"&Token={quote(token, safe='')}"
    )


def envelope_attributes(attributes: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """API-shaped message attributes as the JSON envelopes carry them: {Type, Value}."""
    out: dict[str, dict[str, str]] = {}
    for name, a in (attributes or {}).items():
        kind = str(a.get("DataType", "String"))
        value = a.get("BinaryValue") if kind.startswith("Binary") else a.get("StringValue")
        out[name] = {"Type": kind, "Value": str(value if value is not None else "")}
    return out


def notification(
    payload: dict[str, Any],
    subscription_arn: str,
    base_url: str,
    signer: Signer,
    version: str = "1",
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": payload["MessageId"],
    }
    if "SequenceNumber" in payload:
        doc["SequenceNumber"] = payload["SequenceNumber"]
    doc["TopicArn"] = payload["TopicArn"]
    if payload.get("Subject") is not None:
        doc["Subject"] = payload["Subject"]
    doc["Message"] = payload["Message"]
    doc["Timestamp"] = payload["Timestamp"]
    doc["SignatureVersion"] = version
    doc["Signature"] = signer.sign(canonical(doc), version)
    doc["SigningCertURL"] = signer.cert_url
    doc["UnsubscribeURL"] = unsubscribe_url(base_url, subscription_arn)
    attrs = envelope_attributes(payload.get("MessageAttributes"))
    if attrs:
        doc["MessageAttributes"] = attrs
    return doc


def lambda_event(
    payload: dict[str, Any],
    subscription_arn: str,
    base_url: str,
    signer: Signer,
    version: str = "1",
) -> dict[str, Any]:
    note = notification(payload, subscription_arn, base_url, signer, version)
    sns: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": note["MessageId"],
        "TopicArn": note["TopicArn"],
        "Subject": payload.get("Subject"),
        "Message": note["Message"],
        "Timestamp": note["Timestamp"],
        "SignatureVersion": note["SignatureVersion"],
        "Signature": note["Signature"],
        "SigningCertUrl": note["SigningCertURL"],
        "UnsubscribeUrl": note["UnsubscribeURL"],
        "MessageAttributes": note.get("MessageAttributes", {}),
    }
    if "SequenceNumber" in payload:
        sns["SequenceNumber"] = payload["SequenceNumber"]
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "EventSource": "aws:sns",
                "Sns": sns,
            }
        ]
    }


def confirmation(
    payload: dict[str, Any], base_url: str, signer: Signer, version: str = "1"
) -> dict[str, Any]:
    topic = payload["TopicArn"]
    token = payload["Token"]
    doc: dict[str, Any] = {
        "Type": "SubscriptionConfirmation",
        "MessageId": payload["MessageId"],
        "Token": token,
        "TopicArn": topic,
        "Message": (
            f"You have chosen to subscribe to the topic {topic}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        ),
        "SubscribeURL": subscribe_url(base_url, topic, token),
        "Timestamp": payload["Timestamp"],
        "SignatureVersion": version,
    }
    doc["Signature"] = signer.sign(canonical(doc), version)
    doc["SigningCertURL"] = signer.cert_url
    return doc
