"""The rest-xml protocol (S3): REST routes, XML or raw payloads, XML errors.

Requests: members from the URI (``/{Bucket}/{Key+}``; a virtual-hosted bucket comes in the
``labels`` argument), the query string (S3's ``?uploads``, ``?tagging``, ``?list-type=2``
route literals), headers (``x-amz-meta-*`` into a map) and the payload (a blob, or an XML
structure such as CreateBucketConfiguration). Responses: header members, then the raw payload
or an XML document rooted at the payload's (or the operation's) element. Errors:
``<Error><Code/><Message/>...<RequestId/></Error>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ovis.errors import (
    ApiError,
    InvalidArgument,
    MethodNotAllowed,
    UnknownOperationException,
    ValidationException,
)
from ovis.protocols.base import HttpRequest, HttpResponse
from ovis.protocols.model import operations, service_model, wire_name
from ovis.protocols.rest import RestInput, RestOutput
from ovis.protocols.routes import Route, Router, query_dict
from ovis.protocols.validate import Validator
from ovis.protocols.xmldoc import Emit, Read, XmlDecoders, XmlEncoders, escape, parse

S3_XML_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
# The root elements S3 sends for outputs whose members make up the whole body.
S3_ROOTS: Mapping[str, str] = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketLocation": "LocationConstraint",
    "GetObjectTagging": "Tagging",
    "GetBucketTagging": "Tagging",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketCors": "CORSConfiguration",
}


@dataclass(frozen=True)
class _Operation:
    route: Route
    input: RestInput
    read: Read | None  # reader of the XML body (payload structure, or the body members)
    validate: Validator
    output: RestOutput
    root: str  # root element of an XML output body
    write: Emit | None  # writer of the payload structure
    write_members: Callable[[dict[str, Any], list[str]], None] | None


def _unknown(method: str, path: str) -> ApiError:
    return UnknownOperationException(f"Unknown operation {method} {path}")


def _not_allowed(method: str, path: str) -> ApiError:
    return MethodNotAllowed("The specified method is not allowed against this resource.")


class RestXmlCodec:
    """Codec of one rest-xml service, e.g. ``RestXmlCodec("s3")``. ``roots``: output root
    element by operation (default: S3's); ``xml_namespace`` of those roots (default S3's).
    ``operation`` and ``parse`` take an optional ``labels`` mapping of URI labels bound outside
    the path (a virtual-hosted ``Bucket``). Immutable."""

    protocol = "rest-xml"

    def __init__(
        self,
        service: str,
        *,
        roots: Mapping[str, str] = S3_ROOTS,
        xml_namespace: str | None = S3_XML_NAMESPACE,
    ) -> None:
        self.service = service
        self.model = service_model(service)
        ops = operations(self.model)
        self._router = Router(ops, _unknown, _not_allowed)
        self._xmlns = f' xmlns="{escape(xml_namespace)}"' if xml_namespace else ""
        readers = XmlDecoders()
        writers = XmlEncoders()
        self._ops: dict[str, _Operation] = {}
        for op in ops:
            inp = RestInput.of(op, InvalidArgument)
            out = RestOutput.of(op)
            read: Read | None = None
            if inp.payload is not None and inp.payload[1].type_name == "structure":
                read = readers.compile(inp.payload[1])
            elif inp.body:
                read = readers.compile(op.input_shape)
            write: Emit | None = None
            write_members = None
            if out.payload is not None and out.payload[1].type_name == "structure":
                write = writers.compile(out.payload[1])
            elif out.body:
                write_members = writers.members(op.output_shape)
            outs = op.output_shape
            root = roots.get(op.name) or (
                wire_name(outs, outs.name.replace("Output", "Result")) if outs is not None else ""
            )
            self._ops[op.name] = _Operation(
                self._router.by_operation[op.name],
                inp,
                read,
                Validator(
                    op.input_shape, InvalidArgument if service == "s3" else ValidationException
                ),
                out,
                root,
                write,
                write_members,
            )

    def operation(self, req: HttpRequest, labels: Mapping[str, str] | None = None) -> str:
        return self._router.match(req.method, req.path, req.query, req.headers, labels).operation

    def parse(
        self, operation: str, req: HttpRequest, labels: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        op = self._ops.get(operation)
        if op is None:
            raise _unknown(req.method, req.path)
        query = query_dict(req.query) if op.input.query_bound else {}
        params = op.input.bind(op.route.labels(req.path, labels) or {}, query, req.headers)
        payload = op.input.payload
        if payload is not None and payload[1].type_name == "blob":
            params[payload[0]] = req.body
        elif payload is not None and payload[1].type_name == "string":
            if req.body:
                params[payload[0]] = req.body.decode("utf-8", "replace")
        elif op.read is not None and req.body:
            decoded = op.read(parse(req.body))
            if payload is not None:
                params[payload[0]] = decoded
            else:
                params.update({k: v for k, v in decoded.items() if k in op.input.body})
        try:
            op.validate(params)
        except InvalidArgument as e:
            if ".locationConstraint" in e.message:  # S3 names this one its own way
                e.code = "InvalidLocationConstraint"
                e.message = "The specified location-constraint is not valid"
            raise
        return params

    def check(self, operation: str, params: dict[str, Any]) -> None:
        self._ops[operation].validate(params)

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        op = self._ops[operation]
        status, headers, payload, body = op.output.split(output)
        headers["x-amz-request-id"] = request_id
        decl = '<?xml version="1.0" encoding="UTF-8"?>'
        if payload is not None and op.output.payload is not None:
            name, shape = op.output.payload
            if op.write is not None:
                parts = [decl]
                op.write(payload, wire_name(shape, name), parts)
                headers["Content-Type"] = "application/xml"
                return HttpResponse(status, headers, "".join(parts).encode())
            raw = payload.encode() if isinstance(payload, str) else bytes(payload)
            return HttpResponse(status, headers, raw)
        if operation == "GetBucketLocation" and self.service == "s3":
            # S3's one output whose member is the root element's text (botocore reads it so)
            where = escape(str(body.get("LocationConstraint") or ""))
            doc = f"{decl}<LocationConstraint{self._xmlns}>{where}</LocationConstraint>"
            headers["Content-Type"] = "application/xml"
            return HttpResponse(status, headers, doc.encode())
        if op.write_members is None or not body:
            return HttpResponse(status, headers)
        parts = [f"{decl}<{op.root}{self._xmlns}>"]
        op.write_members(body, parts)
        parts.append(f"</{op.root}>")
        headers["Content-Type"] = "application/xml"
        return HttpResponse(status, headers, "".join(parts).encode())

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in err.extra.items() if k.isalnum())
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{escape(err.code)}</Code>'
            f"<Message>{escape(err.message)}</Message>{extra}"
            f"<RequestId>{escape(request_id)}</RequestId></Error>"
        )
        headers = {k: v for k, v in err.headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = "application/xml"
        headers["x-amz-request-id"] = request_id
        return HttpResponse(err.status, headers, body.encode())
