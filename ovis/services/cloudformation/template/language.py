"""The ``AWS::LanguageExtensions`` transform: ``Fn::ForEach``, ``Fn::Length``,
``Fn::ToJsonString``, ``Fn::FindInMap``'s ``DefaultValue`` and intrinsic functions in
``DeletionPolicy``/``UpdateReplacePolicy``.

What is done here, before planning, with the stack's parameter values:
- ``Fn::ForEach::<Loop>: [Identifier, Collection, {OutputKey: OutputValue}]`` in any mapping
  (Resources, Outputs, Conditions, properties) is replaced by one copy of the fragment per
  item: ``${Identifier}`` (the item) and ``&{Identifier}`` (the item without its
  non-alphanumeric characters) in keys and ``Fn::Sub`` strings, and ``Ref: Identifier``, are
  replaced. The collection is a list or ``Ref`` of a list parameter. Loops nest.
- ``DeletionPolicy``/``UpdateReplacePolicy`` given as ``Ref`` of a parameter become its value.

``Fn::Length``, ``Fn::ToJsonString`` and ``Fn::FindInMap``'s fourth argument
``{"DefaultValue": v}`` are evaluated with the other functions at resolve time (they may refer
to resources); the evaluator answers them whether or not the transform was declared. Pure: the
input document is not changed. Errors are ``TemplateError`` naming the transform.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Final

from ovis.services.cloudformation.template.errors import TemplateError
from ovis.services.cloudformation.template.parameters import declared_parameters

LANGUAGE_EXTENSIONS: Final = "AWS::LanguageExtensions"
_FOR_EACH: Final = "Fn::ForEach::"
_NOT_ALNUM: Final = re.compile(r"[^A-Za-z0-9]")


def _error(detail: str) -> TemplateError:
    return TemplateError(f"Transform {LANGUAGE_EXTENSIONS} failed with: {detail}")


def apply_language_extensions(
    doc: Mapping[str, Any], parameters: Mapping[str, str]
) -> dict[str, Any]:
    """``doc`` with the language extensions applied (see the module docstring)."""
    lists = {
        decl.name: [item.strip() for item in parameters[decl.name].split(",")]
        for decl in declared_parameters(doc)
        if decl.is_list and decl.name in parameters and parameters[decl.name] != ""
    }
    out: dict[str, Any] = _expand(copy.deepcopy(dict(doc)), lists, parameters)
    resources = out.get("Resources")
    if isinstance(resources, dict):
        for body in resources.values():
            if isinstance(body, dict):
                for key in ("DeletionPolicy", "UpdateReplacePolicy"):
                    body[key] = _policy(body.get(key), parameters, key)
                    if body[key] is None:
                        del body[key]
    return out


def _policy(value: Any, parameters: Mapping[str, str], key: str) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if not isinstance(name, str) or name not in parameters:
            raise _error(f"{key} may refer only to a parameter (got {name})")
        return parameters[name]
    return value


def _expand(value: Any, lists: Mapping[str, list[str]], parameters: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_expand(item, lists, parameters) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and key.startswith(_FOR_EACH):
            for new_key, new_value in _for_each(key, item, lists).items():
                if new_key in out:
                    raise _error(f"{key} produced the key {new_key} twice")
                out[new_key] = _expand(new_value, lists, parameters)
        else:
            if key in out:
                raise _error(f"{key} is produced twice")
            out[key] = _expand(item, lists, parameters)
    return out


def _collection(value: Any, lists: Mapping[str, list[str]], fn: str) -> list[Any]:
    if (
        isinstance(value, dict)
        and set(value) == {"Ref"}
        and isinstance(value["Ref"], str)
        and value["Ref"] in lists
    ):
        return list(lists[value["Ref"]])
    if isinstance(value, list):
        return value
    raise _error(f"{fn} requires a list or a Ref to a list parameter")


def _for_each(key: str, args: Any, lists: Mapping[str, list[str]]) -> dict[str, Any]:
    if not (
        isinstance(args, list)
        and len(args) == 3
        and isinstance(args[0], str)
        and isinstance(args[2], dict)
    ):
        raise _error(f"{key} requires a list of three: an identifier, a collection and a fragment")
    identifier, collection, fragment = args
    out: dict[str, Any] = {}
    for item in _collection(collection, lists, key):
        if not isinstance(item, str | int | float):
            raise _error(f"{key}: collection items must be strings")
        text = str(item)
        for out_key, out_value in fragment.items():
            new_key = _substitute(out_key, identifier, text)
            if not new_key.startswith(_FOR_EACH) and "${" in out_key and new_key == out_key:
                raise _error(f"{key}: the output key {out_key} does not use ${{{identifier}}}")
            replaced = _replace(copy.deepcopy(out_value), identifier, text)
            if new_key.startswith(_FOR_EACH):
                # A nested loop: expand it now that this loop's identifier is known.
                for inner_key, inner_value in _for_each(new_key, replaced, lists).items():
                    out[inner_key] = inner_value
            else:
                if new_key in out:
                    raise _error(f"{key} produced the key {new_key} twice")
                out[new_key] = replaced
    return out


def _substitute(text: str, identifier: str, item: str) -> str:
    return text.replace("${" + identifier + "}", item).replace(
        "&{" + identifier + "}", _NOT_ALNUM.sub("", item)
    )


def _replace(value: Any, identifier: str, item: str) -> Any:
    if isinstance(value, str):
        return _substitute(value, identifier, item)
    if isinstance(value, list):
        return [_replace(v, identifier, item) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] == identifier:
            return item
        return {
            _substitute(k, identifier, item): _replace(v, identifier, item)
            for k, v in value.items()
        }
    return value
