"""The front door's router: an ordered list of services, the first that claims a request serves it.

Contract: ``Service.match(scope)`` is cheap and side-effect free (it looks at the path and the
headers only; the body is not read yet) and returns a token (anything but None) when the
request is this service's; ``serve(scope, receive, send, token)`` then answers it completely,
rendering its own errors (a service knows its clients' error format). Order matters: function
URLs first (their hosts and paths would otherwise look like AWS calls, and they authorize on
their own), then the operator endpoints, then AWS services, which claim everything left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ovis.frontdoor.http import Receive, Scope, Send


class Service(Protocol):
    name: str

    def match(self, scope: Scope) -> Any | None: ...

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None: ...


class Router:
    """Immutable ordered list of services."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.services = tuple(services)

    def route(self, scope: Scope) -> tuple[Service, Any] | None:
        """The first service that claims the request, with its token; None if none does."""
        for service in self.services:
            token = service.match(scope)
            if token is not None:
                return service, token
        return None
