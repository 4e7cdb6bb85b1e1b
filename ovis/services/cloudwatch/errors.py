"""CloudWatch's errors. ``code`` is the modeled shape name (the JSON/CBOR ``__type``, from which
botocore names its exception classes); the codecs derive the legacy query code from the model
(``InvalidParameterValueException`` -> ``InvalidParameterValue``), sent in XML errors and in
``x-amzn-query-error``."""

from __future__ import annotations

from ovis.errors import ApiError


class CloudWatchError(ApiError):
    status = 400
    fault = "Sender"


class InvalidParameterValue(CloudWatchError):
    code = "InvalidParameterValueException"


class InvalidParameterCombination(CloudWatchError):
    code = "InvalidParameterCombinationException"


class MissingParameter(CloudWatchError):
    code = "MissingRequiredParameterException"


class ResourceNotFound(CloudWatchError):
    code, status = "ResourceNotFound", 404


class LimitExceeded(CloudWatchError):
    code = "LimitExceededFault"


class InvalidNextToken(CloudWatchError):
    code = "InvalidNextToken"
