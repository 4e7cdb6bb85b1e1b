"""SNS's unsigned public URLs, served before the signed AWS front door (a router service):

- ``GET /?Action=ConfirmSubscription&TopicArn=..&Token=..``: the SubscribeURL of a
  SubscriptionConfirmation; confirms the pending subscription (as ConfirmSubscription does) and
  answers AWS's ``ConfirmSubscriptionResponse`` XML.
- ``GET /?Action=Unsubscribe&SubscriptionArn=..``: a notification's UnsubscribeURL; deletes the
  subscription and answers ``UnsubscribeResponse``.
- ``GET /SimpleNotificationService-<id>.pem``: the certificate signatures verify against.

A request carrying SigV4 (an Authorization header or X-Amz-Signature) is not claimed: it is an
ordinary API call for the front door. Errors answer SNS's XML ``ErrorResponse``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from ovis.errors import ApiError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"
PUBLIC_ACTIONS = frozenset({"ConfirmSubscription", "Unsubscribe"})


class PublicActions(Protocol):
    """What these URLs need (TopicService)."""

    @property
    def cert_path(self) -> str: ...

    def certificate_pem(self) -> bytes | None: ...
    async def confirm(self, topic_arn: object, token: object) -> str: ...
    async def unsubscribe(self, subscription_arn: object) -> None: ...


class SnsPublicEndpoints:
    name = "sns-public"

    def __init__(self, actions: PublicActions) -> None:
        self.actions = actions

    def match(self, scope: Scope) -> Any | None:
        if scope.get("type") != "http" or scope.get("method") != "GET":
            return None
        path = scope.get("path", "")
        if path == self.actions.cert_path:
            return "cert"
        if path != "/":
            return None
        qs: bytes = scope.get("query_string", b"")
        if b"Action=" not in qs or b"X-Amz-Signature" in qs:
            return None
        if any(k == b"authorization" for k, _ in scope.get("headers", ())):
            return None
        params = dict(parse_qsl(qs.decode("latin-1"), keep_blank_values=True))
        action = params.get("Action", "")
        return (action, params) if action in PUBLIC_ACTIONS else None

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        rid = str(uuid.uuid4())
        if token == "cert":
            pem = await asyncio.to_thread(self.actions.certificate_pem)
            if pem is None:
                await _respond(send, 404, "text/plain", b"no certificate\n")
            else:
                await _respond(send, 200, "application/x-pem-file", pem)
            return
        action, params = token
        try:
            if action == "ConfirmSubscription":
                arn = await self.actions.confirm(params.get("TopicArn"), params.get("Token"))
                body = (
                    f'<ConfirmSubscriptionResponse xmlns="{XMLNS}"><ConfirmSubscriptionResult>'
                    f"<SubscriptionArn>{escape(arn)}</SubscriptionArn>"
                    "</ConfirmSubscriptionResult>"
                )
            else:
                await self.actions.unsubscribe(params.get("SubscriptionArn"))
                body = f'<UnsubscribeResponse xmlns="{XMLNS}">'
            body += (
                f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
                f"</{action}Response>"
            )
            await _respond(send, 200, "text/xml", body.encode())
        except ApiError as e:
            code = getattr(e, "query_code", e.code)
            fault = "Sender" if e.status < 500 else "Receiver"
            err = (
                f'<ErrorResponse xmlns="{XMLNS}"><Error><Type>{fault}</Type>'
                f"<Code>{escape(str(code))}</Code><Message>{escape(e.message)}</Message>"
                f"</Error><RequestId>{rid}</RequestId></ErrorResponse>"
            )
            await _respond(send, e.status, "text/xml", err.encode())


async def _respond(send: Send, status: int, ctype: str, body: bytes) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
