"""Alerts: the file, the message formats and signatures, escaping, idempotent runs and the CLI.

Delivery over real sockets (SMTP, HTTP receivers, retries, timeouts) is in test_alerts_delivery.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs

import ibis
import pytest

from leadlab.alerts import payloads, state, texts
from leadlab.alerts.config import parse_alerts_text
from leadlab.alerts.events import Event
from leadlab.alerts.run import run_alerts
from leadlab.errors import ConfigError
from leadlab.i18n import use_lang
from leadlab.periods import parse_period

BASE = """
rules:
  - {id: behind, kind: target, status: [behind]}
channels:
"""

TARGET = {"scope": "team", "name": "East", "kpi": "sql", "period": "2026-10", "status": "behind", "actual": 40.0,
          "target": 100.0, "projection": 60.0, "attainment": 0.6, "elapsed": 0.5, "final": False}


def event(name="East", kpi="sql") -> Event:
    f = {**TARGET, "name": name, "kpi": kpi}
    return Event("behind", "target", f"team:{name}:{kpi}", "2026-10", f)


# --- the alerts file ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, needle", [
    ("rules: [{id: r, kind: nope}]\nchannels: [{id: c, type: wecom, url_env: U}]", "rules entry 1 (line 1): unknown kind 'nope'"),
    ("rules: [{id: r, kind: target, status: [late]}]\nchannels: [{id: c, type: wecom, url_env: U}]", "status: unknown value 'late'"),
    (BASE + "  - {id: c, type: wecom, url: 'https://x/?key=SECRET'}", "unknown key 'url'"),
    (BASE + "  - {id: c, type: wecom, url_env: 'https://x/?key=SECRET'}", "must name an environment variable"),
    (BASE + "  - {id: c, type: dingtalk}", "channel type dingtalk needs key url_env"),
    (BASE + "  - {id: c, type: wecom, url_env: U, rules: [ghost]}", "unknown rule 'ghost'"),
    (BASE + "  - {id: c, type: wecom, url_env: U}\n  - {id: c, type: webhook, url_env: V}", "id 'c' is used twice"),
    (BASE + "  - {id: c, type: email, host: h, from: a@b, to: [x@y], port: 70000}", "port must be a whole number"),
    (BASE + "  - {id: c, type: wecom, url_env: U}\nretry: {attempts: 0}", "attempts must be a whole number from 1 to 10"),
    (BASE + "  - {id: c, type: wecom, url_env: U, lang: fr}", "'fr' is not a supported language"),
    ("rules: [", "not valid YAML"),
])
def test_bad_alerts_file_names_entry_and_rule(text, needle):
    with pytest.raises(ConfigError) as exc:
        parse_alerts_text(text, source="alerts.yml")
    assert needle in exc.value.message
    assert exc.value.message.startswith("alerts.yml")
    assert "SECRET" not in exc.value.message


def test_example_file_parses():
    from pathlib import Path

    from leadlab.alerts import load_alerts

    cfg = load_alerts(Path(__file__).resolve().parents[1] / "data" / "examples" / "alerts.yml")
    assert [c.type for c in cfg.channels] == ["email", "wecom", "dingtalk", "feishu", "webhook"]
    assert {r.kind for r in cfg.rules} == {"target", "kpi_signal", "experiment", "scorer_drift"}


# --- signatures and formats -------------------------------------------------------------------------

def test_dingtalk_signature_matches_hand_computed_hmac():
    secret, ts = "SEC0123456789abcdef", 1767225600000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    url = payloads.signed_dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T0K", secret, ts)
    q = parse_qs(url.split("?", 1)[1])
    assert q == {"access_token": ["T0K"], "timestamp": [str(ts)], "sign": [expected]}
    assert "%2B" in url or "+" not in expected  # base64 '+' must be URL-encoded


def test_feishu_signature_and_post_format():
    secret, ts = "feishu-secret", 1767225600
    expected = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    msg = payloads.Message("T", "body", "foot", "zh")
    body = payloads.feishu(msg, "post", secret, ts)
    assert body["timestamp"] == str(ts) and body["sign"] == expected and body["msg_type"] == "post"
    assert body["content"]["post"]["zh_cn"]["title"] == "T"
    assert payloads.feishu(msg, "text")["content"]["text"] == "T\nbody\nfoot"


def test_wecom_and_dingtalk_markdown_shapes():
    msg = payloads.Message("Title", "x" * 5000, "foot", "en")
    w = payloads.wecom(msg)
    assert w["msgtype"] == "markdown" and len(w["markdown"]["content"].encode()) <= 4096
    d = payloads.dingtalk(msg)
    assert d["msgtype"] == "markdown" and d["markdown"]["title"] == "Title"


@pytest.mark.parametrize("hostile", ["[click](http://evil.example)", "<at user_id=\"all\">所有人</at>", "**East**\n# boss",
                                     "@all `rm -rf`", "East\u202e\u0007"])
def test_hostile_names_are_neutralised(hostile):
    for lang in ("en", "zh"):
        with use_lang(lang):
            e = event(name=hostile)
            title, body = texts.title(e.kind, e.facts), texts.body(e.kind, e.facts)
        for text in (title, body):
            assert not any(c in text for c in "[]<>*#`@\n\u202e\u0007"), text
    assert texts.chat_safe(hostile)  # still readable, not dropped


def test_messages_in_both_languages():
    e = event()
    with use_lang("en"):
        en = texts.title(e.kind, e.facts) + texts.body(e.kind, e.facts)
    with use_lang("zh"):
        zh = texts.title(e.kind, e.facts) + texts.body(e.kind, e.facts)
    assert "team East" in en and "60%" in en and "target" in en
    assert "目标" in zh and "落后" in zh and "60%" in zh and "target" not in zh


# --- runs: idempotent, dry run, config refusals ------------------------------------------------------------

@pytest.fixture
def fake_rules(monkeypatch):
    """The rules find two events (the engines are tested in their own files; see test_alerts_engines)."""
    found = [event("East"), event("West")]
    monkeypatch.setattr("leadlab.alerts.run.evaluate",
                        lambda config, con, period: (parse_period("2026-10"), list(found), [], []))
    return found


def test_dry_run_sends_and_records_nothing_and_needs_no_secret(fake_rules):
    con = ibis.duckdb.connect()
    cfg = parse_alerts_text(BASE + "  - {id: hook, type: webhook, url_env: HOOK_URL, lang: zh}")
    res = run_alerts(cfg, con, dry_run=True, env={})
    assert res.counts()["would send"] == 2 and state.TABLE not in con.list_tables()
    assert "目标" in res.previews()[0]


def test_plain_http_webhook_refused_before_anything_is_sent(fake_rules):
    con = ibis.duckdb.connect()
    cfg = parse_alerts_text(BASE + "  - {id: hook, type: webhook, url_env: HOOK_URL}")
    with pytest.raises(ConfigError) as exc:
        run_alerts(cfg, con, env={"HOOK_URL": "http://hooks.example.com/x?token=TOPSECRET"})
    assert "must start with https://" in exc.value.message and "TOPSECRET" not in exc.value.message
    assert "http://hooks.example.com" in exc.value.message and state.TABLE not in con.list_tables()


def test_missing_secret_names_the_variable_only(fake_rules):
    cfg = parse_alerts_text(BASE + "  - {id: ding, type: dingtalk, url_env: D_URL, secret_env: D_SECRET}")
    with pytest.raises(ConfigError, match="environment variable D_SECRET is not set"):
        run_alerts(cfg, ibis.duckdb.connect(), env={"D_URL": "https://oapi.dingtalk.com/robot/send?access_token=x"})


def test_channel_rules_filter(fake_rules):
    cfg = parse_alerts_text("rules: [{id: behind, kind: target}, {id: other, kind: target}]\n"
                            "channels: [{id: hook, type: webhook, url_env: H, rules: [other]}]")
    assert run_alerts(cfg, ibis.duckdb.connect(), dry_run=True, env={}).deliveries == []


# --- the CLI -------------------------------------------------------------------------------------------------

def test_cli_bad_file_is_one_line_exit_2(tmp_path, capsys):
    from leadlab.cli import main

    bad = tmp_path / "alerts.yml"
    bad.write_text(BASE + "  - {id: c, type: telegram, url_env: U}", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["alerts", "run", "--config", str(bad), "--db", f"duckdb://{tmp_path / 's.duckdb'}"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "unknown type 'telegram'" in err
    assert "Traceback" not in err and not (tmp_path / "s.duckdb").exists()


def test_cli_missing_file_in_chinese(tmp_path, capsys):
    from leadlab.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["alerts", "run", "--lang", "zh", "--config", str(tmp_path / "nope.yml")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("错误：") and "nope.yml" in err
