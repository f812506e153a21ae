"""Keyed pseudonymization of phone numbers, e-mails and names.

Values are normalized first (phone: digits with the country code; e-mail:
trimmed, lower-cased; name: Unicode-normalized, case-folded, single spaces), then
replaced by ``tok_`` + 16 hex characters of HMAC-SHA256 under a secret key, so
the same person gets the same token in every file and the store never holds the
raw value. Values that already are tokens are kept.

The key comes from ``$LEADLAB_PII_KEY``; otherwise from a key file created on
first use with mode 0600 (``$LEADLAB_PII_KEY_FILE``, else
``$LEADLAB_HOME/.leadlab/pii.key`` when ``LEADLAB_HOME`` is set, else
``~/.config/leadlab/pii.key``), never inside the git tree's tracked files.

>>> tok = Pseudonymizer(b"k")
>>> tok.token("+86 138-0013-8000", "phone") == tok.token("13800138000", "phone")
True
>>> tok.token(" Ann.Lee@Example.COM ", "email") == tok.token("ann.lee@example.com", "email")
True
>>> tok.token("tok_0123456789abcdef", "name")
'tok_0123456789abcdef'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path

from leadlab.errors import ConfigError
from leadlab.i18n import _

KEY_ENV = "LEADLAB_PII_KEY"
KEY_FILE_ENV = "LEADLAB_PII_KEY_FILE"
COUNTRY_ENV = "LEADLAB_PHONE_COUNTRY_CODE"
DEFAULT_COUNTRY_CODE = "86"
TOKEN_RE = re.compile(r"^tok_[0-9a-f]{16}$")

#: What kind of value each PII column holds (decides the normalization).
PII_KINDS = {"phone": "phone", "email": "email", "contact_name": "name", "rep_name": "name"}


def key_path() -> Path:
    """Where the key file lives (see the module docstring)."""
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV]).expanduser()
    if os.environ.get("LEADLAB_HOME"):
        return Path(os.environ["LEADLAB_HOME"]).expanduser() / ".leadlab" / "pii.key"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "leadlab" / "pii.key"


def load_key() -> bytes:
    """The pseudonymization key: ``$LEADLAB_PII_KEY`` or the key file (created on first use)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created by a concurrent run
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    try:
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(_("cannot read the PII key file {path}: {reason}; set ${variable} instead", path=str(path),
                            reason=exc.strerror or type(exc).__name__, variable=KEY_ENV)) from None
    if not key:
        raise ConfigError(_("the PII key file {path} is empty; delete it (a new key is created) or set ${variable}",
                            path=str(path), variable=KEY_ENV))
    return key.encode("utf-8")


def normalize_phone(value: str, country_code: str | None = None) -> str:
    """Digits only, with the country code.

    ``+`` or ``00`` in front means the number already has its country code;
    otherwise a leading trunk ``0`` is dropped and the default country code
    (``$LEADLAB_PHONE_COUNTRY_CODE``, default 86) is put in front unless the
    digits already start with it and are long enough to hold it.

    >>> normalize_phone("+86 138 0013 8000"), normalize_phone("138-0013-8000")
    ('8613800138000', '8613800138000')
    >>> normalize_phone("0044 20 7946 0018"), normalize_phone("(010) 6552-9988")
    ('442079460018', '861065529988')
    """
    cc = country_code or os.environ.get(COUNTRY_ENV) or DEFAULT_COUNTRY_CODE
    raw = value.strip()
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return ""
    if raw.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return cc + digits.lstrip("0")
    if digits.startswith(cc) and len(digits) - len(cc) >= 9:
        return digits
    return cc + digits


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased.

    >>> normalize_email("  Ann@Example.COM ")
    'ann@example.com'
    """
    return unicodedata.normalize("NFKC", value).strip().lower()


def normalize_name(value: str) -> str:
    """Unicode-normalized (NFKC), case-folded, one space between words.

    >>> normalize_name("  ANN   lee ") == normalize_name("Ann Lee")
    True
    """
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


_NORMALIZERS = {"phone": normalize_phone, "email": normalize_email, "name": normalize_name}


class Pseudonymizer:
    """Turns PII values into stable keyed tokens (``tok_`` + 16 hex chars)."""

    def __init__(self, key: bytes | None = None, country_code: str | None = None):
        self._key = key if key is not None else load_key()
        self.country_code = country_code

    def token(self, value: str | None, kind: str) -> str | None:
        """The token of ``value`` (a ``kind`` of phone, email or name); None for empty values."""
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        if TOKEN_RE.match(text):
            return text
        if kind == "phone":
            norm = normalize_phone(text, self.country_code)
        else:
            norm = _NORMALIZERS[kind](text)
        if not norm:
            return None
        digest = hmac.new(self._key, f"{kind}:{norm}".encode("utf-8"), hashlib.sha256).hexdigest()
        return "tok_" + digest[:16]

    def tokens(self, values: list[str | None], kind: str) -> list[str | None]:
        """Tokens for many values (same order)."""
        return [self.token(v, kind) for v in values]
