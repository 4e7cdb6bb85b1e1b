"""Message signatures: the canonical strings AWS signs, RSA PKCS#1 v1.5, the certificate."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from ovis.services.sns import envelope
from ovis.services.sns.signing import RsaKey, ServerSigner, certificate_der, pem, verify

KEY = RsaKey.generate(1024)


class _Fixed:
    cert_url = "http://h/cert.pem"

    def prepare(self) -> None:
        pass

    def sign(self, text: str, version: str = "1") -> str:
        return base64.b64encode(KEY.sign(text.encode(), version)).decode()


PAYLOAD = {
    "MessageId": "m-1",
    "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
    "Message": "hi",
    "Timestamp": "2026-01-01T00:00:00.000Z",
}


def test_notification_canonical_string_lists_awss_fields_in_order() -> None:
    doc = envelope.notification({**PAYLOAD, "Subject": "s"}, "sub", "http://h", _Fixed())
    assert envelope.canonical(doc) == (
        "Message\nhi\nMessageId\nm-1\nSubject\ns\nTimestamp\n2026-01-01T00:00:00.000Z\n"
        "TopicArn\narn:aws:sns:us-east-1:000000000000:t\nType\nNotification\n"
    )
    no_subject = envelope.notification(PAYLOAD, "sub", "http://h", _Fixed())
    assert "Subject" not in envelope.canonical(no_subject) and "Subject" not in no_subject


@pytest.mark.parametrize("version", ["1", "2"])
def test_signatures_verify_under_the_public_key(version: str) -> None:
    doc = envelope.notification(PAYLOAD, "sub", "http://h", _Fixed(), version)
    assert doc["SignatureVersion"] == version
    sig = base64.b64decode(doc["Signature"])
    text = envelope.canonical(doc).encode()
    assert verify(KEY.n, KEY.e, text, sig, version)
    assert not verify(KEY.n, KEY.e, text + b"x", sig, version)


def test_confirmation_document() -> None:
    doc = envelope.confirmation({**PAYLOAD, "Token": "tok"}, "http://h", _Fixed())
    assert doc["Type"] == "SubscriptionConfirmation"
    assert doc["SubscribeURL"] == (
        "http://h/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A"
        "000000000000%3At&Token=tok"
    )
    assert "SubscribeURL\n" in envelope.canonical(doc) and "Token\ntok\n" in envelope.canonical(doc)
    assert verify(
        KEY.n, KEY.e, envelope.canonical(doc).encode(), base64.b64decode(doc["Signature"])
    )


def test_lambda_event_shape() -> None:
    event = envelope.lambda_event(PAYLOAD, "sub-arn", "http://h", _Fixed())
    [r] = event["Records"]
    assert (r["EventSource"], r["EventVersion"], r["EventSubscriptionArn"]) == (
        "aws:sns",
        "1.0",
        "sub-arn",
    )
    assert r["Sns"]["Subject"] is None and r["Sns"]["MessageAttributes"] == {}
    assert r["Sns"]["SigningCertUrl"] == "http://h/cert.pem"
    assert r["Sns"]["UnsubscribeUrl"].startswith("http://h/?Action=Unsubscribe&SubscriptionArn=")


def test_the_server_key_is_made_once_and_kept(tmp_path: Path) -> None:
    a = ServerSigner(tmp_path, "http://h")
    sig = a.sign("text")
    assert (tmp_path / "sns-signing-key.json").stat().st_mode & 0o777 == 0o600
    b = ServerSigner(tmp_path, "http://h")
    assert b.sign("text") == sig  # PKCS#1 v1.5 is deterministic: the same key
    assert b.certificate_pem() == a.certificate_pem()
    assert a.cert_url == "http://h/SimpleNotificationService-ovis.pem"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_certificate_is_valid_x509(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_bytes(pem(certificate_der(KEY, "test")))
    out = subprocess.run(
        ["openssl", "verify", "-CAfile", cert, cert], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
