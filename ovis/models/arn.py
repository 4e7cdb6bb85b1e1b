"""Lambda function names and ARNs, in every form the API accepts.

A FunctionName parameter may be a bare name (``my-fn``), a name with qualifier (``my-fn:3``,
``my-fn:prod``), a partial ARN (``000000000000:function:my-fn[:q]``) or a full ARN
(``arn:aws:lambda:us-east-1:000000000000:function:my-fn[:q]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_RE = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
QUALIFIER_RE = re.compile(r"^(\$LATEST|[a-zA-Z0-9-_]{1,128})$")
_FULL = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d{1}):"
    r"(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$"
)
_PARTIAL = re.compile(
    r"^(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$"
)


class ArnError(ValueError):
    """The text is not a function name or ARN of any accepted form."""


@dataclass(frozen=True)
class FunctionRef:
    name: str
    qualifier: str | None = None
    account: str | None = None
    region: str | None = None


def parse_function_ref(text: str) -> FunctionRef:
    """Parse any accepted FunctionName form; raises ArnError if it is none of them."""
    if text.startswith("arn:"):
        m = _FULL.match(text)
        if not m:
            raise ArnError(text)
        ref = FunctionRef(m["name"], m["qualifier"], m["account"], m["region"])
    elif ":function:" in text:
        m = _PARTIAL.match(text)
        if not m:
            raise ArnError(text)
        ref = FunctionRef(m["name"], m["qualifier"], m["account"])
    else:
        name, colon, qualifier = text.partition(":")
        if colon and not qualifier:  # "my-fn:" names no qualifier and is not "my-fn" either
            raise ArnError(text)
        ref = FunctionRef(name, qualifier or None)
    if not NAME_RE.match(ref.name) or len(ref.name) > 64:
        raise ArnError(text)
    if ref.qualifier is not None and not QUALIFIER_RE.match(ref.qualifier):
        raise ArnError(text)
    return ref


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def layer_arn(region: str, account: str, name: str, version: int | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:layer:{name}"
    return f"{arn}:{version}" if version is not None else arn
