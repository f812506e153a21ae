"""Alerts over real sockets on 127.0.0.1: WeCom/DingTalk/Feishu/JSON webhooks on a local HTTP
receiver (one that fails twice before succeeding, one that never answers), and e-mail through a
local aiosmtpd server with STARTTLS on a throwaway self-signed certificate.

Each case checks the promise: sent once (a second run sends nothing), and a failure records
nothing, so the next run sends it (no duplicate, no loss)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
from urllib.parse import parse_qs

import ibis
import pytest

from alerts_helpers import http_receiver, self_signed, silent_receiver, smtp_server
from leadlab.alerts import state
from leadlab.alerts.config import parse_alerts_text
from leadlab.alerts.events import Event
from leadlab.alerts.run import run_alerts
from leadlab.periods import parse_period

RULES = "rules:\n  - {id: behind, kind: target}\n"
FACTS = {"scope": "team", "name": "East", "kpi": "sql", "period": "2026-10", "status": "behind", "actual": 40.0,
         "target": 100.0, "projection": 60.0, "attainment": 0.6, "elapsed": 0.5, "final": False}
FAST = "retry: {attempts: 3, backoff_seconds: 0.5, timeout_seconds: 2}\n"


@pytest.fixture(autouse=True)
def one_event(monkeypatch):
    ev = Event("behind", "target", "team:East:sql", "2026-10", FACTS)
    monkeypatch.setattr("leadlab.alerts.run.evaluate",
                        lambda config, con, period: (parse_period("2026-10"), [ev], [], []))


def config(channel: str, extra: str = FAST):
    return parse_alerts_text(RULES + "channels:\n  - " + channel + "\n" + extra)


def test_wecom_sent_once(tmp_path):
    con = ibis.duckdb.connect(str(tmp_path / "s.duckdb"))
    with http_receiver() as (base, got, _calls):
        env = {"WECOM_URL": f"{base}/cgi-bin/webhook/send?key=K-SECRET"}
        cfg = config("{id: wecom, type: wecom, url_env: WECOM_URL, lang: zh}")
        first = run_alerts(cfg, con, env=env, sleep=lambda s: None)
        second = run_alerts(cfg, con, env=env, sleep=lambda s: None)
    assert [d.status for d in first.deliveries] == ["sent"] and [d.status for d in second.deliveries] == ["already sent"]
    assert len(got) == 1
    path, query, body = got[0]
    assert query == "key=K-SECRET" and body["msgtype"] == "markdown"
    assert body["markdown"]["content"].startswith("**East团队：2026年10月SQL数目标落后**\n")
    rows = state.sent_for(con, parse_period("2026-10").start, parse_period("2026-10").end)
    assert rows[["event_key", "channel", "lang"]].values.tolist() == [["behind|team:East:sql|2026-10", "wecom", "zh"]]


def test_dingtalk_signed_request_verified_by_receiver():
    secret, now = "SECtest-secret", 1767225600.123
    with http_receiver() as (base, got, _calls):
        env = {"D_URL": f"{base}/robot/send?access_token=TOK", "D_SECRET": secret}
        cfg = config("{id: ding, type: dingtalk, url_env: D_URL, secret_env: D_SECRET}")
        res = run_alerts(cfg, ibis.duckdb.connect(), env=env, clock=lambda: now)
    assert res.ok and len(got) == 1
    _path, query, body = got[0]
    q = parse_qs(query)
    ts = int(now * 1000)
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert q["timestamp"] == [str(ts)] and q["sign"] == [expected] and q["access_token"] == ["TOK"]
    assert body["msgtype"] == "markdown" and "team East" in body["markdown"]["text"]


def test_feishu_and_generic_webhook_bodies():
    with http_receiver(answer={"code": 0, "msg": "success"}) as (base, got, _calls):
        env = {"F_URL": f"{base}/open-apis/bot/v2/hook/HOOKTOKEN", "F_SECRET": "fs", "H_URL": f"{base}/hook"}
        cfg = parse_alerts_text(RULES + "channels:\n"
                                "  - {id: fei, type: feishu, url_env: F_URL, secret_env: F_SECRET, format: text}\n"
                                "  - {id: hook, type: webhook, url_env: H_URL}\n")
        res = run_alerts(cfg, ibis.duckdb.connect(), env=env, clock=lambda: 1767225600.9)
    assert res.ok and len(got) == 2
    fei = got[0][2]
    sign = base64.b64encode(hmac.new(b"1767225600\nfs", b"", hashlib.sha256).digest()).decode()
    assert fei["msg_type"] == "text" and fei["timestamp"] == "1767225600" and fei["sign"] == sign
    hook = got[1][2]
    assert hook["event_key"] == "behind|team:East:sql|2026-10" and hook["facts"]["actual"] == 40.0


def test_receiver_failing_twice_then_succeeding_is_retried_with_backoff():
    waits = []
    con = ibis.duckdb.connect()
    with http_receiver(fail_first=2, status=503) as (base, got, calls):
        cfg = config("{id: hook, type: webhook, url_env: H}",
                     "retry: {attempts: 4, backoff_seconds: 1, max_backoff_seconds: 30, timeout_seconds: 2}")
        res = run_alerts(cfg, con, env={"H": f"{base}/x"}, sleep=waits.append, seed=3)
    assert calls["n"] == 3 and len(got) == 1 and res.deliveries[0].attempts == 3
    assert len(waits) == 2 and 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0  # 1 s, 2 s × jitter in [0.5, 1]


def test_refusing_receiver_is_not_retried_and_event_stays_unsent():
    con = ibis.duckdb.connect()
    with http_receiver(answer={"errcode": 310000, "errmsg": "sign not match"}) as (base, got, calls):
        res = run_alerts(config("{id: hook, type: webhook, url_env: H}"), con, env={"H": f"{base}/x"})
    assert calls["n"] == 1 and [d.status for d in res.deliveries] == ["failed"]
    assert "errcode '310000'" in res.deliveries[0].error and state.sent_keys(con) == set()


def test_silent_receiver_times_out_then_next_run_delivers_once():
    con = ibis.duckdb.connect()
    cfg = config("{id: hook, type: webhook, url_env: H}", "retry: {attempts: 2, backoff_seconds: 0, timeout_seconds: 0.3}")
    with silent_receiver() as base:
        res = run_alerts(cfg, con, env={"H": f"{base}/hook?token=SHH"}, sleep=lambda s: None)
    d = res.deliveries[0]
    assert d.status == "failed" and not res.ok
    assert "no answer from http://127.0.0.1" in d.error and "0.3 s" in d.error and "SHH" not in d.error
    assert "\n" not in d.error and state.sent_keys(con) == set()
    with http_receiver() as (base, got, _calls):
        again = run_alerts(cfg, con, env={"H": f"{base}/hook"})
        third = run_alerts(cfg, con, env={"H": f"{base}/hook"})
    assert [x.status for x in again.deliveries] == ["sent"] and [x.status for x in third.deliveries] == ["already sent"]
    assert len(got) == 1


def test_email_over_starttls_with_login(tmp_path):
    pytest.importorskip("cryptography")
    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(cafile=str(cert))
    con = ibis.duckdb.connect()
    with smtp_server((cert, key)) as (port, messages):
        cfg = config("{id: mail, type: email, host: 127.0.0.1, port: %d, username_env: SMTP_USER, "
                     "password_env: SMTP_PASSWORD, from: leadlab@example.com, to: [boss@example.com], lang: zh}" % port)
        env = {"SMTP_USER": "ann", "SMTP_PASSWORD": "s3cret-pw"}
        res = run_alerts(cfg, con, env=env, ssl_context=ctx)
        again = run_alerts(cfg, con, env=env, ssl_context=ctx)
        assert res.ok and len(messages) == 1 and again.deliveries[0].status == "already sent"
        m = messages[0]
        assert m["To"] == "boss@example.com" and str(m["Subject"]) == "East团队：2026年10月SQL数目标落后"
        assert "目标100（预计达成率60%）" in m.get_content()


def test_email_refused_when_server_offers_no_starttls():
    with smtp_server(None) as (port, messages):
        cfg = config("{id: mail, type: email, host: 127.0.0.1, port: %d, from: a@example.com, to: [b@example.com]}" % port)
        res = run_alerts(cfg, ibis.duckdb.connect(), env={})
        plain = run_alerts(config("{id: relay, type: email, host: 127.0.0.1, port: %d, starttls: false, "
                                  "from: a@example.com, to: [b@example.com]}" % port), ibis.duckdb.connect(), env={})
    assert res.deliveries[0].status == "failed" and "does not offer STARTTLS" in res.deliveries[0].error
    assert plain.ok and len(messages) == 1  # an explicit plain relay on loopback is allowed


def test_plain_smtp_to_remote_host_is_a_config_error():
    from leadlab.errors import ConfigError

    cfg = config("{id: m, type: email, host: smtp.example.com, starttls: false, from: a@example.com, to: [b@example.com]}")
    with pytest.raises(ConfigError, match="starttls: false is allowed only for a loopback host"):
        run_alerts(cfg, ibis.duckdb.connect(), env={})
