"""The alerts file (``alerts.yml`` at the project root): rules, channels, retry policy.

Secrets never live in the file: a channel names the *environment variables* that hold
its webhook URL, SMTP password or signing secret (``url_env``, ``password_env``,
``secret_env``); they are read when a message is sent and never printed.

>>> cfg = parse_alerts_text('''
... rules:
...   - {id: behind, kind: target, status: [behind]}
... channels:
...   - {id: ding, type: dingtalk, url_env: LEADLAB_DINGTALK_URL, secret_env: LEADLAB_DINGTALK_SECRET}
... ''')
>>> cfg.rules[0].kind, cfg.rules[0].options["status"], cfg.channels[0].type, cfg.retry.attempts
('target', ['behind'], 'dingtalk', 4)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from leadlab.errors import ConfigError
from leadlab.paths import project_root

#: rule kind -> {option: (allowed values or None for free text/list, default)}
RULE_KINDS: dict[str, dict[str, tuple[tuple[str, ...] | None, object]]] = {
    "target": {"status": (("behind", "at risk"), ["behind", "at risk"]), "targets_file": (None, None)},
    "kpi_signal": {"kpis": (None, None), "signals": (("outside normal variation", "significant change"),
                                                    ["outside normal variation"]), "team": (None, None)},
    "experiment": {"checks": (("srm", "guardrail"), ["srm", "guardrail"]), "experiments": (None, None)},
    "scorer_drift": {"actions": (("retrain", "watch"), ["retrain"]), "model": (None, None)},
}
CHANNEL_TYPES = ("email", "wecom", "dingtalk", "feishu", "webhook")
#: keys each channel type accepts (besides id, type, lang, rules)
CHANNEL_KEYS: dict[str, tuple[str, ...]] = {
    "email": ("host", "port", "starttls", "username_env", "password_env", "from", "to"),
    "wecom": ("url_env",),
    "dingtalk": ("url_env", "secret_env"),
    "feishu": ("url_env", "secret_env", "format"),
    "webhook": ("url_env",),
}
RETRY_KEYS = ("attempts", "backoff_seconds", "max_backoff_seconds", "timeout_seconds")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ENV = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    options: dict
    where: str = ""


@dataclass(frozen=True)
class Channel:
    id: str
    type: str
    settings: dict
    lang: str | None = None
    rules: tuple[str, ...] | None = None  # None: every rule
    where: str = ""

    def wants(self, rule_id: str) -> bool:
        return self.rules is None or rule_id in self.rules


@dataclass(frozen=True)
class Retry:
    """Attempts per message; the wait before attempt k+1 is ``min(max, backoff · 2^(k-1))``
    times a uniform jitter in [0.5, 1]; each attempt times out after ``timeout_seconds``."""

    attempts: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AlertsConfig:
    rules: list[Rule]
    channels: list[Channel]
    retry: Retry = field(default_factory=Retry)
    lang: str | None = None
    source: str = "alerts.yml"


def default_alerts_path() -> Path:
    """``alerts.yml`` at the project root."""
    return project_root() / "alerts.yml"


def load_alerts(path: str | Path | None = None) -> AlertsConfig:
    """Read and check an alerts file (default :func:`default_alerts_path`)."""
    p = Path(path) if path else default_alerts_path()
    if not p.is_file():
        raise ConfigError(f"alerts file {p} does not exist; copy data/examples/alerts.yml there and edit it")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"alerts file {p}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    return parse_alerts_text(text, source=str(p))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(node: yaml.Node, where: str, allowed: tuple[str, ...]) -> dict:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{where}: expected a mapping (key: value)")
    out = yaml.safe_load(yaml.serialize(node)) or {}
    unknown = [k for k in out if k not in allowed]
    if unknown:
        raise ConfigError(f"{where}: unknown key {str(unknown[0])!r}; valid keys: {', '.join(allowed)}")
    return out


def _ident(value, where: str, key: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ConfigError(f"{where}: {key} must be 1-64 letters, digits, '_', '.' or '-', got {value!r}")
    return value


def _env_name(value, where: str, key: str) -> str:
    if not isinstance(value, str) or not _ENV.fullmatch(value):
        raise ConfigError(f"{where}: {key} must name an environment variable (A-Z, 0-9, _); the value given is "
                          "not one (it is not shown: it may be a secret, and secrets never go into the file itself)")
    return value


def _lang(value, where: str) -> str | None:
    if value is None:
        return None
    from leadlab.i18n import resolve_lang

    return resolve_lang(str(value), source=f"{where}, key lang")


def _choices(value, allowed: tuple[str, ...] | None, where: str, key: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if not isinstance(v, (str, int)) or isinstance(v, bool):
            raise ConfigError(f"{where}: {key} must be a list of names, got {v!r}")
        v = str(v).strip()
        if allowed is not None and v not in allowed:
            raise ConfigError(f"{where}: {key}: unknown value {v!r}; valid: {', '.join(allowed)}")
        out.append(v)
    if not out:
        raise ConfigError(f"{where}: {key} is an empty list")
    return out


def _rule(node: yaml.Node, where: str) -> Rule:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{where}: expected a mapping with keys id, kind and options")
    raw = yaml.safe_load(yaml.serialize(node)) or {}
    kind = raw.get("kind")
    if kind not in RULE_KINDS:
        raise ConfigError(f"{where}: unknown kind {kind!r}; valid kinds: {', '.join(RULE_KINDS)}")
    spec = RULE_KINDS[kind]
    entry = _mapping(node, where, ("id", "kind", *spec))
    rid = _ident(entry.get("id"), where, "id")
    options = {}
    for key, (allowed, default) in spec.items():
        value = entry.get(key, default)
        if value is None:
            options[key] = None
        elif key in ("targets_file", "model", "team"):
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: {key} must be a text, got {value!r}")
            options[key] = value.strip()
        else:
            options[key] = _choices(value, allowed, where, key)
    return Rule(rid, kind, options, where)


def _channel(node: yaml.Node, where: str) -> Channel:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{where}: expected a mapping with keys id, type and settings")
    raw = yaml.safe_load(yaml.serialize(node)) or {}
    ctype = raw.get("type")
    if ctype not in CHANNEL_TYPES:
        raise ConfigError(f"{where}: unknown type {ctype!r}; valid types: {', '.join(CHANNEL_TYPES)}")
    entry = _mapping(node, where, ("id", "type", "lang", "rules", *CHANNEL_KEYS[ctype]))
    cid = _ident(entry.get("id"), where, "id")
    settings: dict = {}
    for key in CHANNEL_KEYS[ctype]:
        if key not in entry:
            continue
        v = entry[key]
        if key.endswith("_env"):
            settings[key] = _env_name(v, where, key)
        elif key == "port":
            if not isinstance(v, int) or isinstance(v, bool) or not 0 < v < 65536:
                raise ConfigError(f"{where}: port must be a whole number from 1 to 65535, got {v!r}")
            settings[key] = v
        elif key == "starttls":
            if not isinstance(v, bool):
                raise ConfigError(f"{where}: starttls must be true or false, got {v!r}")
            settings[key] = v
        elif key == "to":
            settings[key] = _choices(v, None, where, key)
        elif key == "format":
            settings[key] = _choices(v, ("post", "text"), where, key)[0]
        else:
            if not isinstance(v, str) or not v.strip() or any(c in v for c in "\r\n"):
                raise ConfigError(f"{where}: {key} must be one line of text, got {v!r}")
            settings[key] = v.strip()
    needed = {"email": ("host", "from", "to"), "dingtalk": ("url_env",), "wecom": ("url_env",),
              "feishu": ("url_env",), "webhook": ("url_env",)}[ctype]
    for key in needed:
        if key not in settings:
            raise ConfigError(f"{where}: channel type {ctype} needs key {key}")
    if ctype == "email" and ("username_env" in settings) != ("password_env" in settings):
        raise ConfigError(f"{where}: give both username_env and password_env, or neither")
    rules = tuple(_choices(entry["rules"], None, where, "rules")) if "rules" in entry else None
    return Channel(cid, ctype, settings, _lang(entry.get("lang"), where), rules, where)


def _retry(node: yaml.Node | None, source: str) -> Retry:
    if node is None:
        return Retry()
    where = f"{source}, retry (line {_line(node)})"
    entry = _mapping(node, where, RETRY_KEYS)
    values = {}
    for key, v in entry.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ConfigError(f"{where}: {key} must be a number, got {v!r}")
        if key == "attempts" and not (isinstance(v, int) and 1 <= v <= 10):
            raise ConfigError(f"{where}: attempts must be a whole number from 1 to 10, got {v!r}")
        if key != "attempts" and not 0 <= v <= 600:
            raise ConfigError(f"{where}: {key} must be from 0 to 600 seconds, got {v!r}")
        if key == "timeout_seconds" and v <= 0:
            raise ConfigError(f"{where}: timeout_seconds must be above 0, got {v!r}")
        values[key] = v
    return Retry(**values)


def parse_alerts_text(text: str, source: str = "alerts.yml") -> AlertsConfig:
    """Parse and check an alerts file; a ConfigError names the entry, its line and the rule broken."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{source}: expected a mapping with keys rules and channels (see data/examples/alerts.yml)")
    top = {k.value: v for k, v in root.value}
    unknown = [k for k in top if k not in ("rules", "channels", "retry", "lang")]
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r}; valid keys: rules, channels, retry, lang")
    out: dict[str, list] = {"rules": [], "channels": []}
    for key, build in (("rules", _rule), ("channels", _channel)):
        node = top.get(key)
        if node is None or not isinstance(node, yaml.SequenceNode) or not node.value:
            raise ConfigError(f"{source}: {key} must be a non-empty list (lines starting with '- ')")
        for i, item in enumerate(node.value, start=1):
            out[key].append(build(item, f"{source}, {key} entry {i} (line {_line(item)})"))
        ids = [x.id for x in out[key]]
        dup = next((x for x in out[key] if ids.count(x.id) > 1), None)
        if dup is not None:
            raise ConfigError(f"{dup.where}: id {dup.id!r} is used twice in {key}")
    rule_ids = {r.id for r in out["rules"]}
    for ch in out["channels"]:
        missing = [r for r in (ch.rules or ()) if r not in rule_ids]
        if missing:
            raise ConfigError(f"{ch.where}: rules: unknown rule {missing[0]!r}; rules in this file: "
                              f"{', '.join(sorted(rule_ids))}")
    lang_node = top.get("lang")
    lang = _lang(lang_node.value, f"{source} (line {_line(lang_node)})") if lang_node is not None else None
    return AlertsConfig(out["rules"], out["channels"], _retry(top.get("retry"), source), lang, source)
