"""Codecs for every botocore protocol (rest-json, json, query, rest-xml), driven by the service
model: which operation a request calls, its validated input, the serialized output and errors
in the protocol's own format. ``base`` holds the interface the front door programs against."""

from ovis.protocols.registry import codec_for

__all__ = ["codec_for"]
