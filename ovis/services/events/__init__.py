"""EventBridge-compatible event buses: ``EventBusService`` (in-process, and behind
``operations``)."""

from ovis.services.events.service import EventBusService, events_service

__all__ = ["EventBusService", "events_service"]
