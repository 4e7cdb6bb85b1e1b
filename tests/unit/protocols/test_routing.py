"""Every operation of the REST models routes back to itself from the request botocore builds
for it with its required members only (deprecated twins excepted: same route, newer name)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import Shape

from ovis.protocols import codec_for
from ovis.protocols.model import service_model

from .oracle import request


def minimal(shape: Shape, depth: int = 0) -> Any:
    t = shape.type_name
    if t == "structure":
        return {n: minimal(shape.members[n], depth + 1) for n in shape.required_members}
    if t == "list":
        return [minimal(shape.member, depth + 1)] if depth < 3 else []
    if t == "map":
        return {}
    if t in ("integer", "long"):
        return 1
    if t in ("float", "double"):
        return 1.0
    if t == "boolean":
        return True
    if t == "blob":
        return b"x"
    if t == "timestamp":
        return datetime(2026, 1, 1, tzinfo=UTC)
    return shape.enum[0] if shape.enum else "x"


# Same method and path, told apart only by endpoint (S3 Express): the general one wins.
TWINS = {("s3", "ListDirectoryBuckets"): "ListBuckets"}


@pytest.mark.parametrize("service", ["lambda", "s3", "scheduler"])
def test_every_operation_routes_to_itself(service: str) -> None:
    model = service_model(service)
    codec = codec_for(service)
    wrong = []
    for name in model.operation_names:
        op = model.operation_model(name)
        params = minimal(op.input_shape) if op.input_shape is not None else {}
        got = codec.operation(request(model, name, params))
        if got != TWINS.get((service, name), name) and not op.deprecated:
            wrong.append((name, got))
    assert wrong == []
