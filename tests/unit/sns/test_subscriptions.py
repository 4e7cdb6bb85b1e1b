"""Subscription changes: concurrent writers never lose each other's change; confirmation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from ovis.services.sns import TopicService
from ovis.services.sns.commands import CreateTopic, Subscribe
from ovis.storage.sqlite import SqliteStorage


class _Signer:
    cert_url = "http://h/cert.pem"

    def prepare(self) -> None:
        pass

    def sign(self, text: str, version: str = "1") -> str:
        return "sig"


def test_concurrent_confirm_and_attribute_change_both_stick(tmp_path: Path) -> None:
    async def run() -> None:
        store = SqliteStorage(tmp_path / "ovis.db")
        svc = TopicService(
            store.topics,
            store.tags,
            region="us-east-1",
            account="000000000000",
            base_url="http://h",
            signer=_Signer(),
        )
        svc.catalog.load()
        topic = await svc.create_topic(CreateTopic("t"))
        arn = await svc.subscriptions.subscribe(
            Subscribe(topic, "http", "http://127.0.0.1:9/x", return_arn=True)
        )
        token = svc.catalog.subs[arn].token
        policy = json.dumps({"healthyRetryPolicy": {"numRetries": 1}})
        await asyncio.gather(
            svc.subscriptions.confirm(topic, token),
            svc.subscriptions.set_attribute(arn, "DeliveryPolicy", policy),
            svc.subscriptions.set_attribute(arn, "FilterPolicy", '{"a": ["b"]}'),
        )
        for sub in (svc.catalog.subs[arn], next(s for s in store.topics.sns_subscriptions())):
            assert sub.confirmed
            assert sub.attributes["DeliveryPolicy"] == policy
            assert sub.attributes["FilterPolicy"] == '{"a": ["b"]}'
        store.close()

    asyncio.run(run())
