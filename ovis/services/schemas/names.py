"""The Schemas service's name and content rules, with its wording, and its ARNs."""

from __future__ import annotations

import json
import re

from ovis.services.schemas.errors import BadRequestException

# Registry and schema names: letters, digits and . - _ @ (what the console's
# "_<FunctionName>-schema" needs and what AWS accepts); lengths as AWS documents them.
_NAME = re.compile(r"[A-Za-z0-9@._-]+")
MAX_REGISTRY_NAME = 64
MAX_SCHEMA_NAME = 385
MAX_TAGS = 50


def check_registry_name(name: str) -> None:
    if not name or len(name) > MAX_REGISTRY_NAME or not _NAME.fullmatch(name):
        raise BadRequestException(
            f"Invalid RegistryName {name!r}: 1 to {MAX_REGISTRY_NAME} characters of letters, "
            "digits, '.', '-', '_' and '@'."
        )
    if name.startswith("aws."):
        raise BadRequestException("Registry names starting with 'aws.' are reserved.")


def check_schema_name(name: str) -> None:
    if not name or len(name) > MAX_SCHEMA_NAME or not _NAME.fullmatch(name):
        raise BadRequestException(
            f"Invalid SchemaName {name!r}: 1 to {MAX_SCHEMA_NAME} characters of letters, "
            "digits, '.', '-', '_' and '@'."
        )


def check_tags(tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise BadRequestException(f"A resource can have at most {MAX_TAGS} tags.")


def check_content(type_: str, content: str) -> None:
    """The content must be a JSON object of its type: an OpenAPI 3 document (an ``openapi``
    member of 3.x) or a JSON Schema draft 4 object."""
    try:
        doc = json.loads(content)
    except ValueError:
        raise BadRequestException("Invalid schema content: it is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise BadRequestException("Invalid schema content: it must be a JSON object.")
    if type_ == "OpenApi3" and not str(doc.get("openapi", "")).startswith("3."):
        raise BadRequestException(
            "Invalid OpenApi3 schema content: the 'openapi' member must be a 3.x version."
        )


def registry_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:schemas:{region}:{account}:registry/{name}"


def schema_arn(region: str, account: str, registry: str, name: str) -> str:
    return f"arn:aws:schemas:{region}:{account}:schema/{registry}/{name}"
