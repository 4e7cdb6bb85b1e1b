"""The botocore service model as the spec, and the few shape facts every codec asks for.

``Shape`` objects from botocore recompute ``metadata`` and ``serialization`` on each access, so
codecs read these helpers once, while compiling an operation, never per request.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.model import NoShapeFoundError, OperationModel, ServiceModel, Shape

# botocore's scalar type names, grouped the way the codecs treat them.
INTEGERS = frozenset({"integer", "long", "short", "byte"})
FLOATS = frozenset({"float", "double", "bigdecimal"})
NUMBERS = INTEGERS | FLOATS
CONTAINERS = frozenset({"structure", "list", "map"})


@cache
def service_model(name: str) -> ServiceModel:
    """botocore's model of service ``name`` (e.g. "lambda", "s3"); loaded once per process."""
    return botocore.session.get_session().get_service_model(name)


def camel(name: str) -> str:
    """A member name as AWS's validation messages spell it: ``FunctionName`` -> ``functionName``."""
    return name[:1].lower() + name[1:]


def wire_name(shape: Shape, default: str) -> str:
    """The member's serialized name (its ``locationName``), else its name in the model."""
    name = shape.serialization.get("name")
    return name if isinstance(name, str) else default


def is_document(shape: Shape) -> bool:
    """A Smithy document: any JSON value, passed through untouched."""
    return bool(shape.metadata.get("document"))


def shape_key(shape: Shape) -> tuple[str, str]:
    """Identity of a shape *reference*: member references may add traits (locationName,
    flattened...) to the named shape, so compiled forms are memoized by name and traits."""
    return shape.name, repr(sorted(shape.serialization.items()))


def operations(model: ServiceModel) -> list[OperationModel]:
    return [model.operation_model(name) for name in model.operation_names]


def error_query_code(model: ServiceModel, code: str) -> str | None:
    """The legacy query error code botocore records for a modeled error shape (``error.code``),
    if any: awsQueryCompatible services send it in ``x-amzn-query-error``."""
    try:
        shape = model.shape_for(code)
    except NoShapeFoundError:
        return None
    error: Any = shape.metadata.get("error")
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        return str(error["code"])
    return None
