"""The console page's editor wiring over HTTP: the page's CSP names a nonce that is new at every
response and is the one on its script element (CodeMirror stamps its <style> with it), other
assets keep the nonce-less policy, and /console/static/codemirror.js is the bundle
`make node-runtimes` built (or, without it, a stub module that says the editor is missing)."""

from __future__ import annotations

import re
import urllib.request

from ovis.frontdoor.console.editor import bundle_path
from ovis.frontdoor.console.service import NO_EDITOR


def get(url: str) -> tuple[dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return {k.lower(): v for k, v in r.headers.items()}, r.read()


def test_page_nonce_is_fresh_and_matches_the_policy(server) -> None:  # type: ignore[no-untyped-def]
    nonces = []
    for _ in range(2):
        headers, body = get(server.url + "/console/")
        csp = headers["content-security-policy"]
        (nonce,) = re.findall(r"style-src 'self' 'nonce-([A-Za-z0-9_-]+)'", csp)
        assert (
            f'<script type="module" nonce="{nonce}" src="/console/static/app.js">' in body.decode()
        )
        assert "unsafe-inline" not in csp
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    headers, _ = get(server.url + "/console/static/app.js")
    assert "nonce-" not in headers["content-security-policy"]


def test_codemirror_bundle_is_served(server) -> None:  # type: ignore[no-untyped-def]
    headers, body = get(server.url + "/console/static/codemirror.js")
    assert headers["content-type"].startswith("text/javascript")
    built = bundle_path()
    assert body == (built.read_bytes() if built is not None else NO_EDITOR)
    if built is not None:
        assert b"Permission is hereby granted" in body[:4000]  # the MIT notices go with it
