"""The one qualifier resolver: FunctionName (name, partial or full ARN) and Qualifier (``$LATEST``,
a version number or an alias) to the configuration they mean.

Every operation that takes a function reference resolves it here, so the rules (an ARN's
qualifier must agree with a Qualifier parameter, another account's ARN is not found, an alias
means its primary version, or a weighted pick when invoking) and AWS's error wording exist once.
Reads only the registry's in-memory view: safe on the invoke hot path (no I/O, no copies).
"""

from __future__ import annotations

import random

from ovis.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ovis.invoke.registry import FunctionRegistry
from ovis.models.alias import Alias
from ovis.models.arn import ArnError, function_arn, parse_function_ref
from ovis.models.function import LATEST, FunctionConfig, State

_NAME_PATTERN = (
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
    "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
)


def is_alias(qualifier: str | None) -> bool:
    """True when a qualifier names an alias (not None, ``$LATEST`` or a version number)."""
    return qualifier is not None and qualifier != LATEST and not qualifier.isdigit()


class Qualifiers:
    def __init__(self, registry: FunctionRegistry, region: str, account_id: str) -> None:
        self.registry = registry
        self.region = region
        self.account_id = account_id

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.region, self.account_id, name, qualifier)

    def not_found(self, name: str, qualifier: str | None = None) -> ResourceNotFoundException:
        return ResourceNotFoundException(f"Function not found: {self.arn(name, qualifier)}")

    def ref(self, text: str, qualifier: str | None = None) -> tuple[str, str | None]:
        """(name, qualifier) from any FunctionName form; a Qualifier parameter must agree."""
        try:
            ref = parse_function_ref(text)
        except ArnError:
            raise ValidationException(
                f"1 validation error detected: Value '{text}' at 'functionName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                + _NAME_PATTERN
            ) from None
        if (ref.account is not None and ref.account != self.account_id) or (
            ref.region is not None and ref.region != self.region
        ):  # another account's or region's function: none of ours (#19)
            raise self.not_found(ref.name)
        if ref.qualifier and qualifier and ref.qualifier != qualifier:
            raise InvalidParameterValueException(
                "The derived qualifier from the function name does not match the specified "
                "qualifier."
            )
        return ref.name, qualifier or ref.qualifier

    def alias(self, name: str, qualifier: str) -> Alias:
        """The alias ``qualifier`` names; 404 if none."""
        alias = self.registry.alias(name, qualifier)
        if alias is None:
            raise self.not_found(name, qualifier)
        return alias

    def version(self, name: str, qualifier: str) -> str:
        """The version a qualifier names (an alias's primary version); 404 if none."""
        if is_alias(qualifier):
            alias = self.registry.alias(name, qualifier)
            version = alias.version if alias is not None else ""
        else:
            version = qualifier
        if not version or self.registry.get(name, version) is None:
            raise self.not_found(name, qualifier)
        return version

    def config(self, name: str, qualifier: str | None = None) -> FunctionConfig:
        """The configuration of the version ``name:qualifier`` means (an alias: its primary
        version); 404 if the function, version or alias does not exist."""
        q = qualifier
        if q is not None and is_alias(q):
            alias = self.registry.alias(name, q)
            if alias is None or self.registry.get(name, LATEST) is None:
                raise self.not_found(name, q)
            q = alias.version
        cfg = self.registry.get(name, q or LATEST)
        if cfg is None:
            raise self.not_found(name, q)
        return cfg

    def for_invoke(self, name: str, qualifier: str | None) -> FunctionConfig:
        """The version an invocation of ``name:qualifier`` runs (a weighted alias picks one per
        call); 404 if missing, 409 unless it is Active."""
        version = qualifier or LATEST
        if is_alias(version):
            alias = self.registry.alias(name, version)
            if alias is None:
                raise self.not_found(name, version)
            version = alias.pick(random.random()) if alias.weights else alias.version
        cfg = self.registry.get(name, version)
        if cfg is None:
            raise self.not_found(name, qualifier)
        if cfg.state != State.ACTIVE:
            raise ResourceConflictException(
                "The operation cannot be performed at this time. "
                f"The function is currently in the following state: {cfg.state}"
            )
        return cfg
