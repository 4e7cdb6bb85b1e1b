"""REST routing from the model: every operation's ``requestUri`` compiled into a segment trie.

``/2015-03-31/functions/{FunctionName}/invocations`` is four segments; ``{Key+}`` (greedy) takes
the rest of the path, slashes included. Literal query parts of the URI select among routes of
the same path (``?List=ALL``, S3's ``?uploads``: a key with no value must merely be present).
Routes sharing a path and method (S3's PutObject, UploadPart, CopyObject) are told apart by
their required query and header members. Literal segments beat labels, more literal query keys
beat fewer, deprecated operations lose ties.

A path that matches some route but not with this method is "not allowed" (405); a path that
matches none is "unknown" (404): the codec supplies both errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel

from ovis.errors import ApiError

RouteError = Callable[[str, str], ApiError]  # (method, raw path) -> the error to raise


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    segments: tuple[str, ...]  # literal segment, "{Label}" or "{Label+}"
    literal_query: tuple[tuple[str, str | None], ...]  # None: the key must be present
    required: tuple[tuple[str, str], ...]  # ("query" | "header", wire name) of required members
    deprecated: bool
    needs_query: bool  # literal query keys or required query members: decode the query

    @staticmethod
    def of(op: OperationModel) -> Route:
        uri, _, q = op.http["requestUri"].partition("?")
        literal: list[tuple[str, str | None]] = []
        for part in q.split("&"):
            if part:
                k, eq, v = part.partition("=")
                literal.append((unquote(k), unquote(v) if eq else None))
        required: list[tuple[str, str]] = []
        shape = op.input_shape
        if shape is not None:
            for name in shape.required_members:
                ser = shape.members[name].serialization
                loc = ser.get("location")
                if loc == "querystring":
                    required.append(("query", ser.get("name", name)))
                elif loc == "header":
                    required.append(("header", ser.get("name", name).lower()))
        segments = tuple(s for s in uri.split("/") if s)
        needs_query = bool(literal) or any(where == "query" for where, _ in required)
        return Route(
            op.name,
            op.http["method"],
            segments,
            tuple(literal),
            tuple(required),
            bool(op.deprecated),
            needs_query,
        )

    def rank(self) -> tuple[int, int, bool]:
        return -len(self.literal_query), -len(self.required), self.deprecated

    def accepts(self, query: Mapping[str, list[str]]) -> bool:
        for k, v in self.literal_query:
            got = query.get(k)
            if got is None or (v is not None and got[-1] != v):
                return False
        return True

    def satisfied(self, query: Mapping[str, list[str]], headers: Mapping[str, str]) -> bool:
        return all(
            (k in query) if where == "query" else (k in headers) for where, k in self.required
        )

    def binds(self, bound: Mapping[str, str]) -> bool:
        """Whether every label in ``bound`` is one of this route's."""
        names = {_label(s) for s in self.segments if s[0] == "{"}
        return all(k in names for k in bound)

    def labels(self, path: str, bound: Mapping[str, str] | None = None) -> dict[str, str] | None:
        """The label values of ``path`` under this route (labels in ``bound`` are not in the
        path: a virtual-hosted bucket), or None if the path does not fit."""
        segments = self.segments
        if bound:
            segments = tuple(s for s in segments if not (s[0] == "{" and _label(s) in bound))
        values = match_segments(segments, path)
        if values is None:
            return None
        labels = dict(bound) if bound else {}
        labels.update(zip((_label(s) for s in segments if s[0] == "{"), values, strict=True))
        return labels


def _label(segment: str) -> str:
    return segment[1:-1].rstrip("+")


def _unquote(part: str) -> str:
    return unquote(part) if "%" in part else part


def query_dict(query: str) -> dict[str, list[str]]:
    """A raw query string's parameters (blank values kept: ``?uploads``)."""
    return parse_qs(query, keep_blank_values=True) if query else {}


def match_segments(segments: tuple[str, ...], path: str) -> list[str] | None:
    """Decoded label values if ``path`` fits ``segments`` (empty path segments are ignored,
    except inside a greedy label's value)."""
    raw = path.split("/")
    idx = [i for i, p in enumerate(raw) if p]
    values: list[str] = []
    for n, seg in enumerate(segments):
        if seg[0] == "{" and seg.endswith("+}"):
            if n >= len(idx):
                return None
            rest = "/".join(raw[(idx[n - 1] + 1 if n else 1) :])
            values.append(_unquote(rest))
            return values
        if n >= len(idx):
            return None
        part = raw[idx[n]]
        if seg[0] == "{":
            values.append(_unquote(part))
        elif seg != part:
            return None
    return values if len(segments) == len(idx) else None


class _Node:
    """A trie node; filled while the router is built, never changed afterwards."""

    __slots__ = ("greedy", "label", "literals", "routes")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.label: _Node | None = None
        self.routes: list[Route] = []  # routes ending here
        self.greedy: list[Route] = []  # routes whose next segment is greedy


class Router:
    def __init__(
        self, ops: list[OperationModel], unknown: RouteError, not_allowed: RouteError
    ) -> None:
        self._unknown = unknown
        self._not_allowed = not_allowed
        routes = sorted((Route.of(op) for op in ops), key=Route.rank)
        self.by_operation: dict[str, Route] = {}
        self._root = _Node()
        for r in routes:
            self.by_operation.setdefault(r.operation, r)
            node = self._root
            for seg in r.segments:
                if seg[0] == "{" and seg.endswith("+}"):
                    node.greedy.append(r)
                    break
                if seg[0] == "{":
                    node.label = node.label or _Node()
                    node = node.label
                else:
                    node = node.literals.setdefault(seg, _Node())
            else:
                node.routes.append(r)
        self._routes = routes

    def match(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: Mapping[str, str],
        bound: Mapping[str, str] | None = None,
    ) -> Route:
        """The route ``method path?query_string`` calls; raises the codec's unknown or
        not-allowed error. The query string is decoded only if a candidate route needs it."""
        query: dict[str, list[str]] | None = None
        if bound:  # only routes addressing the bound labels (GET / on a bucket host: ListObjects)
            fits = [r for r in self._routes if r.binds(bound) and r.labels(path, bound) is not None]
            candidates: Iterator[list[Route]] = iter([fits])
        else:
            candidates = self._walk(self._root, [p for p in path.split("/") if p], 0)
        path_matched = False
        for routes in candidates:
            fallback: Route | None = None
            for r in routes:
                if query is None and r.needs_query:
                    query = query_dict(query_string)
                if r.literal_query and not r.accepts(query or {}):
                    continue
                path_matched = True
                if r.method != method:
                    continue
                if not r.required or r.satisfied(query or {}, headers):
                    return r
                fallback = fallback or r
            if fallback is not None:
                return fallback
        if path_matched:
            raise self._not_allowed(method, path)
        raise self._unknown(method, path)

    def _walk(self, node: _Node, parts: list[str], i: int) -> Iterator[list[Route]]:
        """Route lists whose path fits, most specific first."""
        if i == len(parts):
            if node.routes:
                yield node.routes
            return
        child = node.literals.get(parts[i])
        if child is not None:
            yield from self._walk(child, parts, i + 1)
        if node.label is not None:
            yield from self._walk(node.label, parts, i + 1)
        if node.greedy:
            yield node.greedy
