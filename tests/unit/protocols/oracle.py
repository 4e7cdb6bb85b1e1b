"""botocore as the test oracle: its serializers build the requests our codecs parse, its
parsers read the responses and errors our codecs render."""

from __future__ import annotations

import copy
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import botocore.session
from botocore.compat import HTTPHeaders
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from ovis.protocols.base import HttpRequest, HttpResponse
from ovis.protocols.model import service_model
from ovis.protocols.sqs_names import SQS_QUERY_NAMES, SQS_XML_NAMESPACE
from ovis.protocols.timestamps import to_datetime


def request(
    model: ServiceModel | str, operation: str, params: dict[str, Any], protocol: str | None = None
) -> HttpRequest:
    """The HTTP request botocore sends for ``operation(**params)``."""
    model = service_model(model) if isinstance(model, str) else model
    protocol = protocol or model.metadata["protocol"]
    op = model.operation_model(operation)
    d = create_serializer(protocol, include_validation=False).serialize_to_request(params, op)
    path, _, literal = d["url_path"].partition("?")
    qs = d["query_string"]
    encoded = urlencode(qs, doseq=True, quote_via=quote) if isinstance(qs, dict) else qs
    query = "&".join(x for x in (literal, encoded) if x)
    headers = {k.lower(): str(v) for k, v in d["headers"].items()}
    body = d["body"]
    if isinstance(body, dict):
        body = urlencode(body, quote_via=quote).encode()
        headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8"
    elif isinstance(body, str):
        body = body.encode()
    elif body is None:
        body = b""
    elif not isinstance(body, bytes):
        body = body.read()
    return HttpRequest(d["method"], path, query, headers, body)


def _response(resp: HttpResponse) -> dict[str, Any]:
    headers = HTTPHeaders()
    for k, v in resp.headers.items():
        headers[k] = v
    return {"status_code": resp.status, "headers": headers, "body": resp.body}


def parse_output(op: OperationModel, resp: HttpResponse, protocol: str) -> dict[str, Any]:
    parsed: dict[str, Any] = create_parser(protocol).parse(_response(resp), op.output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def parse_error(resp: HttpResponse, protocol: str) -> dict[str, Any]:
    assert resp.status >= 400
    error: dict[str, Any] = create_parser(protocol).parse(_response(resp), None)["Error"]
    return error


def normalize(value: Any) -> Any:
    """Timestamps (datetime, epoch, ISO strings) to aware datetimes, containers recursively."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, datetime):
        return to_datetime(value)
    return value


@cache
def classic_sqs_model() -> ServiceModel:
    """botocore's SQS model with the classic query traits of ``SQS_QUERY_NAMES`` written in
    (flattened, locationName, result wrappers), as botocore's query model of SQS had them."""
    loader = botocore.session.get_session().get_component("data_loader")
    raw = copy.deepcopy(loader.load_service_model("sqs", "service-2"))
    raw["metadata"]["protocol"] = "query"
    raw["metadata"]["protocols"] = ["query"]
    raw["metadata"]["xmlNamespace"] = SQS_XML_NAMESPACE
    shapes = raw["shapes"]
    for name, q in SQS_QUERY_NAMES.items():
        shape = shapes[name]
        shape["flattened"] = True
        if shape["type"] == "list":
            shape["member"]["locationName"] = q.name
        else:
            shape["key"]["locationName"] = q.key
            shape["value"]["locationName"] = q.value
    for shape in shapes.values():
        for ref in shape.get("members", {}).values():
            if ref["shape"] in SQS_QUERY_NAMES:
                ref["locationName"] = SQS_QUERY_NAMES[ref["shape"]].name
    for op_name, op in raw["operations"].items():
        if "output" in op:
            op["output"]["resultWrapper"] = f"{op_name}Result"
    return ServiceModel(raw, service_name="sqs")
