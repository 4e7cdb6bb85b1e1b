"""SQS's own check of required parameters, with SQS's wording and error code.

The codecs hand SQS its input decoded and type-checked but not validated against the model
(AWS's generic ``ValidationException`` wording is not SQS's): a required member that is absent,
at any depth (batch entries, message attribute values), is ``MissingParameter: The request
must contain the parameter Entries.1.Id.``; an empty ``MessageBody`` counts as absent.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

from ovis.services.context import Handler, RequestContext
from ovis.services.sqs.errors import MissingParameter


def require(shape: Shape, value: dict[str, Any], prefix: str = "") -> None:
    """Raises MissingParameter for the first required member of ``shape`` absent in ``value``
    (members of nested structures, list items and map values included)."""
    for name in shape.required_members:
        v = value.get(name)
        if v is None or (name == "MessageBody" and v == ""):
            raise MissingParameter(f"The request must contain the parameter {prefix}{name}.")
    for name, member in shape.members.items():
        v = value.get(name)
        if v is None:
            continue
        if member.type_name == "structure":
            require(member, v, f"{prefix}{name}.")
        elif member.type_name == "list" and member.member.type_name == "structure":
            for i, item in enumerate(v, 1):
                require(member.member, item, f"{prefix}{name}.{i}.")
        elif member.type_name == "map" and member.value.type_name == "structure":
            for k, item in v.items():
                require(member.value, item, f"{prefix}{name}.{k}.")


def checked(shape: Shape | None, handler: Handler) -> Handler:
    """``handler``, called only once its input's required parameters are all present."""
    if shape is None:
        return handler

    async def with_required(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        require(shape, params)
        return await handler(ctx, params)

    return with_required
