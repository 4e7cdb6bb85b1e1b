"""How an ``ApiError`` reads in a protocol's terms: the query protocol's code and fault (also
sent by awsQueryCompatible JSON services in ``x-amzn-query-error``), the JSON ``__type``."""

from __future__ import annotations

from botocore.model import ServiceModel

from ovis.errors import ApiError
from ovis.protocols.model import error_query_code


def query_fault(err: ApiError) -> str:
    """``Sender`` or ``Receiver``: the error's own if it has one (SqsError), else by status."""
    if err.fault in ("Sender", "Receiver"):
        return err.fault
    return "Sender" if err.status < 500 else "Receiver"


def query_code(model: ServiceModel, err: ApiError) -> str:
    """The error's query code: its ``query_code`` (SqsError), else the modeled error shape's
    ``error.code`` (IAM's NoSuchEntityException is ``NoSuchEntity``), else its code."""
    own = getattr(err, "query_code", None)
    if isinstance(own, str):
        return own
    return error_query_code(model, err.code) or err.code


def json_type(err: ApiError) -> str:
    """The JSON protocol's ``__type``: the error's ``type_name`` if it has one (SqsError's
    ``com.amazonaws.sqs#QueueDoesNotExist``, as SQS sends it), else its code."""
    own = getattr(err, "type_name", None)
    return own if isinstance(own, str) else err.code
