"""Kinesis Data Streams-compatible streams: ``StreamService`` (the use cases, and the
``StreamSource`` event source mappings read in process) and its operation table."""

from ovis.services.kinesis.streams import StreamService

__all__ = ["StreamService"]
