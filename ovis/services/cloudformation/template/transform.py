"""The Transform section: macros that rewrite a template before it is planned.

``expand`` runs the template's transforms in the order declared: ``AWS::LanguageExtensions``
(language.py) and ``AWS::Serverless-2016-10-31`` (SAM, sam.py) are served;
``AWS::Include``, ``AWS::CodeDeployBlueGreen``, ``AWS::SecretsManager-2020-07-23`` and account
macros are refused with a ValidationError naming them. A template without a
Transform is returned as it is (the same object). Pure otherwise: the input is not changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ovis.services.cloudformation.template.errors import TemplateError, format_error
from ovis.services.cloudformation.template.language import (
    LANGUAGE_EXTENSIONS,
    apply_language_extensions,
)
from ovis.services.cloudformation.template.sam import SAM_TRANSFORM, translate_sam

_KNOWN_REFUSED = {
    "AWS::Include": "the AWS::Include transform is not supported by this server",
    "AWS::CodeDeployBlueGreen": "the AWS::CodeDeployBlueGreen transform needs CodeDeploy,"
    " which this server does not serve",
    "AWS::SecretsManager-2020-07-23": "the AWS::SecretsManager-2020-07-23 transform needs"
    " Secrets Manager, which this server does not serve",
}


def transforms(doc: Mapping[str, Any]) -> list[str]:
    """The transform names ``doc`` declares, in order."""
    value = doc.get("Transform")
    if value is None:
        return []
    names = value if isinstance(value, list) else [value]
    out: list[str] = []
    for name in names:
        if isinstance(name, dict) and "Name" in name:
            name = name["Name"]  # the {Name, Parameters} form (AWS::Include)
        if not isinstance(name, str):
            raise format_error("Transform must be a string or a list of strings")
        out.append(name)
    return out


def expand(
    doc: dict[str, Any],
    *,
    stack_name: str,
    region: str,
    account_id: str,
    parameters: Mapping[str, str],
) -> dict[str, Any]:
    """``doc`` with its transforms applied (see the module docstring)."""
    names = transforms(doc)
    if not names:
        return doc
    for name in names:
        if name in _KNOWN_REFUSED:
            raise TemplateError(f"Transform {name} failed: {_KNOWN_REFUSED[name]}.")
        if name not in (SAM_TRANSFORM, LANGUAGE_EXTENSIONS):
            raise TemplateError(f"No transform named {account_id}::{name} found.")
    out: dict[str, Any] = doc
    for name in names:  # in the order declared, as CloudFormation runs them
        if name == LANGUAGE_EXTENSIONS:
            out = apply_language_extensions(out, parameters)
        else:
            out = translate_sam(
                out,
                stack_name=stack_name,
                region=region,
                account_id=account_id,
                parameters=parameters,
            )
    out = dict(out)
    out.pop("Transform", None)
    return out
