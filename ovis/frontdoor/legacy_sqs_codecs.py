"""SQS's two protocols, behind the ``ovis.protocols.base.Codec`` interface (today's parsing,
moved from the SQS API module until ``ovis.protocols`` replaces it).

* JSON 1.0 (what current SDKs use): ``POST /`` with ``X-Amz-Target: AmazonSQS.<Operation>`` and
  ``Content-Type: application/x-amz-json-1.0``. Errors are ``{"__type":
  "com.amazonaws.sqs#<Shape>", "message": ...}`` plus the ``x-amzn-query-error: <legacy
  code>;Sender`` header AWS sends, from which boto3 takes ``Error.Code`` (e.g.
  ``AWS.SimpleQueueService.NonExistentQueue``) while naming the exception after the shape.
* Query (older SDKs, curl): form-encoded ``Action=<Operation>&...`` POSTs (or GETs) to ``/`` or to
  the queue URL, answered in XML. Wire names of lists and maps (``Attribute.1.Name``,
  ``MessageAttribute.1.Value.StringValue``, ``SendMessageBatchRequestEntry.1.Id``...) come from
  the classic SQS query model, which the botocore JSON model no longer carries: ``_FLAT`` below.

Inputs are decoded and type-checked against botocore's ``sqs`` model and required members are
checked (MissingParameter); the SQS rules (limits, attribute names, batch ids) are the service's.
Both codecs are immutable and shared by all requests.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.model import OperationModel, Shape

from ovis.errors import ApiError, ServiceException
from ovis.frontdoor.legacy_codecs import UnsupportedOperation, _decode, service_model
from ovis.protocols.base import HttpRequest, HttpResponse
from ovis.services.sqs.errors import (
    InternalError,
    InvalidAction,
    InvalidParameterValue,
    MissingParameter,
    SerializationError,
    SqsError,
)
from ovis.services.sqs.errors import UnsupportedOperation as SqsUnsupportedOperation

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


def _sqs_error(e: ApiError) -> ApiError:
    """The SQS spelling of errors raised outside the SQS service (front door, codec)."""
    if isinstance(e, UnsupportedOperation):
        return SqsUnsupportedOperation(
            f"The operation {e.operation} is not supported by this server."
        )
    if isinstance(e, ServiceException):
        return InternalError("An internal error occurred.")
    return e


class _SqsCodec:
    service = "sqs"

    def __init__(self) -> None:
        self.model = service_model("sqs")

    def _operation_model(self, operation: str) -> OperationModel:
        if operation not in self.model.operation_names:
            raise InvalidAction(f"The action {operation} is not valid for this endpoint.")
        return self.model.operation_model(operation)


class SqsJsonCodec(_SqsCodec):
    protocol = "json"

    def operation(self, req: HttpRequest) -> str:
        operation = req.headers.get("x-amz-target", "").partition(".")[2]
        self._operation_model(operation)
        return operation

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        try:
            doc = json.loads(req.body or b"{}")
        except (ValueError, RecursionError):
            raise SerializationError("Could not parse the request body as JSON.") from None
        if not isinstance(doc, dict):
            raise SerializationError("The request body must be a JSON object.")
        shape = self._operation_model(operation).input_shape
        if shape is None:
            return {}
        try:
            params = {
                name: _decode(member, doc[name], name)
                for name, member in shape.members.items()
                if doc.get(name) is not None
            }
        except ApiError as e:
            raise InvalidParameterValue(e.message) from None
        _require(shape, params, "")
        return params

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        body = json.dumps(output, default=_b64).encode()
        return HttpResponse(200, {"Content-Type": JSON_CONTENT_TYPE}, body)

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        e = _sqs_error(err)
        if isinstance(e, SqsError):
            return HttpResponse(e.status, dict(e.headers), json.dumps(e.body()).encode())
        # Raised before SQS saw the request (SigV4, body size): the JSON shape SQS clients parse.
        body = {"__type": f"com.amazon.coral.service#{e.code}", "message": e.message}
        headers = {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-ErrorType": e.code}
        return HttpResponse(e.status, headers, json.dumps(body).encode())


class SqsQueryCodec(_SqsCodec):
    protocol = "query"

    @staticmethod
    def _params(req: HttpRequest) -> dict[str, str]:
        params: dict[str, str] = {}
        try:
            if req.query:
                params.update(parse_qsl(req.query, keep_blank_values=True))
            ctype = req.headers.get("content-type", "")
            if req.method == "POST" and ctype.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(req.body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise InvalidParameterValue("The request parameters could not be decoded.") from None
        return params

    def operation(self, req: HttpRequest) -> str:
        operation = self._params(req).get("Action")
        if not operation:
            raise MissingParameter("The request must contain the parameter Action.")
        self._operation_model(operation)
        return operation

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        shape = self._operation_model(operation).input_shape
        if shape is None:
            return {}
        parsed = _from_query(shape, self._params(req), "")
        if (
            "QueueUrl" in shape.members
            and "QueueUrl" not in parsed
            and _QUEUE_PATH.fullmatch(req.path)
        ):
            # Sent to the queue URL itself: the path names the queue (any host reaches us).
            host = req.headers.get("host", "localhost")
            parsed["QueueUrl"] = f"http://{host}{req.path.rstrip('/')}"
        _require(shape, parsed, "")
        return parsed

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        out_shape = self.model.operation_model(operation).output_shape
        parts = [f'<?xml version="1.0"?><{operation}Response xmlns="{XML_NAMESPACE}">']
        if out_shape is not None:
            parts.append(f"<{operation}Result>")
            _to_xml_members(out_shape, output, parts)
            parts.append(f"</{operation}Result>")
        parts.append(
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</{operation}Response>"
        )
        return HttpResponse(200, {"Content-Type": "text/xml"}, "".join(parts).encode())

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        e = _sqs_error(err)
        fault = (
            e.fault if isinstance(e, SqsError) else ("Receiver" if e.status >= 500 else "Sender")
        )
        code = e.query_code if isinstance(e, SqsError) else e.code
        body = (
            f'<?xml version="1.0"?><ErrorResponse xmlns="{XML_NAMESPACE}"><Error>'
            f"<Type>{fault}</Type><Code>{escape(code)}</Code>"
            f"<Message>{_xml_text(e.message)}</Message><Detail/></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return HttpResponse(e.status, {"Content-Type": "text/xml"}, body)


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
