"""The server's message signer: real SNS signatures and the certificate they verify against.

Every notification and subscription confirmation carries ``Signature``: the base64 RSA
PKCS#1 v1.5 signature of its canonical string (envelope.canonical) with SHA1
(SignatureVersion 1, the default) or SHA256 (SignatureVersion 2, a topic attribute), as AWS
signs. ``SigningCertURL`` names ``/SimpleNotificationService-ovis.pem`` on this server, which
serves the self-signed X.509 certificate of the key (endpoint.py), so subscribers verify
messages exactly as they verify AWS's (the AWS SDKs' message validators, ``openssl dgst``).

The RSA key (KEY_BITS) is made once per data directory, on first use (pure Python:
Miller-Rabin primes, no crypto library needed) and kept in ``sns-signing-key.json`` (mode
0600) next to the certificate; both are written atomically, so a crash never leaves half a
key. Signatures of the same text are cached (a fan-out to many subscribers signs once).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

# 1024 bits: a signature costs about a millisecond of pure-Python CPU on the event loop (2048
# bits cost eight times that, which capped fan-out); verifiers accept either size.
KEY_BITS = 1024
KEY_FILE = "sns-signing-key.json"
CERT_FILE = "sns-signing-cert.pem"
CERT_NAME = "SimpleNotificationService-ovis.pem"  # served at the server's root
_DIGEST_INFO = {
    "1": (hashlib.sha1, bytes.fromhex("3021300906052b0e03021a05000414")),
    "2": (hashlib.sha256, bytes.fromhex("3031300d060960864801650304020105000420")),
}
_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


class RsaKey:
    def __init__(self, n: int, e: int, d: int, p: int, q: int) -> None:
        self.n, self.e, self.d, self.p, self.q = n, e, d, p, q
        self._dp, self._dq = d % (p - 1), d % (q - 1)
        self._qinv = pow(q, -1, p)
        self.size = (n.bit_length() + 7) // 8

    @staticmethod
    def generate(bits: int = KEY_BITS, e: int = 65537) -> RsaKey:
        while True:
            p, q = _prime(bits // 2), _prime(bits // 2)
            if p == q:
                continue
            phi = (p - 1) * (q - 1)
            try:
                d = pow(e, -1, phi)
            except ValueError:
                continue
            n = p * q
            if n.bit_length() == bits:
                return RsaKey(n, e, d, p, q)

    def sign(self, data: bytes, version: str = "1") -> bytes:
        """PKCS#1 v1.5 signature of ``data`` (SHA1 for version 1, SHA256 for version 2)."""
        hash_fn, prefix = _DIGEST_INFO[version]
        t = prefix + hash_fn(data).digest()
        em = b"\x00\x01" + b"\xff" * (self.size - len(t) - 3) + b"\x00" + t
        m = int.from_bytes(em, "big")
        # CRT: four times faster than pow(m, d, n)
        m1, m2 = pow(m, self._dp, self.p), pow(m, self._dq, self.q)
        h = (self._qinv * (m1 - m2)) % self.p
        return (m2 + h * self.q).to_bytes(self.size, "big")

    def to_json(self) -> str:
        return json.dumps({"n": self.n, "e": self.e, "d": self.d, "p": self.p, "q": self.q})

    @staticmethod
    def from_json(text: str) -> RsaKey:
        doc = json.loads(text)
        return RsaKey(doc["n"], doc["e"], doc["d"], doc["p"], doc["q"])


def verify(n: int, e: int, data: bytes, signature: bytes, version: str = "1") -> bool:
    """Whether ``signature`` is a valid PKCS#1 v1.5 signature of ``data`` under (n, e)."""
    size = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(size, "big")
    hash_fn, prefix = _DIGEST_INFO[version]
    t = prefix + hash_fn(data).digest()
    return em == b"\x00\x01" + b"\xff" * (size - len(t) - 3) + b"\x00" + t


def _probably_prime(n: int, rounds: int = 40) -> bool:
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _probably_prime(candidate):
            return candidate


# ---- a minimal DER encoder: just what a self-signed X.509 v1 certificate needs


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _int(v: int) -> bytes:
    raw = v.to_bytes(v.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    return _der(0x02, raw)


def _seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def _oid(dotted: str) -> bytes:
    nums = [int(x) for x in dotted.split(".")]
    out = bytes([40 * nums[0] + nums[1]])
    for v in nums[2:]:
        chunk = [v & 0x7F]
        v >>= 7
        while v:
            chunk.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(chunk))
    return _der(0x06, out)


def _time(t: datetime) -> bytes:
    return _der(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())  # GeneralizedTime


def certificate_der(key: RsaKey, common_name: str, days: int = 3650) -> bytes:
    """A self-signed X.509 (v1) certificate of ``key``, signed with SHA256."""
    sha256_rsa = _seq(_oid("1.2.840.113549.1.1.11"), _der(0x05, b""))
    name = _seq(_der(0x31, _seq(_oid("2.5.4.3"), _der(0x0C, common_name.encode()))))
    now = datetime.now(UTC).replace(microsecond=0)
    public_key = _seq(_int(key.n), _int(key.e))
    spki = _seq(
        _seq(_oid("1.2.840.113549.1.1.1"), _der(0x05, b"")), _der(0x03, b"\x00" + public_key)
    )
    tbs = _seq(
        _int(secrets.randbits(63) + 1),
        sha256_rsa,
        name,
        _seq(_time(now - timedelta(days=1)), _time(now + timedelta(days=days))),
        name,
        spki,
    )
    signature = key.sign(tbs, "2")
    return _seq(tbs, sha256_rsa, _der(0x03, b"\x00" + signature))


def pem(der: bytes) -> bytes:
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (
        "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    ).encode()


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class ServerSigner:
    """Signs with the data directory's key; ``cert_url`` serves its certificate. The key is
    loaded (or made: a fraction of a second of CPU) on first use, in ``prepare()``: servers
    that never deliver a notification never pay for it. Thread-safe."""

    def __init__(self, data_dir: Path, base_url: str) -> None:
        self._dir = data_dir
        self.cert_url = f"{base_url}/{CERT_NAME}"
        self._lock = threading.Lock()
        self._key: RsaKey | None = None
        self._cert = b""
        self._sign = lru_cache(maxsize=4096)(self._sign_uncached)

    def prepare(self) -> None:
        """Load or make the key and certificate (idempotent; call it off the event loop)."""
        with self._lock:
            if self._key is not None:
                return
            key_path, cert_path = self._dir / KEY_FILE, self._dir / CERT_FILE
            if key_path.exists() and cert_path.exists():
                key, cert = RsaKey.from_json(key_path.read_text()), cert_path.read_bytes()
            else:
                key = RsaKey.generate()
                cert = pem(certificate_der(key, "sns.ovis.localhost"))
                _write_atomic(key_path, key.to_json().encode(), 0o600)
                _write_atomic(cert_path, cert, 0o644)
            self._cert = cert
            self._key = key

    def certificate_pem(self) -> bytes:
        self.prepare()
        return self._cert

    def sign(self, text: str, version: str = "1") -> str:
        return self._sign(text, version)

    def _sign_uncached(self, text: str, version: str) -> str:
        self.prepare()
        assert self._key is not None
        return base64.b64encode(self._key.sign(text.encode(), version)).decode()
