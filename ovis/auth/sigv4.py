"""AWS Signature Version 4 verification of incoming requests.

``SigV4Verifier.verify`` takes a request exactly as it arrived (method, raw percent-encoded path,
raw query string, ASGI header pairs, body) and either returns the caller's :class:`Identity` or
raises an :class:`~ovis.errors.AuthError` subclass worded like AWS's front door:

* no ``Authorization`` header and no presigned query -> ``MissingAuthenticationTokenException``;
* malformed header or query parameters, missing or unparsable date ->
  ``IncompleteSignatureException``;
* unknown access key, or a temporary key whose ``X-Amz-Security-Token`` is missing or not its
  session token -> ``UnrecognizedClientException`` (``InvalidClientTokenId`` for STS and IAM,
  as those query services word it);
* a temporary key past its expiry -> ``ExpiredTokenException`` (``ExpiredToken`` for STS/IAM);
* date outside ``max_skew_s`` of the clock (or a presigned URL past ``X-Amz-Expires``), ``host``
  not signed, bad credential scope terminator or date, a ``x-amz-content-sha256`` that is not the
  body's hash, or a signature mismatch -> ``InvalidSignatureException``.

Both the ``Authorization`` header form and the presigned-URL query form are accepted. The
canonical request is the one botocore builds: for every service but S3 the path is encoded a
second time; for S3 (credential scope service ``s3``) it is signed as sent, a presigned URL's
payload is ``UNSIGNED-PAYLOAD``, and the ``STREAMING-*`` payload tokens of aws-chunked bodies are
accepted. ``verify_stream`` verifies a request whose body has not been read yet: it returns a
``SignedPayload`` with which the body's reader checks the claimed hash, or each chunk's
signature, once the bytes arrive.

The credential scope is checked against a ``ScopeRule`` when one is given: it names, from the
request's own shape, the service (signing name) and regions the scope must say, and how the
service words a bad signature (``style``: ``json`` -> ``InvalidSignatureException``, ``query``
and ``s3`` -> ``SignatureDoesNotMatch``; unknown keys are ``InvalidClientTokenId`` for query
services and ``InvalidAccessKeyId`` for S3). A scope naming another region is refused with
"Credential should be scoped to a valid region.", another service with "Credential should be
scoped to correct service: '<name>'.". Without a rule (or when it answers None), region and
service are only returned in the identity for the caller to judge. A presigned URL's
``X-Amz-Expires`` must be 1..604800 seconds.

A session token must name a live session of the access key: a temporary key without its token
or with another, and a long-term key sent with any token at all, are an unrecognized client.

Credentials come from a ``CredentialLookup`` (access key -> ``SigningCredential``: the secret,
and for temporary credentials their session token and expiry); a plain mapping of access key to
secret is accepted too (static keys only). Static keys ignore any session token sent with them.

Thread-safety: an instance may be shared by threads and tasks. Its only mutable state is the
derived-key cache, a dict whose single get/set operations are atomic; a race costs at most one
recomputed key. ``credentials`` is asked on every call, so a caller may update it in place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import quote_from_bytes, unquote_to_bytes

from ovis.errors import (
    AuthError,
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidClientTokenId,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    QueryExpiredToken,
    UnrecognizedClientException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
_TERMINATOR = "aws4_request"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# The x-amz-content-sha256 values of S3's aws-chunked bodies (checked chunk by chunk).
STREAMING_PAYLOADS = frozenset(
    {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }
)
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# The query parameters S3's legacy (SigV2) signatures cover, as botocore's HmacV1Auth lists them.
_V2_SUBRESOURCES = frozenset(
    (
        "accelerate",
        "acl",
        "cors",
        "defaultObjectAcl",
        "location",
        "logging",
        "partNumber",
        "policy",
        "requestPayment",
        "torrent",
        "versioning",
        "versionId",
        "versions",
        "website",
        "uploads",
        "uploadId",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "delete",
        "lifecycle",
        "tagging",
        "restore",
        "storageClass",
        "notification",
        "replication",
        "analytics",
        "metrics",
        "inventory",
        "select",
        "select-type",
        "object-lock",
    )
)
_MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
_KEY_CACHE_MAX = 256  # (secret, day, region, service) tuples; a handful in practice
_HEX = frozenset("0123456789abcdef")
_PATH_PLAIN = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/%"

_MSG_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_MSG_REGION = "Credential should be scoped to a valid region. "
_MSG_S3_KEY = "The AWS Access Key Id you provided does not exist in our records."
_MSG_SKEWED = "The difference between the request time and the current time is too large."
_MSG_BAD_KEY = "The security token included in the request is invalid."
_MSG_EXPIRED = "The security token included in the request is expired"
# Query-protocol services that word credential errors their own way.
_QUERY_SIGNING_NAMES = frozenset({"sts", "iam"})
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)


class SignatureDoesNotMatch(InvalidSignatureException):
    """How query-protocol services and S3 word ``InvalidSignatureException``."""

    code = "SignatureDoesNotMatch"


class InvalidAccessKeyId(UnrecognizedClientException):
    """How S3 words ``UnrecognizedClientException``."""

    code = "InvalidAccessKeyId"


class _Worded(AuthError):
    """An auth error in a query service's or S3's words (its code set per instance)."""


class RequestTimeTooSkewed(InvalidSignatureException):
    """How S3 words a request signed outside the clock skew window."""

    code = "RequestTimeTooSkewed"


class S3AccessDenied(InvalidSignatureException):
    """How S3 words an expired presigned URL."""

    code = "AccessDenied"


@dataclass(frozen=True, slots=True)
class ExpectedScope:
    """What the credential scope of one request must say (a ``ScopeRule``'s answer)."""

    service: str  # the signing name of the service the request routes to
    regions: frozenset[str]  # the regions its endpoint accepts
    style: str = "json"  # how its errors are worded: "json", "query" or "s3"


class ScopeRule(Protocol):
    def expect(
        self,
        method: str,
        raw_path: bytes,
        params: Mapping[str, str],
        headers: Mapping[bytes, bytes],
        body: bytes | None,
    ) -> ExpectedScope | None:
        """The scope the request must be signed with; None: the rule cannot tell (unchecked)."""
        ...


class FixedScope:
    """A ``ScopeRule`` for an endpoint that serves one service (function URLs, operator API)."""

    __slots__ = ("_scope",)

    def __init__(self, service: str, region: str, style: str = "json") -> None:
        self._scope = ExpectedScope(service, frozenset({region}), style)

    def expect(
        self,
        method: str,
        raw_path: bytes,
        params: Mapping[str, str],
        headers: Mapping[bytes, bytes],
        body: bytes | None,
    ) -> ExpectedScope | None:
        return self._scope


@dataclass(frozen=True, slots=True)
class Identity:
    access_key: str
    region: str
    service: str


@dataclass(frozen=True, slots=True)
class SigningCredential:
    """What verifying a request signed with one access key needs."""

    secret: str
    session_token: str | None = None  # temporary credentials: X-Amz-Security-Token must match
    expires_s: float | None = None  # temporary credentials: refused from then on


class CredentialLookup(Protocol):
    def lookup(self, access_key: str) -> SigningCredential | None: ...


class _StaticLookup:
    """A mapping access key -> secret as a lookup (read on every call, never copied)."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._secrets = secrets

    def lookup(self, access_key: str) -> SigningCredential | None:
        secret = self._secrets.get(access_key)
        return SigningCredential(secret) if secret is not None else None


@dataclass(frozen=True, slots=True)
class SignedPayload:
    """What a request's signature says about a body not read yet (``verify_stream``).

    ``claimed`` is the x-amz-content-sha256 value as signed: a hex SHA-256 the body must have,
    ``UNSIGNED-PAYLOAD``, or one of ``STREAMING_PAYLOADS``. For signed aws-chunked bodies the
    reader chains ``chunk_signature`` from ``seed`` (the request's own signature)."""

    claimed: str
    key: bytes
    stamp: str
    scope: str  # day/region/service/aws4_request
    seed: str

    def chunk_signature(self, previous: str, chunk_sha256: str) -> str:
        sts = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{self.stamp}\n{self.scope}\n{previous}\n"
            f"{_EMPTY_SHA256}\n{chunk_sha256}"
        )
        return hmac.new(self.key, sts.encode(), hashlib.sha256).hexdigest()

    def trailer_signature(self, previous: str, trailer: bytes) -> str:
        digest = hashlib.sha256(trailer).hexdigest()
        sts = f"AWS4-HMAC-SHA256-TRAILER\n{self.stamp}\n{self.scope}\n{previous}\n{digest}"
        return hmac.new(self.key, sts.encode(), hashlib.sha256).hexdigest()


class SigV4Verifier:
    __slots__ = ("_clock", "_credentials", "_keys", "_max_skew", "_scopes", "_skew_text")

    def __init__(
        self,
        credentials: Mapping[str, str] | CredentialLookup,
        max_skew_s: int = 300,
        clock: Callable[[], float] = time.time,
        scopes: ScopeRule | None = None,
    ) -> None:
        self._scopes = scopes
        self._credentials: CredentialLookup = (
            _StaticLookup(credentials) if isinstance(credentials, Mapping) else credentials
        )
        self._max_skew = max_skew_s
        self._clock = clock
        self._keys: dict[tuple[str, str, str, str], bytes] = {}
        self._skew_text = (
            f"{max_skew_s // 60} min." if max_skew_s % 60 == 0 else f"{max_skew_s} sec."
        )

    def verify(
        self,
        method: str,
        raw_path: bytes,
        query_string: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> Identity:
        return self._verify(method, raw_path, query_string, headers, body)[0]

    def verify_stream(
        self,
        method: str,
        raw_path: bytes,
        query_string: bytes,
        headers: Sequence[tuple[bytes, bytes]],
    ) -> tuple[Identity, SignedPayload]:
        """``verify`` for a request whose body is still to be read: the signature is checked
        against the payload hash the client claims; the caller checks the body against the
        returned ``SignedPayload`` as it reads it (and must refuse the request if it fails)."""
        ident, payload = self._verify(method, raw_path, query_string, headers, None)
        assert payload is not None
        return ident, payload

    def _verify(
        self,
        method: str,
        raw_path: bytes,
        query_string: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes | None,
    ) -> tuple[Identity, SignedPayload | None]:
        hmap = dict(headers)
        if len(hmap) != len(headers):
            hmap = _merge_repeated(headers)
        pairs, raw_pairs, params = _parse_query(query_string) if query_string else ([], [], {})
        auth = hmap.get(b"authorization")
        presigned = any(p in params for p in _PRESIGN_PARAMS[:3])
        if auth is not None and presigned:
            raise InvalidSignatureException(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
                "header."
            )
        expected = (
            self._scopes.expect(method, raw_path, params, hmap, body) if self._scopes else None
        )
        style = expected.style if expected is not None else ""
        try:
            if auth is not None:
                credential, signed_headers, signature, stamp = self._from_header(auth, hmap, style)
            elif presigned:
                credential, signed_headers, signature, stamp = self._from_query(params, style)
                # The signature cannot sign itself; every other query parameter is covered.
                pairs = [p for p in pairs if p[0] != "X-Amz-Signature"]
                raw_pairs = [p for p in raw_pairs if p[0] != "X-Amz-Signature"]
            elif "AWSAccessKeyId" in params and "Signature" in params:
                return self._verify_s3_query_v2(method, raw_path, raw_pairs, params, hmap, style)
            else:
                raise MissingAuthenticationTokenException("Missing Authentication Token")

            scope = credential.split("/")
            if len(scope) != 5:
                raise IncompleteSignatureException(
                    "Credential must have exactly 5 slash-delimited elements, e.g. "
                    f"keyid/date/region/service/term, got '{credential}'"
                )
            access_key, day, region, service, terminator = scope
            problems = []
            if terminator != _TERMINATOR:
                problems.append(
                    f"Credential should be scoped with a valid terminator: 'aws4_request', "
                    f"not '{terminator}'."
                )
            if day != stamp[:8]:
                problems.append(
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                    f"date from HTTP: '{day}' != '{stamp[:8]}', from '{stamp}'."
                )
            if problems:
                raise _bad_signature(style, " ".join(problems))
            if expected is not None:
                if region not in expected.regions:
                    raise _bad_signature(style, _MSG_REGION)
                if service != expected.service:
                    raise _bad_signature(
                        style,
                        f"Credential should be scoped to correct service: '{expected.service}'. ",
                    )
            names = signed_headers.lower().split(";")
            if "host" not in names:
                raise InvalidSignatureException(
                    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
                )
            secret = self._secret(access_key, service, hmap, params, style)

            # Header values travel as latin-1 but botocore signs them as UTF-8 text, so decode as
            # latin-1 here and let the final encode produce the bytes botocore hashed.
            canonical_headers = "".join(
                f"{n}:{' '.join(hmap.get(n.encode('latin-1'), b'').decode('latin-1').split())}\n"
                for n in names
            )
            s3 = service == "s3"
            path = _s3_canonical_path(raw_path) if s3 else _canonical_path(raw_path)
            head = f"{method.upper()}\n{path}\n"
            if s3:
                payload_hash = _s3_payload_hash(hmap, body, presigned)
            elif body is None:
                raise InvalidSignatureException("A streamed body is only accepted by S3.")
            else:
                payload_hash = _payload_hash(hmap, body)
            tail = f"\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
            key = self._signing_key(secret, day, region, service)
            scope_text = f"{day}/{region}/{service}/{_TERMINATOR}"
            sts_head = f"{ALGORITHM}\n{stamp}\n{scope_text}\n"
            if signature.isascii():
                signed = SignedPayload(payload_hash, key, stamp, scope_text, signature)
                query = _join(pairs)
                if _signs(key, sts_head, head + query + tail, signature):
                    return Identity(access_key, region, service), signed
                # botocore signs a query string that is already in the URL verbatim rather than
                # re-encoding it, so a hand-built URL ("%7e", "*", "+") only verifies in wire form.
                raw_query = _join(raw_pairs)
                if raw_query != query and _signs(key, sts_head, head + raw_query + tail, signature):
                    return Identity(access_key, region, service), signed
            raise _bad_signature(style, _MSG_BAD_SIGNATURE)
        except (IncompleteSignatureException, MissingAuthenticationTokenException) as e:
            if style == "query":  # query services drop the suffix: IncompleteSignature
                code = e.code.removesuffix("Exception")
            elif style == "s3" and isinstance(e, IncompleteSignatureException):
                code = (
                    "AuthorizationQueryParametersError"
                    if presigned
                    else ("AuthorizationHeaderMalformed")
                )
            else:
                raise
            worded: AuthError = _Worded(e.message)
            worded.code, worded.status = code, e.status
            raise worded from None

    def _secret(
        self,
        access_key: str,
        service: str,
        hmap: Mapping[bytes, bytes],
        params: Mapping[str, str],
        style: str = "",
    ) -> str:
        """The secret of ``access_key``; a temporary key must come with its session token (a
        header, or a presigned URL's parameter) and be used before it expires; a long-term key
        must come with no token (a token that names no session of the key is a forgery)."""
        found = self._credentials.lookup(access_key)
        if found is None:
            raise _unrecognized(service, style)
        raw = hmap.get(b"x-amz-security-token")
        token = raw.decode("latin-1") if raw is not None else params.get("X-Amz-Security-Token")
        if found.session_token is None:
            if token is not None:
                raise _unrecognized(service, style, token=True)
        else:
            if token is None or not hmac.compare_digest(
                token.encode("utf-8", "replace"), found.session_token.encode("utf-8")
            ):
                raise _unrecognized(service, style, token=True)
            if found.expires_s is not None and self._clock() >= found.expires_s:
                err: AuthError = (
                    QueryExpiredToken(_MSG_EXPIRED)
                    if service in _QUERY_SIGNING_NAMES
                    else ExpiredTokenException(_MSG_EXPIRED)
                )
                raise err
        return found.secret

    def _verify_s3_query_v2(
        self,
        method: str,
        raw_path: bytes,
        raw_pairs: list[tuple[str, str]],
        params: Mapping[str, str],
        hmap: Mapping[bytes, bytes],
        style: str = "",
    ) -> tuple[Identity, SignedPayload]:
        """An S3 presigned URL in the legacy query form (``AWSAccessKeyId``, ``Expires``,
        ``Signature``: HMAC-SHA1), which boto3's ``generate_presigned_url`` still makes for S3
        unless told ``signature_version="s3v4"``. Path-style only; the payload is unsigned."""
        access_key = params["AWSAccessKeyId"]
        expires = params.get("Expires", "")
        if not (expires.isascii() and expires.isdigit()):
            raise IncompleteSignatureException(
                "Expires must be a number of seconds since the epoch"
            )
        if int(expires) < self._clock():
            message = f"Request has expired (Expires: {expires})"
            raise S3AccessDenied(message) if style == "s3" else InvalidSignatureException(message)
        secret = self._secret(access_key, "s3", hmap, params, style)
        amz = sorted(
            (k.decode("latin-1"), v.decode("latin-1").strip())
            for k, v in hmap.items()
            if k.startswith(b"x-amz-")
        )
        sub = sorted(
            (k, unquote_to_bytes(v).decode("utf-8", "replace"))
            for k, v in raw_pairs
            if k in _V2_SUBRESOURCES
        )
        resource = raw_path.decode("latin-1") or "/"
        if sub:
            resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in sub)
        lines = [
            method.upper(),
            hmap.get(b"content-md5", b"").decode("latin-1").strip(),
            hmap.get(b"content-type", b"").decode("latin-1").strip(),
            expires,
            *(f"{k}:{v}" for k, v in amz),
            resource,
        ]
        digest = hmac.digest(secret.encode(), "\n".join(lines).encode("utf-8"), "sha1")
        if not hmac.compare_digest(base64.b64encode(digest).decode(), params["Signature"]):
            raise _bad_signature(style, _MSG_BAD_SIGNATURE)
        unsigned = SignedPayload(_UNSIGNED_PAYLOAD, b"", "", "", "")
        return Identity(access_key, "us-east-1", "s3"), unsigned

    def _from_header(
        self, raw: bytes, hmap: Mapping[bytes, bytes], style: str = ""
    ) -> tuple[str, str, str, str]:
        auth = raw.decode("latin-1").strip()
        algorithm, _, rest = auth.partition(" ")
        if algorithm != ALGORITHM and algorithm.startswith("AWS4-"):
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
            )
        fields: dict[str, str] = {}
        if algorithm == ALGORITHM:
            for part in rest.replace(",", " ").split():
                name, eq, value = part.partition("=")
                if not eq:
                    raise IncompleteSignatureException(
                        f"'{name}' not a valid key=value pair (missing equal-sign) in "
                        f"Authorization header: '{auth}'."
                    )
                fields[name] = value
        # Anything that is not SigV4 at all (a bearer token, SigV2) gets the same answer AWS gives:
        # every required part is reported missing.
        missing = [
            f"Authorization header requires '{p}' parameter."
            for p in ("Credential", "Signature", "SignedHeaders")
            if not fields.get(p)
        ]
        amz_date = hmap.get(b"x-amz-date")
        http_date = hmap.get(b"date")
        if amz_date is None and http_date is None:
            missing.append(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header."
            )
        if missing:
            raise IncompleteSignatureException(" ".join([*missing, f"Authorization={auth}"]))
        if amz_date is not None:
            stamp = amz_date.decode("latin-1")
            when = _parse_stamp(stamp)
        else:
            assert http_date is not None
            stamp, when = _parse_http_date(http_date.decode("latin-1"))
        self._check_clock(stamp, when, None, style)
        return fields["Credential"], fields["SignedHeaders"], fields["Signature"], stamp

    def _from_query(self, params: Mapping[str, str], style: str = "") -> tuple[str, str, str, str]:
        missing = [
            f"AWS query-string parameters must include '{p}'."
            for p in _PRESIGN_PARAMS
            if not params.get(p)
        ]
        if missing:
            raise IncompleteSignatureException(
                " ".join([*missing, "Re-examine the query-string parameters."])
            )
        algorithm = params["X-Amz-Algorithm"]
        if algorithm != ALGORITHM:
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
            )
        expires: int | None = None
        raw_expires = params.get("X-Amz-Expires")
        if raw_expires is not None:
            if not (raw_expires.isascii() and raw_expires.isdigit()):
                raise IncompleteSignatureException("X-Amz-Expires must be non-negative")
            expires = int(raw_expires)
            if expires < 1:
                raise IncompleteSignatureException("X-Amz-Expires must be greater than 0")
            if expires > _MAX_PRESIGN_EXPIRES:
                raise IncompleteSignatureException(
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800"
                )
        stamp = params["X-Amz-Date"]
        self._check_clock(stamp, _parse_stamp(stamp), expires, style)
        return (
            params["X-Amz-Credential"],
            params["X-Amz-SignedHeaders"],
            params["X-Amz-Signature"],
            stamp,
        )

    def _check_clock(self, stamp: str, when: float, expires: int | None, style: str = "") -> None:
        now = self._clock()
        # A presigned URL is good for its own lifetime; a signed request for the skew window.
        past = self._max_skew if expires is None else expires
        if when < now - past:
            if style == "s3":
                raise (
                    S3AccessDenied("Request has expired")
                    if expires is not None
                    else RequestTimeTooSkewed(_MSG_SKEWED)
                )
            span = self._skew_text if expires is None else f"{expires} sec."
            raise _bad_signature(
                style,
                f"Signature expired: {stamp} is now earlier than {_fmt(now - past)} "
                f"({_fmt(now)} - {span})",
            )
        if when > now + self._max_skew:
            if style == "s3":
                raise RequestTimeTooSkewed(_MSG_SKEWED)
            raise _bad_signature(
                style,
                f"Signature not yet current: {stamp} is still later than "
                f"{_fmt(now + self._max_skew)} ({_fmt(now)} + {self._skew_text})",
            )

    def _signing_key(self, secret: str, day: str, region: str, service: str) -> bytes:
        cache_key = (secret, day, region, service)
        key = self._keys.get(cache_key)
        if key is None:
            key = ("AWS4" + secret).encode("utf-8")
            for part in (day, region, service, _TERMINATOR):
                key = hmac.digest(key, part.encode("utf-8"), "sha256")
            if len(self._keys) >= _KEY_CACHE_MAX:
                self._keys.clear()  # days roll over; dropping everything is simpler than LRU
            self._keys[cache_key] = key
        return key


def _unrecognized(service: str, style: str = "", token: bool = False) -> AuthError:
    """An unknown access key, or a session token that is not the key's (``token``)."""
    if style == "query" or service in _QUERY_SIGNING_NAMES:
        return InvalidClientTokenId(_MSG_BAD_KEY)
    if style == "s3" or (not style and service == "s3"):
        # S3 says so of a bad token as of a bad key, each in its own words.
        return InvalidAccessKeyId(_MSG_BAD_KEY if token else _MSG_S3_KEY)
    return UnrecognizedClientException(_MSG_BAD_KEY)


def _bad_signature(style: str, message: str) -> InvalidSignatureException:
    if style in ("query", "s3"):
        return SignatureDoesNotMatch(message)
    return InvalidSignatureException(message)


def _merge_repeated(headers: Sequence[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    # Repeated headers are signed as their trimmed values joined by commas, in arrival order.
    merged: dict[bytes, bytes] = {}
    for name, value in headers:
        trimmed = b" ".join(value.split())
        merged[name] = merged[name] + b"," + trimmed if name in merged else trimmed
    return merged


def _parse_query(
    query: bytes,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, str]]:
    """Canonical (key, value) pairs, the same pairs as sent, and the decoded parameters.

    Canonical pairs are decoded and re-encoded, so whatever escaping the client chose on the wire
    (``+`` or ``%20`` for a space, ``%7E`` or ``~``) becomes what a conforming signer hashed.
    """
    pairs: list[tuple[str, str]] = []
    raw_pairs: list[tuple[str, str]] = []
    params: dict[str, str] = {}
    for piece in query.split(b"&"):
        if not piece:
            continue
        raw_key, _, raw_value = piece.partition(b"=")
        raw_pairs.append((raw_key.decode("latin-1"), raw_value.decode("latin-1")))
        key = unquote_to_bytes(raw_key.replace(b"+", b" "))
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        pairs.append((quote_from_bytes(key, safe=""), quote_from_bytes(value, safe="")))
        # Only the ASCII X-Amz-* parameters are read back; latin-1 keeps any byte representable.
        params.setdefault(key.decode("latin-1"), value.decode("latin-1"))
    return pairs, raw_pairs, params


def _join(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(pairs)) if pairs else ""


def _signs(key: bytes, sts_head: str, canonical: str, signature: str) -> bool:
    string_to_sign = sts_head + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _canonical_path(raw_path: bytes) -> str:
    """The path botocore signs: dot segments and empty segments removed, then encoded again.

    For every service but S3 the path on the wire is already percent-encoded and the signer
    encodes it a second time, so ``%3A`` in an ARN is hashed as ``%253A``.
    """
    if not raw_path:
        return "/"
    path = raw_path
    if not path.startswith(b"/") or b"//" in path or b"/." in path:
        segments = [s for s in path.split(b"/") if s and s != b"."]
        out: list[bytes] = []
        for seg in segments:
            if seg == b"..":
                if out:
                    out.pop()
            else:
                out.append(seg)
        lead = b"/" if path.startswith(b"/") else b""
        trail = b"/" if path.endswith(b"/") and out else b""
        path = lead + b"/".join(out) + trail
        if not path:
            return "/"
    if not path.translate(None, _PATH_PLAIN):
        # The usual case, and 20x faster than quote(): only the escapes' "%" needs escaping.
        return path.replace(b"%", b"%25").decode("ascii")
    return quote_from_bytes(path, safe="/")


def _s3_canonical_path(raw_path: bytes) -> str:
    """S3's signers encode the path once and keep dot and empty segments: the path as sent."""
    if not raw_path:
        return "/"
    if not raw_path.translate(None, _PATH_PLAIN):
        return raw_path.decode("ascii")
    return quote_from_bytes(raw_path, safe="/~%")


def _s3_payload_hash(hmap: Mapping[bytes, bytes], body: bytes | None, presigned: bool) -> str:
    """The payload hash an S3 request was signed with. A streamed body (``body`` None) is
    checked by its reader against it; a read body is checked here."""
    claimed = hmap.get(b"x-amz-content-sha256")
    if claimed is None:
        if presigned:
            return _UNSIGNED_PAYLOAD
        if body is None:
            raise InvalidSignatureException(
                "Missing required header for this request: x-amz-content-sha256"
            )
        return hashlib.sha256(body).hexdigest()
    text = claimed.decode("latin-1")
    if text == _UNSIGNED_PAYLOAD or text in STREAMING_PAYLOADS:
        return text
    if len(text) != 64 or not _HEX.issuperset(text):
        raise InvalidSignatureException(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a "
            "valid sha256 value."
        )
    if body is not None and text != hashlib.sha256(body).hexdigest():
        raise InvalidSignatureException(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return text


def _payload_hash(hmap: Mapping[bytes, bytes], body: bytes) -> str:
    claimed = hmap.get(b"x-amz-content-sha256")
    if claimed is None:
        return hashlib.sha256(body).hexdigest()
    text = claimed.decode("latin-1")
    if text == _UNSIGNED_PAYLOAD:
        return text
    # A hash that is signed but not checked would let anyone swap the body of a captured request.
    if len(text) != 64 or not _HEX.issuperset(text) or text != hashlib.sha256(body).hexdigest():
        raise InvalidSignatureException(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return text


def _parse_stamp(stamp: str) -> float:
    """Seconds since the epoch for an ISO-8601 basic timestamp such as ``20240101T000000Z``."""
    if (
        len(stamp) == 16
        and stamp[8] == "T"
        and stamp[15] == "Z"
        and stamp[:8].isdecimal()
        and stamp[9:15].isdecimal()
        and stamp.isascii()
    ):
        try:
            return datetime(
                int(stamp[:4]),
                int(stamp[4:6]),
                int(stamp[6:8]),
                int(stamp[9:11]),
                int(stamp[11:13]),
                int(stamp[13:15]),
                tzinfo=UTC,
            ).timestamp()
        except ValueError:
            pass
    raise IncompleteSignatureException(
        f"Date must be in ISO-8601 'basic format'. Got '{stamp}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _parse_http_date(value: str) -> tuple[str, float]:
    # Signers that use the Date header still put the ISO-8601 basic form in the string to sign.
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        raise IncompleteSignatureException(
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    when = parsed.timestamp()
    return _fmt(when), when


def _fmt(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))
