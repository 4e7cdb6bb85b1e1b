"""Virtual-hosted-style addressing: which bucket a Host header names.

``<bucket>.s3.localhost[:port]``, ``<bucket>.localhost[:port]`` and
``<bucket>.s3.<region>.localhost`` name a bucket (the path is then the key); ``localhost``,
``s3.localhost``, IP addresses and any other host are path-style (``/<bucket>/<key>``).
Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping


def host_labels(host: str) -> Mapping[str, str] | None:
    """``{"Bucket": name}`` for a virtual-hosted request, None for path-style."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower()
    if not name.endswith(".localhost"):
        return None
    stem = name[: -len(".localhost")]
    for suffix in (".s3",):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        # <bucket>.s3.<region>.localhost
        parts = stem.rsplit(".s3.", 1)
        if len(parts) == 2 and parts[1] and "." not in parts[1]:
            stem = parts[0]
    if not stem or stem == "s3":
        return None
    return {"Bucket": stem}
