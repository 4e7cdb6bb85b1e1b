"""Function references as users type them: ``NAME``, ``NAME:QUALIFIER`` or an ARN."""

from __future__ import annotations

from typing import Any


def function_params(ref: str, qualifier: str | None = None) -> dict[str, Any]:
    """FunctionName (and Qualifier) API parameters for `ref`.

    ``name:3`` / ``name:live`` become FunctionName=name, Qualifier=3 / live; an ARN is passed
    whole (the server reads a qualifier from it). An explicit `qualifier` wins over one in
    `ref`'s short form.
    """
    name = ref
    if not ref.startswith("arn:") and ":" in ref:
        name, _, short = ref.partition(":")
        qualifier = qualifier or short
    params: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        params["Qualifier"] = qualifier
    return params
