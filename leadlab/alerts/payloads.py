"""What each channel receives: the JSON body (and URL) of WeCom, DingTalk, Feishu and a
generic webhook, the e-mail message, and the two signatures.

* WeCom (企业微信) group robot: ``{"msgtype": "markdown", "markdown": {"content": ...}}``
  (content at most 4,096 bytes).
* DingTalk (钉钉) custom robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; with a
  signing secret the URL gets ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(key=secret,
  msg=f"{timestamp}\\n{secret}")), URL-encoded.
* Feishu (飞书) custom bot: ``msg_type`` ``post`` (title + paragraphs) or ``text``; with a
  signing secret the body gets ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key=
  f"{timestamp}\\n{secret}", msg=b"")).
* generic webhook: the event's key, rule, kind, subject, period, language, title, text and facts.

>>> dingtalk_sign("SECabc", 1700000000000)
'jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM='
>>> signed_dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", "SECabc", 1700000000000)
'https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign=jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlencode

WECOM_MAX_BYTES = 4096


@dataclass(frozen=True)
class Message:
    """One alert in one language: ``title`` (one line) and ``text`` (plain sentences)."""

    title: str
    text: str
    footer: str
    lang: str


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature (before URL-encoding)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's custom-bot signature: the HMAC key is ``timestamp\\nsecret``, the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    query = urlencode({"timestamp": str(timestamp_ms), "sign": dingtalk_sign(secret, timestamp_ms)})
    return url + ("&" if "?" in url else "?") + query


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def wecom(msg: Message) -> dict:
    content = f"**{msg.title}**\n{msg.text}\n<font color=\"comment\">{msg.footer}</font>"
    return {"msgtype": "markdown", "markdown": {"content": _clip_bytes(content, WECOM_MAX_BYTES)}}


def dingtalk(msg: Message) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": msg.title,
                                                "text": f"#### {msg.title}\n\n{msg.text}\n\n> {msg.footer}"}}


def feishu(msg: Message, fmt: str = "post", secret: str | None = None, timestamp_s: int | None = None) -> dict:
    if fmt == "text":
        body: dict = {"msg_type": "text", "content": {"text": f"{msg.title}\n{msg.text}\n{msg.footer}"}}
    else:
        lang_key = "zh_cn" if msg.lang == "zh" else "en_us"
        body = {"msg_type": "post", "content": {"post": {lang_key: {
            "title": msg.title,
            "content": [[{"tag": "text", "text": msg.text}], [{"tag": "text", "text": msg.footer}]]}}}}
    if secret is not None:
        assert timestamp_s is not None
        body = {"timestamp": str(timestamp_s), "sign": feishu_sign(secret, timestamp_s), **body}
    return body


def generic(msg: Message, event, facts_json: str) -> dict:
    return {"source": "leadlab", "event_key": event.key, "rule": event.rule, "kind": event.kind,
            "subject": event.subject, "period": event.period, "lang": msg.lang, "title": msg.title,
            "text": msg.text, "facts": json.loads(facts_json)}


def email(msg: Message, sender: str, to: list[str]) -> EmailMessage:
    """A plain-text UTF-8 e-mail (the title is the subject)."""
    m = EmailMessage()
    m["Subject"] = msg.title
    m["From"] = sender
    m["To"] = ", ".join(to)
    m.set_content(f"{msg.text}\n\n-- \n{msg.footer}\n")
    return m
