"""Firebase ID tokens minted locally, as the emulator and as Google would issue them."""

import base64
import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PROJECT = "demo-campaign"


def _claims(uid, email, *, project=PROJECT, audience=None, expires_in=3600, email_verified=False):
    now = int(time.time())
    return {
        "iss": f"https://securetoken.google.com/{project}",
        "aud": audience or project,
        "auth_time": now,
        "user_id": uid,
        "sub": uid,
        "iat": now - 5,
        "exp": now + expires_in,
        "email": email,
        "email_verified": email_verified,
        "firebase": {"identities": {"email": [email]}, "sign_in_provider": "password"},
    }


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def emulator_token(uid="firebase-uid-1", email="new@example.test", **claim_options) -> str:
    """An unsigned token as the Auth emulator issues it (accepted only in emulator mode)."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(uid, email, **claim_options))}."


class SigningKey:
    """An RS256 key with a self-signed certificate, standing in for one of Google's."""

    def __init__(self, kid="test-key-1"):
        self.kid = kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
        now = dt.datetime.now(dt.UTC)
        self.certificate_pem = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(self.private_key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )

    def token(self, uid="firebase-uid-1", email="new@example.test", *, kid=None, **claim_options) -> str:
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return jwt.encode(
            _claims(uid, email, **claim_options), pem, algorithm="RS256", headers={"kid": kid or self.kid}
        )


class CertificateServer:
    """Serves `{kid: certificate}` like Google's x509 endpoint, on a local port."""

    def __init__(self, keys):
        body = json.dumps({key.kid: key.certificate_pem for key in keys}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=60")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/certs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
