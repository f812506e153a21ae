"""Local receivers for the alerts tests: an HTTP receiver on 127.0.0.1 (optionally failing
its first requests), a socket that never answers, and an SMTP server (aiosmtpd) with
STARTTLS on a throwaway self-signed certificate."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@contextmanager
def http_receiver(fail_first: int = 0, status: int = 500, answer: dict | None = None):
    """Yields (base_url, received): received holds (path, query, json body) per successful POST."""
    received: list[tuple[str, str, dict]] = []
    calls = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            calls["n"] += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if calls["n"] <= fail_first:
                self.send_response(status)
                self.end_headers()
                return
            path, _sep, query = self.path.partition("?")
            received.append((path, query, json.loads(body.decode("utf-8"))))
            out = json.dumps(answer if answer is not None else {"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received, calls
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_receiver():
    """A listening socket that accepts connections and never answers (a hung webhook)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(cert, key) PEM files for 127.0.0.1, valid for a day (needs `cryptography`)."""
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(tls: tuple[Path, Path] | None = None, *, user: str = "ann", password: str = "s3cret-pw",
                answer_bad_login: bool = True):
    """An aiosmtpd server on 127.0.0.1; with ``tls`` STARTTLS is offered and required, and
    login (user/password) is required. Yields (port, messages: list of email.message.Message).
    ``answer_bad_login=False``: a wrong login gets no answer at all (a hung server)."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    messages = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    def auth(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
        # handled=False: aiosmtpd itself answers 535 on failure (with the default handled=True it
        # stays silent, and a client without a timeout would wait forever)
        return AuthResult(success=ok, handled=not answer_bad_login and not ok)

    kw = {}
    if tls is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(tls[0]), str(tls[1]))
        kw = dict(tls_context=ctx, require_starttls=True, authenticator=auth, auth_required=True)
    port = free_port()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port, **kw)
    ctl.start()
    try:
        yield port, messages
    finally:
        ctl.stop()
