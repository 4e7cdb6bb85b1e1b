"""XML documents against botocore shapes (query responses, rest-xml bodies).

Wire names follow the model's traits as botocore reads them: a member's ``locationName``; lists
wrapped (``<Tags><member>..</member></Tags>``, or the list member's own locationName) unless
``flattened`` (the items repeat in place, named after the list member's locationName if it has
one); maps as ``<entry><key/><value/></entry>`` (or flattened, and with the key's and value's
locationNames). ``QueryName`` overrides give a shape the flattened classic names a service's
JSON model no longer carries (SQS's ``Attribute.N.Name``).

Parsing uses expat directly and refuses any DOCTYPE (hence any entity declaration: expansion
bombs and external entities are impossible) and nesting deeper than ``MAX_DEPTH``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from botocore.model import Shape

from ovis.errors import ApiError, MalformedXML
from ovis.protocols import timestamps
from ovis.protocols.model import FLOATS, INTEGERS, shape_key, wire_name

MAX_DEPTH = 64
MALFORMED = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)


@dataclass(frozen=True)
class QueryName:
    """Classic query wire names of one shape (by botocore shape name): a list's items are
    ``<name>.N`` / ``<name>`` elements, a map's entries ``<name>.N.<key>`` / ``<name>.N.<value>``
    (flattened, in place of the member's own name)."""

    name: str
    key: str = "Name"
    value: str = "Value"


Names = Mapping[str, QueryName]


def escape(text: str) -> str:
    # Carriage returns would be normalized away by XML parsers: sent as a character reference.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#xD;")
    )


def parse(body: bytes) -> Element:
    """The root element of an XML document (namespaces dropped from tag names); any failure is
    MalformedXML."""
    builder = TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0

    def refuse(*_: Any) -> None:
        raise MalformedXML(MALFORMED)

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise MalformedXML(MALFORMED)
        builder.start(tag.rsplit(" ", 1)[-1], attrs)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(tag.rsplit(" ", 1)[-1])

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
        root = builder.close()
    except (expat.ExpatError, AssertionError, IndexError, ValueError):
        raise MalformedXML(MALFORMED) from None
    return root


# --- encoding: emit(value, tag, parts) appends <tag>...</tag> ---

Emit = Callable[[Any, str, list[str]], None]


def member_tag(member: Shape, name: str) -> str:
    """The element name under which a structure member appears (botocore's rule: a flattened
    list with a named member repeats under that name)."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item = member.member.serialization.get("name")
        if isinstance(item, str):
            return item
    return wire_name(member, name)


class XmlEncoders:
    def __init__(self, names: Names | None = None) -> None:
        self._names = names or {}
        self._done: dict[tuple[str, str], Emit] = {}
        self._pending: set[tuple[str, str]] = set()

    def members(self, shape: Shape) -> Callable[[dict[str, Any], list[str]], None]:
        """Appends the members of a structure value (without an enclosing element)."""
        plan: dict[str, tuple[str, Emit, bool]] = {}  # member -> (tag, emit, repeats in place)
        for name, m in shape.members.items():
            if m.serialization.get("xmlAttribute"):
                continue
            override = self._names.get(m.name)
            if override is not None and m.type_name in ("list", "map"):
                plan[name] = (override.name, self._classic(m, override), True)
                continue
            flat = m.type_name in ("list", "map") and bool(m.serialization.get("flattened"))
            plan[name] = (member_tag(m, name), self.compile(m), flat)

        def members(value: dict[str, Any], parts: list[str]) -> None:
            for k, v in value.items():
                p = plan.get(k)
                if p is not None and v is not None:
                    p[1](v, p[0], parts)

        return members

    def compile(self, shape: Shape) -> Emit:
        key = shape_key(shape)
        done = self._done
        if key in done:
            return done[key]
        if key in self._pending:
            return lambda v, t, p: done[key](v, t, p)
        self._pending.add(key)
        emit = self._build(shape)
        self._pending.discard(key)
        done[key] = emit
        return emit

    def _classic(self, shape: Shape, names: QueryName) -> Emit:
        if shape.type_name == "list":
            item = self.compile(shape.member)

            def items(value: Any, tag: str, parts: list[str]) -> None:
                for v in value:
                    item(v, tag, parts)

            return items
        return self._map(shape, names.key, names.value, flattened=True)

    def _map(self, shape: Shape, kname: str, vname: str, flattened: bool) -> Emit:
        kemit, vemit = self.compile(shape.key), self.compile(shape.value)

        def entries(value: Any, tag: str, parts: list[str]) -> None:
            if not flattened:
                parts.append(f"<{tag}>")
            for k, v in value.items():
                parts.append(f"<{tag}>" if flattened else "<entry>")
                kemit(k, kname, parts)
                vemit(v, vname, parts)
                parts.append(f"</{tag}>" if flattened else "</entry>")
            if not flattened:
                parts.append(f"</{tag}>")

        return entries

    def _build(self, shape: Shape) -> Emit:
        t = shape.type_name
        if t == "structure":
            members = self.members(shape)
            ns = shape.serialization.get("xmlNamespace")
            attr = ""
            if isinstance(ns, Mapping) and "uri" in ns:
                prefix = f":{ns['prefix']}" if ns.get("prefix") else ""
                attr = f' xmlns{prefix}="{escape(ns["uri"])}"'

            # members serialized as attributes of the element (S3's Grantee xsi:type)
            xml_attrs = {
                name: (wire_name(m, name), _text_formatter(m))
                for name, m in shape.members.items()
                if m.serialization.get("xmlAttribute")
            }

            def structure(value: Any, tag: str, parts: list[str]) -> None:
                extra = "".join(
                    f' {wire}="{fmt(value[name])}"'
                    for name, (wire, fmt) in xml_attrs.items()
                    if value.get(name) is not None
                )
                parts.append(f"<{tag}{attr}{extra}>")
                members(value, parts)
                parts.append(f"</{tag}>")

            return structure
        if t == "list":
            item = self.compile(shape.member)
            item_tag = shape.member.serialization.get("name") or "member"
            if shape.serialization.get("flattened"):

                def flat_items(value: Any, tag: str, parts: list[str]) -> None:
                    for v in value:
                        item(v, tag, parts)

                return flat_items

            def items(value: Any, tag: str, parts: list[str]) -> None:
                parts.append(f"<{tag}>")
                for v in value:
                    item(v, item_tag, parts)
                parts.append(f"</{tag}>")

            return items
        if t == "map":
            return self._map(
                shape,
                shape.key.serialization.get("name") or "key",
                shape.value.serialization.get("name") or "value",
                bool(shape.serialization.get("flattened")),
            )
        text = _text_formatter(shape)

        def scalar(value: Any, tag: str, parts: list[str]) -> None:
            parts.append(f"<{tag}>{text(value)}</{tag}>")

        return scalar


def _text_formatter(shape: Shape) -> Callable[[Any], str]:
    t = shape.type_name
    if t == "boolean":
        return lambda v: "true" if v else "false"
    if t == "blob":
        return lambda v: base64.b64encode(v.encode() if isinstance(v, str) else v).decode()
    if t == "timestamp":
        fmt = timestamps.formatter(shape.serialization.get("timestampFormat"), "iso8601")
        return lambda v: escape(str(fmt(v)))
    return lambda v: escape(str(v))


# --- decoding: read(element) -> value ---

Read = Callable[[Element], Any]


class XmlDecoders:
    """Element -> Python value of a shape. A text that is not of the member's type raises
    ``error(message)``."""

    def __init__(self, error: type[ApiError] = MalformedXML) -> None:
        self._error = error
        self._done: dict[tuple[str, str], Read] = {}
        self._pending: set[tuple[str, str]] = set()

    def compile(self, shape: Shape) -> Read:
        key = shape_key(shape)
        done = self._done
        if key in done:
            return done[key]
        if key in self._pending:
            return lambda e: done[key](e)
        self._pending.add(key)
        read = self._build(shape)
        self._pending.discard(key)
        done[key] = read
        return read

    def _build(self, shape: Shape) -> Read:
        t = shape.type_name
        if t == "structure":
            plan = []
            for name, m in shape.members.items():
                flat = m.type_name in ("list", "map") and bool(m.serialization.get("flattened"))
                plan.append((name, member_tag(m, name), self.compile(m), flat))

            def structure(elem: Element) -> Any:
                out: dict[str, Any] = {}
                for name, tag, read, flat in plan:
                    found = elem.findall(tag)
                    if not found:
                        continue
                    if flat:  # the items repeat in the parent: read them as one wrapper
                        wrapper = Element(tag)
                        wrapper.extend(found)
                        out[name] = read(wrapper)
                    else:
                        out[name] = read(found[-1])
                return out

            return structure
        if t == "list":
            item = self.compile(shape.member)
            # flattened: the parent gathered the repeated elements into a wrapper
            return lambda e: [item(x) for x in e]
        if t == "map":
            kname = shape.key.serialization.get("name") or "key"
            vname = shape.value.serialization.get("name") or "value"
            kread, vread = self.compile(shape.key), self.compile(shape.value)

            def entries(elem: Element) -> Any:
                out = {}
                for entry in elem:
                    k, v = entry.find(kname), entry.find(vname)
                    if k is not None and v is not None:
                        out[kread(k)] = vread(v)
                return out

            return entries
        return self._scalar(t)

    def _scalar(self, t: str) -> Read:
        error = self._error

        def scalar(elem: Element) -> Any:
            text = elem.text or ""
            try:
                if t in INTEGERS:
                    return int(text)
                if t in FLOATS:
                    return float(text)
                if t == "boolean":
                    if text not in ("true", "false"):
                        raise ValueError(text)
                    return text == "true"
                if t == "blob":
                    return base64.b64decode(text, validate=True)
            except (ValueError, binascii.Error):
                raise error(MALFORMED) from None
            return text

        return scalar
