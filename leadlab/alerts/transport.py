"""Delivery: HTTPS POST of JSON and SMTP with STARTTLS, with retries (exponential backoff
and jitter), timeouts, and errors that never show a secret.

A URL is only ever shown as ``scheme://host:port`` (WeCom, DingTalk and Feishu put their
tokens in the query or the path). A webhook URL must be ``https://``; plain ``http://`` is
accepted only for a loopback host (127.0.0.1, ::1, localhost), for tests. Redirects are not
followed (a redirect could carry the message elsewhere).

>>> safe_origin("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET")
'https://qyapi.weixin.qq.com'
>>> check_webhook_url("http://example.com/hook", "channel ding, $DING_URL")
Traceback (most recent call last):
...
leadlab.errors.ConfigError: channel ding, $DING_URL: the webhook URL must start with https:// (http:// only for 127.0.0.1 or localhost, for tests); got http://example.com
>>> backoff_waits(Retry(attempts=4, backoff_seconds=1, max_backoff_seconds=3), seed=0)
[0.92, 1.76, 2.13]
"""

from __future__ import annotations

import json
import random
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from ipaddress import ip_address
from urllib.parse import urlsplit

from leadlab.alerts.config import Retry
from leadlab.errors import ConfigError, LeadlabError


class DeliveryError(LeadlabError):
    """A message could not be delivered (after its retries); it stays unsent."""

    exit_code = 1


class _Transient(Exception):
    """A failure worth retrying (timeout, connection refused, HTTP 5xx/429, SMTP 4xx)."""


def safe_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: the only part of a webhook URL ever shown."""
    try:
        p = urlsplit(url)
        host = p.hostname or "?"
        port = f":{p.port}" if p.port else ""
    except ValueError:
        return "(a malformed URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{p.scheme}://{host}{port}"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, where: str) -> str:
    """``url`` when it is https (or http to a loopback host); ConfigError otherwise (the URL is
    shown only as scheme://host)."""
    try:
        p = urlsplit(url.strip())
        p.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ConfigError(f"{where}: not a valid URL (it is not shown)") from None
    if p.scheme == "https" and p.hostname:
        return url.strip()
    if p.scheme == "http" and is_loopback(p.hostname):
        return url.strip()
    raise ConfigError(f"{where}: the webhook URL must start with https:// (http:// only for 127.0.0.1 or localhost, "
                      f"for tests); got {safe_origin(url)}")


def backoff_waits(retry: Retry, seed: int | None = None) -> list[float]:
    """The waits between attempts: ``min(max, backoff · 2^(k-1))`` × uniform jitter in [0.5, 1]
    (seeded), rounded to 10 ms."""
    rng = random.Random(seed)
    return [round(min(retry.max_backoff_seconds, retry.backoff_seconds * 2 ** k) * rng.uniform(0.5, 1.0), 2)
            for k in range(retry.attempts - 1)]


def with_retries(attempt: Callable[[], None], retry: Retry, *, what: str, sleep: Callable[[float], None],
                 seed: int | None = None) -> int:
    """Run ``attempt`` until it succeeds, at most ``retry.attempts`` times, sleeping the
    :func:`backoff_waits` between; returns the number of attempts used. A transient failure
    on the last attempt, or a permanent one, raises :class:`DeliveryError` (one line)."""
    waits = backoff_waits(retry, seed)
    for k in range(retry.attempts):
        try:
            attempt()
            return k + 1
        except _Transient as exc:
            if k == retry.attempts - 1:
                raise DeliveryError(f"{what}: failed after {retry.attempts} attempt(s): {exc}") from None
            sleep(waits[k])
    raise AssertionError("unreachable")  # pragma: no cover


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, payload: dict, *, timeout: float) -> None:
    """One POST attempt. Transient failures raise ``_Transient``; a refusal (HTTP 4xx, or a
    chat API's ``errcode``/``code`` other than 0) raises DeliveryError. Messages show no URL part
    beyond scheme://host."""
    origin = safe_origin(url)
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "leadlab"})
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            raw = resp.read(65536)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise _Transient(f"HTTP {exc.code} from {origin}") from None
        raise DeliveryError(f"HTTP {exc.code} from {origin}: the receiver refused the message") from None
    except (TimeoutError, socket.timeout):
        raise _Transient(f"no answer from {origin} within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise _Transient(f"no answer from {origin} within {timeout:g} s") from None
        text = getattr(reason, "strerror", None) or type(reason).__name__
        raise _Transient(f"cannot reach {origin}: {text}") from None
    except (ConnectionError, OSError) as exc:
        raise _Transient(f"cannot reach {origin}: {exc.strerror or type(exc).__name__}") from None
    try:
        answer = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        answer = {}
    if isinstance(answer, dict):
        for key in ("errcode", "code", "StatusCode"):
            if key in answer and answer[key] not in (0, "0", None):
                # the API's own message is data from the network: shown as a short inert code only
                raise DeliveryError(f"{origin} answered {key} {str(answer[key])[:20]!r}: the message was refused")


def send_email(msg: EmailMessage, *, host: str, port: int, starttls: bool, username: str | None,
               password: str | None, timeout: float, context: ssl.SSLContext | None = None) -> None:
    """One SMTP attempt: connect, STARTTLS (required unless the host is loopback and
    ``starttls`` is false), log in when credentials are given, send."""
    if not starttls and not is_loopback(host):
        raise ConfigError(f"SMTP host {host}: starttls: false is allowed only for a loopback host (127.0.0.1, "
                          "localhost); mail and passwords do not travel unencrypted")
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(f"SMTP server {host}:{port} does not offer STARTTLS; refusing to send "
                                        "without encryption")
                smtp.starttls(context=context or ssl.create_default_context())
                smtp.ehlo()
            if username is not None:
                smtp.login(username, password or "")
            smtp.send_message(msg)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP server {host}:{port} refused the login (code {exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise _Transient(f"SMTP server {host}:{port} answered {exc.smtp_code} (temporary)") from None
        raise DeliveryError(f"SMTP server {host}:{port} refused the message (code {exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError(f"SMTP server {host}:{port} refused every recipient") from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"SMTP server {host}:{port}: TLS failed ({exc.reason or type(exc).__name__})") from None
    except (TimeoutError, socket.timeout):
        raise _Transient(f"no answer from SMTP server {host}:{port} within {timeout:g} s") from None
    except smtplib.SMTPServerDisconnected:  # smtplib's name for a read that timed out, or a dropped line
        raise _Transient(f"SMTP server {host}:{port} closed the connection or gave no answer within "
                         f"{timeout:g} s") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _Transient(f"cannot reach SMTP server {host}:{port}: "
                         f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from None
