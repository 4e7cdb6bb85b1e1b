"""The server's message signer: the Signature and SigningCertURL of every notification.

PLACEHOLDER (documented): signatures are base64 HMAC-SHA256 of the canonical string under a
secret the server owns, not SHA1withRSA; SigningCertURL points at this server. A subscriber
that verifies signatures against an X.509 certificate will refuse them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class ServerSigner:
    def __init__(self, secret: bytes, base_url: str, version: str = "1") -> None:
        self._secret = secret
        self.version = version
        self.cert_url = f"{base_url}/SimpleNotificationService-ovis.pem"

    def sign(self, text: str) -> str:
        mac = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode()
