"""``codec_for(service)``: the codec of a botocore service in its protocol, built once.

The protocol is the model's ``metadata.protocols`` entry this package speaks first (else
``metadata.protocol``), or the one asked for (SQS answers both ``json`` and ``query``;
CloudWatch ``smithy-rpc-v2-cbor``, ``json`` and ``query``).
SQS's codecs speak its dialect: its own unknown-action wording, the classic query names, the
queue URL as a query endpoint, and no model validation (the service checks its parameters)."""

from __future__ import annotations

from functools import cache

from ovis.protocols.base import Codec
from ovis.protocols.json import JsonCodec
from ovis.protocols.model import service_model
from ovis.protocols.query import QueryCodec
from ovis.protocols.restjson import RestJsonCodec
from ovis.protocols.restxml import RestXmlCodec
from ovis.protocols.rpcv2cbor import RpcV2CborCodec
from ovis.protocols.sqs_names import SQS_QUERY_NAMES, SQS_XML_NAMESPACE, sqs_unknown_action

PROTOCOLS = ("rest-json", "json", "query", "rest-xml", "smithy-rpc-v2-cbor")


@cache
def codec_for(service: str, protocol: str | None = None) -> Codec:
    """The codec of ``service`` (a botocore name: "lambda", "sqs", "s3"...); raises
    ValueError for a protocol this package does not speak."""
    if protocol is None:
        meta = service_model(service).metadata
        offered = [*meta.get("protocols", ()), meta.get("protocol")]
        protocol = next((p for p in offered if p in PROTOCOLS), None)
        if protocol is None:
            raise ValueError(f"{service}: no supported protocol in {offered}")
    if protocol == "rest-json":
        return RestJsonCodec(service)
    if protocol == "json":
        if service == "sqs":  # SQS checks its own parameters, with its own wording
            return JsonCodec(service, validate=False, unknown_action=sqs_unknown_action)
        return JsonCodec(service)
    if protocol == "query":
        if service == "sqs":
            return QueryCodec(
                service,
                names=SQS_QUERY_NAMES,
                xml_namespace=SQS_XML_NAMESPACE,
                validate=False,
                unknown_action=sqs_unknown_action,
                path_member="QueueUrl",
            )
        return QueryCodec(service)
    if protocol == "rest-xml":
        return RestXmlCodec(service)
    if protocol == "smithy-rpc-v2-cbor":
        return RpcV2CborCodec(service)
    raise ValueError(f"{service}: unsupported protocol {protocol}")
