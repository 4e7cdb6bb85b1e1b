"""The SQS API over ``QueueService``, in both protocols SQS clients speak.

* JSON 1.0 (what current SDKs use): ``POST /`` with ``X-Amz-Target: AmazonSQS.<Operation>`` and
  ``Content-Type: application/x-amz-json-1.0``. Errors are ``{"__type":
  "com.amazonaws.sqs#<Shape>", "message": ...}`` plus the ``x-amzn-query-error: <legacy
  code>;Sender`` header AWS sends, from which boto3 takes ``Error.Code`` (e.g.
  ``AWS.SimpleQueueService.NonExistentQueue``) while naming the exception after the shape.
* Query (older SDKs, curl): form-encoded ``Action=<Operation>&...`` POSTs (or GETs) to ``/`` or to
  the queue URL, answered in XML. Wire names of lists and maps (``Attribute.1.Name``,
  ``MessageAttribute.1.Value.StringValue``, ``SendMessageBatchRequestEntry.1.Id``...) come from
  the classic SQS query model, which the botocore JSON model no longer carries: ``_FLAT`` below.

Inputs are decoded and type-checked against botocore's ``sqs`` model; the SQS rules (limits,
attribute names, batch ids) are checked by the service with AWS's error codes and wording.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.model import Shape

from ovis.frontdoor.legacy_codecs import _decode, service_model
from ovis.errors import ApiError
from ovis.services.sqs import messages as msgs
from ovis.services.sqs.errors import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InternalError,
    InvalidAction,
    InvalidBatchEntryId,
    InvalidParameterValue,
    MissingParameter,
    SerializationError,
    SqsError,
    TooManyEntriesInBatchRequest,
    UnsupportedOperation,
)
from ovis.services.sqs.service import QueueService, SendRequest

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

# Query-protocol names of flattened lists and maps, by the botocore shape name of the member:
# a list's items are "<Name>.N", a map's entries "<Name>.N.<Key>" / "<Name>.N.<Value>".
_FLAT: dict[str, str] = {
    "QueueAttributeMap": "Attribute",
    "MessageSystemAttributeMap": "Attribute",
    "MessageBodyAttributeMap": "MessageAttribute",
    "MessageBodySystemAttributeMap": "MessageSystemAttribute",
    "TagMap": "Tag",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "TagKeyList": "TagKey",
    "QueueUrlList": "QueueUrl",
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "SendMessageBatchRequestEntryList": "SendMessageBatchRequestEntry",
    "DeleteMessageBatchRequestEntryList": "DeleteMessageBatchRequestEntry",
    "ChangeMessageVisibilityBatchRequestEntryList": "ChangeMessageVisibilityBatchRequestEntry",
    "SendMessageBatchResultEntryList": "SendMessageBatchResultEntry",
    "DeleteMessageBatchResultEntryList": "DeleteMessageBatchResultEntry",
    "ChangeMessageVisibilityBatchResultEntryList": "ChangeMessageVisibilityBatchResultEntry",
    "BatchResultErrorEntryList": "BatchResultErrorEntry",
    "MessageList": "Message",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
    "ListMessageMoveTasksResultEntryList": "ListMessageMoveTasksResultEntry",
}
_MAP_KEYS: dict[str, tuple[str, str]] = {"TagMap": ("Key", "Value")}  # others: Name / Value
_MAX_QUERY_ITEMS = 1000
_QUEUE_PATH = re.compile(r"/[^/]+/[^/]+/?")

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class SqsApi:
    def __init__(self, queues: QueueService) -> None:
        self.queues = queues
        self.model = service_model("sqs")
        self.handlers: dict[str, Handler] = {
            "CreateQueue": self.create_queue,
            "GetQueueUrl": self.get_queue_url,
            "ListQueues": self.list_queues,
            "GetQueueAttributes": self.get_queue_attributes,
            "SetQueueAttributes": self.set_queue_attributes,
            "DeleteQueue": self.delete_queue,
            "PurgeQueue": self.purge_queue,
            "SendMessage": self.send_message,
            "SendMessageBatch": self.send_message_batch,
            "ReceiveMessage": self.receive_message,
            "DeleteMessage": self.delete_message,
            "DeleteMessageBatch": self.delete_message_batch,
            "ChangeMessageVisibility": self.change_message_visibility,
            "ChangeMessageVisibilityBatch": self.change_message_visibility_batch,
            "TagQueue": self.tag_queue,
            "UntagQueue": self.untag_queue,
            "ListQueueTags": self.list_queue_tags,
            "ListDeadLetterSourceQueues": self.list_dead_letter_source_queues,
            "AddPermission": self.add_permission,
            "RemovePermission": self.remove_permission,
        }

    # --- protocols ---

    async def json(self, operation: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One JSON-1.0 call (``X-Amz-Target: AmazonSQS.<operation>``), errors rendered."""
        try:
            try:
                doc = json.loads(body or b"{}")
            except (ValueError, RecursionError):
                raise SerializationError("Could not parse the request body as JSON.") from None
            if not isinstance(doc, dict):
                raise SerializationError("The request body must be a JSON object.")
            shape = self._input_shape(operation)
            params: dict[str, Any] = {}
            if shape is not None:
                try:
                    params = {
                        name: _decode(member, doc[name], name)
                        for name, member in shape.members.items()
                        if doc.get(name) is not None
                    }
                except ApiError as e:
                    raise InvalidParameterValue(e.message) from None
            result = await self._call(operation, shape, params)
        except SqsError as e:
            return e.status, dict(e.headers), json.dumps(e.body()).encode()
        except Exception:
            log.exception("SQS %s failed", operation)
            err = InternalError("An internal error occurred.")
            return err.status, dict(err.headers), json.dumps(err.body()).encode()
        return 200, {"Content-Type": JSON_CONTENT_TYPE}, json.dumps(result, default=_b64).encode()

    @staticmethod
    def front_door_error(
        headers: list[tuple[bytes, bytes]], e: ApiError
    ) -> tuple[int, dict[str, str], bytes] | None:
        """An error raised before routing (SigV4, body size) in the JSON shape SQS clients
        parse (``__type``), if the request was an SQS JSON call; None otherwise."""
        for k, v in headers:
            if k.lower() == b"x-amz-target" and v.startswith(b"AmazonSQS."):
                body = {"__type": f"com.amazon.coral.service#{e.code}", "message": e.message}
                out_headers = {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-ErrorType": e.code}
                return e.status, out_headers, json.dumps(body).encode()
        return None

    def query_params(
        self, method: str, headers: dict[str, str], query_string: bytes, body: bytes
    ) -> dict[str, str] | None:
        """The parameters of a query-protocol request, or None if this is not one (so the
        request goes on to the other APIs)."""
        ctype = headers.get("content-type", "")
        params: dict[str, str] = {}
        try:
            if query_string:
                params.update(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
            if method == "POST" and ctype.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return None
        action = params.get("Action")
        if action is None or action not in self.model.operation_names:
            return None
        return params

    async def query(
        self, params: dict[str, str], path: str, rid: str
    ) -> tuple[int, dict[str, str], bytes]:
        """One query-protocol call, answered in XML."""
        operation = params["Action"]
        try:
            shape = self._input_shape(operation)
            parsed = _from_query(shape, params, "") if shape is not None else {}
            if (
                shape is not None
                and "QueueUrl" in shape.members
                and "QueueUrl" not in parsed
                and _QUEUE_PATH.fullmatch(path)
            ):
                parsed["QueueUrl"] = self.queues.base_url + path.rstrip("/")
            result = await self._call(operation, shape, parsed)
        except SqsError as e:
            return e.status, {"Content-Type": "text/xml"}, _xml_error(e, rid)
        except Exception:
            log.exception("SQS %s failed", operation)
            return (
                500,
                {"Content-Type": "text/xml"},
                _xml_error(InternalError("An internal error occurred."), rid),
            )
        out_shape = self.model.operation_model(operation).output_shape
        parts = [f'<?xml version="1.0"?><{operation}Response xmlns="{XML_NAMESPACE}">']
        if out_shape is not None:
            parts.append(f"<{operation}Result>")
            _to_xml_members(out_shape, result, parts)
            parts.append(f"</{operation}Result>")
        parts.append(
            f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
            f"</{operation}Response>"
        )
        return 200, {"Content-Type": "text/xml"}, "".join(parts).encode()

    def _input_shape(self, operation: str) -> Shape | None:
        if operation not in self.model.operation_names:
            raise InvalidAction(f"The action {operation} is not valid for this endpoint.")
        return self.model.operation_model(operation).input_shape

    async def _call(
        self, operation: str, shape: Shape | None, params: dict[str, Any]
    ) -> dict[str, Any]:
        if shape is not None:
            _require(shape, params, "")
        handler = self.handlers.get(operation)
        if handler is None:
            raise UnsupportedOperation(
                f"The operation {operation} is not supported by this server."
            )
        return await handler(params)

    # --- queues ---

    async def create_queue(self, p: dict[str, Any]) -> dict[str, Any]:
        url = await self.queues.create_queue(p["QueueName"], p.get("Attributes"), p.get("tags"))
        return {"QueueUrl": url}

    async def get_queue_url(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "QueueUrl": await self.queues.get_queue_url(
                p["QueueName"], p.get("QueueOwnerAWSAccountId")
            )
        }

    async def list_queues(self, p: dict[str, Any]) -> dict[str, Any]:
        urls, token = await self.queues.list_queues(
            p.get("QueueNamePrefix"), p.get("MaxResults"), p.get("NextToken")
        )
        out: dict[str, Any] = {}
        if urls:
            out["QueueUrls"] = urls
        if token:
            out["NextToken"] = token
        return out

    async def list_dead_letter_source_queues(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        urls, token = await self.queues.dead_letter_sources(
            q, p.get("MaxResults"), p.get("NextToken")
        )
        out: dict[str, Any] = {"queueUrls": urls}
        if token:
            out["NextToken"] = token
        return out

    async def get_queue_attributes(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        attrs = await self.queues.get_attributes(q, p.get("AttributeNames"))
        return {"Attributes": attrs} if attrs else {}

    async def set_queue_attributes(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.set_attributes(q, p["Attributes"])
        return {}

    async def delete_queue(self, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.delete_queue(self.queues.queue_by_url(p["QueueUrl"]))
        return {}

    async def purge_queue(self, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.purge_queue(self.queues.queue_by_url(p["QueueUrl"]))
        return {}

    async def tag_queue(self, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.tag_queue(self.queues.queue_by_url(p["QueueUrl"]), p["Tags"])
        return {}

    async def untag_queue(self, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.untag_queue(self.queues.queue_by_url(p["QueueUrl"]), p["TagKeys"])
        return {}

    async def list_queue_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        tags = await self.queues.list_tags(self.queues.queue_by_url(p["QueueUrl"]))
        return {"Tags": tags} if tags else {}

    async def add_permission(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.add_permission(q, p["Label"], p["AWSAccountIds"], p["Actions"])
        return {}

    async def remove_permission(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.remove_permission(q, p["Label"])
        return {}

    # --- messages ---

    async def send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        result = await self.queues.send(q, _send_request(p))
        return result.to_api()

    async def send_message_batch(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        entries = p["Entries"]
        _check_batch(entries, "SendMessageBatchRequestEntry")
        results = await self.queues.send_batch(
            q, [_send_request(e) for e in entries], limit_total=True
        )
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for entry, r in zip(entries, results, strict=True):
            if isinstance(r, SqsError):
                failed.append(_failure(entry["Id"], r))
            else:
                ok.append({"Id": entry["Id"], **r.to_api()})
        return {"Successful": ok, "Failed": failed}

    async def receive_message(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        system = [*p.get("AttributeNames", ()), *p.get("MessageSystemAttributeNames", ())]
        messages = await self.queues.receive(
            q,
            p.get("MaxNumberOfMessages"),
            p.get("WaitTimeSeconds"),
            p.get("VisibilityTimeout"),
            system,
            p.get("MessageAttributeNames", ()),
        )
        return {"Messages": messages} if messages else {}

    async def delete_message(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.delete_message(q, p["ReceiptHandle"])
        return {}

    async def delete_message_batch(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        entries = p["Entries"]
        _check_batch(entries, "DeleteMessageBatchRequestEntry")
        errors = await self.queues.delete_batch(q, [e["ReceiptHandle"] for e in entries])
        return _batch_result(entries, errors)

    async def change_message_visibility(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.change_visibility(q, p["ReceiptHandle"], p["VisibilityTimeout"])
        return {}

    async def change_message_visibility_batch(self, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        entries = p["Entries"]
        _check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        errors = await self.queues.change_visibility_batch(
            q, [(e["ReceiptHandle"], e.get("VisibilityTimeout", 0)) for e in entries]
        )
        return _batch_result(entries, errors)


def _send_request(p: dict[str, Any]) -> SendRequest:
    return SendRequest(
        p.get("MessageBody"),
        p.get("MessageAttributes"),
        p.get("MessageSystemAttributes"),
        p.get("DelaySeconds"),
        p.get("MessageGroupId"),
        p.get("MessageDeduplicationId"),
    )


def _check_batch(entries: list[dict[str, Any]], entry_name: str) -> None:
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry_name} in the request.")
    if len(entries) > msgs.MAX_BATCH:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {msgs.MAX_BATCH}. You have sent "
            f"{len(entries)}."
        )
    seen: set[str] = set()
    for e in entries:
        if e["Id"] in seen:
            raise BatchEntryIdsNotDistinct(f"Id {e['Id']} repeated.")
        seen.add(e["Id"])
    for e in entries:
        if not msgs.valid_batch_id(e["Id"]):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )


def _failure(entry_id: str, e: SqsError) -> dict[str, Any]:
    return {
        "Id": entry_id,
        "SenderFault": e.fault == "Sender",
        "Code": e.query_code,
        "Message": e.message,
    }


def _batch_result(entries: list[dict[str, Any]], errors: list[SqsError | None]) -> dict[str, Any]:
    ok = [{"Id": e["Id"]} for e, err in zip(entries, errors, strict=True) if err is None]
    failed = [
        _failure(e["Id"], err) for e, err in zip(entries, errors, strict=True) if err is not None
    ]
    return {"Successful": ok, "Failed": failed}


def _require(shape: Shape, value: dict[str, Any], prefix: str) -> None:
    """Required members, at every level (batch entries, attribute values)."""
    for name in shape.required_members:
        v = value.get(name)
        if v is None or (name == "MessageBody" and v == ""):
            raise MissingParameter(f"The request must contain the parameter {prefix}{name}.")
    for name, member in shape.members.items():
        v = value.get(name)
        if v is None:
            continue
        if member.type_name == "structure":
            _require(member, v, f"{prefix}{name}.")
        elif member.type_name == "list" and member.member.type_name == "structure":
            for i, item in enumerate(v, 1):
                _require(member.member, item, f"{prefix}{name}.{i}.")
        elif member.type_name == "map" and member.value.type_name == "structure":
            for k, item in v.items():
                _require(member.value, item, f"{prefix}{name}.{k}.")


def _b64(o: Any) -> Any:
    if isinstance(o, bytes | bytearray):
        return base64.b64encode(o).decode()
    raise TypeError(type(o).__name__)


# --- query protocol: form parameters in, XML out ---


def _from_query(shape: Shape, flat: dict[str, str], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = _query_member(member, flat, prefix, name)
        if value is not None:
            out[name] = value
    return out


def _query_member(member: Shape, flat: dict[str, str], prefix: str, name: str) -> Any:
    t = member.type_name
    base = prefix + _FLAT.get(member.name, name)
    if t == "list":
        item_shape: Shape = member.member
        items: list[Any] = []
        for i in range(1, _MAX_QUERY_ITEMS + 1):
            key = f"{base}.{i}"
            if item_shape.type_name == "structure":
                if not _has_prefix(flat, key + "."):
                    break
                items.append(_from_query(item_shape, flat, key + "."))
            else:
                if key not in flat:
                    break
                items.append(_scalar(item_shape, flat[key], key))
        return items or None
    if t == "map":
        key_name, value_name = _MAP_KEYS.get(member.name, ("Name", "Value"))
        value_shape: Shape = member.value
        entries: dict[str, Any] = {}
        for i in range(1, _MAX_QUERY_ITEMS + 1):
            k = flat.get(f"{base}.{i}.{key_name}")
            if k is None:
                break
            vkey = f"{base}.{i}.{value_name}"
            if value_shape.type_name == "structure":
                entries[k] = _from_query(value_shape, flat, vkey + ".")
            elif vkey in flat:
                entries[k] = _scalar(value_shape, flat[vkey], vkey)
        return entries or None
    if t == "structure":
        return _from_query(member, flat, base + ".") if _has_prefix(flat, base + ".") else None
    if base in flat:
        return _scalar(member, flat[base], base)
    return None


def _has_prefix(flat: dict[str, str], prefix: str) -> bool:
    return any(k.startswith(prefix) for k in flat)


def _scalar(shape: Shape, value: str, key: str) -> Any:
    t = shape.type_name
    if t in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise InvalidParameterValue(
                f"Value {value} for parameter {key} is invalid. Reason: Must be an integer."
            ) from None
    if t == "boolean":
        return value.lower() == "true"
    if t == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise InvalidParameterValue(
                f"Value {value} for parameter {key} is invalid. Reason: Must be base64."
            ) from None
    return value


def _to_xml_members(shape: Shape, value: dict[str, Any], parts: list[str]) -> None:
    for name, member in shape.members.items():
        v = value.get(name)
        if v is None:
            continue
        entry = _FLAT.get(member.name)
        if member.type_name == "list" and entry is not None:
            for item in v:
                _to_xml(member.member, item, entry, parts)
        elif member.type_name == "map" and entry is not None:
            key_name, value_name = _MAP_KEYS.get(member.name, ("Name", "Value"))
            for k, item in v.items():
                parts.append(f"<{entry}><{key_name}>{escape(str(k))}</{key_name}>")
                _to_xml(member.value, item, value_name, parts)
                parts.append(f"</{entry}>")
        else:
            _to_xml(member, v, name, parts)


def _to_xml(shape: Shape, value: Any, name: str, parts: list[str]) -> None:
    t = shape.type_name
    if t == "structure":
        parts.append(f"<{name}>")
        _to_xml_members(shape, value, parts)
        parts.append(f"</{name}>")
    elif t == "list":
        parts.append(f"<{name}>")
        for item in value:
            _to_xml(shape.member, item, "member", parts)
        parts.append(f"</{name}>")
    elif t == "blob":
        parts.append(f"<{name}>{base64.b64encode(value).decode()}</{name}>")
    elif t == "boolean":
        parts.append(f"<{name}>{'true' if value else 'false'}</{name}>")
    else:
        parts.append(f"<{name}>{_xml_text(str(value))}</{name}>")


def _xml_text(text: str) -> str:
    # Carriage returns would be normalized away by XML parsers: send them as a reference.
    return escape(text).replace("\r", "&#xD;")


def _xml_error(e: SqsError, rid: str) -> bytes:
    return (
        f'<?xml version="1.0"?><ErrorResponse xmlns="{XML_NAMESPACE}"><Error>'
        f"<Type>{e.fault}</Type><Code>{escape(e.query_code)}</Code>"
        f"<Message>{_xml_text(e.message)}</Message><Detail/></Error>"
        f"<RequestId>{rid}</RequestId></ErrorResponse>"
    ).encode()
