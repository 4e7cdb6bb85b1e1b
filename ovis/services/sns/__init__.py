"""SNS-compatible topics: topics, subscriptions (Lambda, SQS, http/https), durable fan-out."""

from ovis.services.sns.topics import TopicService

__all__ = ["TopicService"]
