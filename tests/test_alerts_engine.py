"""The alerts engine on the synthetic store: target events equal the targets computed
independently (SQL on the calls table), a planted shift fires a control-limit alert for that
KPI and week only, two runs at once send once (the project lock), a wrong SMTP password fails
fast with one clear line."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import ibis
import pytest

from alerts_helpers import http_receiver, self_signed, smtp_server
from leadlab.alerts import state
from leadlab.alerts.config import parse_alerts_text
from leadlab.alerts.events import Event
from leadlab.alerts.lock import run_lock
from leadlab.alerts.run import run_alerts
from leadlab.errors import ConfigError
from leadlab.kpi.targets import AT_RISK, ON_TRACK
from leadlab.periods import parse_period
from testkit import private_copy

HOOK = "channels:\n  - {id: hook, type: webhook, url_env: HOOK_URL}\n"


@pytest.fixture(scope="module")
def store(small_store, tmp_path_factory):
    url, db, folder = private_copy(small_store, tmp_path_factory, "alerts_engine")
    return db, folder


def _sql(db: Path, query: str, *params):
    con = duckdb.connect(str(db))
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def _dry(cfg_text: str, db: Path, period: str):
    con = ibis.duckdb.connect(str(db))
    try:
        return run_alerts(parse_alerts_text(cfg_text), con, period=period, dry_run=True, env={})
    finally:
        con.disconnect()


def test_target_events_equal_the_independently_computed_statuses(store, tmp_path):
    db, _ = store
    team = _sql(db, "SELECT team FROM reps ORDER BY team LIMIT 1")[0][0]
    oct_ = ("2026-10-01", "2026-11-01")
    team_dials = _sql(db, "SELECT count(*) FROM calls c JOIN reps r USING (rep_id) WHERE r.team = ? "
                          "AND c.started_at >= ?::TIMESTAMP AND c.started_at < ?::TIMESTAMP", team, *oct_)[0][0]
    dials, connected = _sql(db, "SELECT count(*), count(*) FILTER (WHERE connected) FROM calls "
                                "WHERE started_at >= ?::TIMESTAMP AND started_at < ?::TIMESTAMP", *oct_)[0]
    rate = connected / dials
    assert team_dials > 100 and 0 < rate < 1
    # October is over: projection = actual; attainment = actual / target
    targets = {  # subject -> (target value, expected status)
        f"team:{team}:dials": (round(team_dials / 0.5), "behind"),
        "company:dials": (round(dials / 0.95), "at risk"),
        "company:call_connect_rate": (round(rate * 0.8, 4), "on track"),
        f"team:{team}:call_connect_rate": (round(rate / 0.5, 4), "behind"),
    }
    lines = []
    for subject, (value, _status) in targets.items():
        scope, *rest = subject.split(":")
        name = f", name: {rest[0]}" if scope == "team" else ""
        lines.append(f"- {{scope: {scope}{name}, kpi: {rest[-1]}, period: 2026-10, value: {value}}}")
    tfile = tmp_path / "targets.yml"
    tfile.write_text("\n".join(lines) + "\n")
    for wanted in (["behind"], ["at risk"], ["behind", "at risk"]):
        cfg = (f"rules:\n  - {{id: t, kind: target, status: {wanted}, targets_file: '{tfile}'}}\n" + HOOK)
        res = _dry(cfg, db, "2026-10")
        got = sorted(e.subject for e in res.events)
        assert got == sorted(s for s, (_v, st) in targets.items() if st in wanted), (wanted, got)
        assert all(e.key == f"t|{e.subject}|2026-10" for e in res.events)
        assert [d.status for d in res.deliveries] == ["would send"] * len(got)
    # the thresholds the expected statuses rely on
    assert AT_RISK <= 0.95 < ON_TRACK and 0.5 < AT_RISK


def test_planted_shift_fires_a_control_limit_alert_for_that_kpi_and_week(store):
    db, _ = store
    week = parse_period("2026-W40")
    cfg = ("rules:\n  - {id: limits, kind: kpi_signal, kpis: [call_connect_rate, dials], "
           "signals: [outside normal variation]}\n" + HOOK)
    before = _dry(cfg, db, week.label)
    assert not [e for e in before.events if e.facts["kpi"] == "call_connect_rate"]
    # plant: remove three quarters of the week's connected calls (deterministic by call id)
    n_conn = _sql(db, "SELECT count(*) FROM calls WHERE connected AND started_at >= ? AND started_at < ?",
                  week.start.to_pydatetime(), week.end.to_pydatetime())[0][0]
    _sql(db, "DELETE FROM calls WHERE connected AND started_at >= ? AND started_at < ? AND hash(call_id) % 4 <> 0",
         week.start.to_pydatetime(), week.end.to_pydatetime())
    left = _sql(db, "SELECT count(*) FROM calls WHERE connected AND started_at >= ? AND started_at < ?",
                week.start.to_pydatetime(), week.end.to_pydatetime())[0][0]
    assert n_conn > 40 and left < 0.4 * n_conn
    after = _dry(cfg, db, week.label)
    fired = [e for e in after.events if e.facts["kpi"] == "call_connect_rate"]
    assert len(fired) == 1
    e = fired[0]
    assert e.kind == "kpi_signal" and e.period == week.label and e.key == f"limits|company:call_connect_rate|{week.label}"
    assert e.facts["value"] < e.facts["lower"]
    # the previous week is untouched: no alert there
    prev = _dry(cfg, db, week.shift(-1).label)
    assert not [x for x in prev.events if x.facts["kpi"] == "call_connect_rate"]


ONE = Event("behind", "target", "team:East:sql", "2026-10",
            {"scope": "team", "name": "East", "kpi": "sql", "period": "2026-10", "status": "behind", "actual": 40.0,
             "target": 100.0, "projection": 60.0, "attainment": 0.6, "elapsed": 0.5, "final": False})


@pytest.fixture
def one_event(monkeypatch):
    monkeypatch.setattr("leadlab.alerts.run.evaluate",
                        lambda config, con, period: (parse_period("2026-10"), [ONE], [], []))


def _two_runs_at_once(db: Path, base: str, lock_a: Path, lock_b: Path) -> list:
    cfg = parse_alerts_text("rules:\n  - {id: behind, kind: target}\n" + HOOK)
    results, errors = [None, None], []

    def run(i: int, lock: Path) -> None:
        con = ibis.duckdb.connect(str(db))  # one connection per run, one database
        try:
            results[i] = run_alerts(cfg, con, env={"HOOK_URL": f"{base}/hook"}, lock_path=lock, lock_wait_seconds=20)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            con.disconnect()

    threads = [threading.Thread(target=run, args=(0, lock_a)), threading.Thread(target=run, args=(1, lock_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_two_runs_at_once_send_once(one_event, tmp_path, monkeypatch):
    import leadlab.alerts.transport as transport

    real_post = transport.post_json

    def slow_post(*args, **kwargs):  # widen the race: a slow receiver
        time.sleep(0.4)
        return real_post(*args, **kwargs)

    monkeypatch.setattr(transport, "post_json", slow_post)
    # without a shared lock the race is real: both runs find the alert unsent and both send it
    racy = tmp_path / "racy.duckdb"
    con = ibis.duckdb.connect(str(racy))
    state.ensure_table(con)  # (two runs creating it at once would also collide)
    con.disconnect()
    with http_receiver() as (base, got, _calls):
        _two_runs_at_once(racy, base, tmp_path / "a.lock", tmp_path / "b.lock")
    assert len(got) == 2
    # with the project lock: the second run waits, then finds it sent
    db = tmp_path / "s.duckdb"
    lock = tmp_path / "data" / ".alerts.lock"
    with http_receiver() as (base, got, _calls):
        results = _two_runs_at_once(db, base, lock, lock)
    assert len(got) == 1
    assert sorted(d.status for r in results for d in r.deliveries) == ["already sent", "sent"]
    con = ibis.duckdb.connect(str(db))
    assert state.sent_keys(con) == {(ONE.key, "hook")}
    con.disconnect()


def test_a_run_that_cannot_get_the_lock_stops_with_one_line_and_sends_nothing(one_event, tmp_path):
    lock = tmp_path / ".alerts.lock"
    cfg = parse_alerts_text("rules:\n  - {id: behind, kind: target}\n" + HOOK)
    with http_receiver() as (base, got, calls), run_lock(lock, wait_seconds=0):
        with pytest.raises(ConfigError) as exc:
            run_alerts(cfg, ibis.duckdb.connect(), env={"HOOK_URL": f"{base}/hook"}, lock_path=lock,
                       lock_wait_seconds=0.3)
    assert str(lock) in exc.value.message and "another leadlab alerts run" in exc.value.message
    assert "\n" not in exc.value.message and calls["n"] == 0 and not got
    from leadlab.i18n import use_lang

    with use_lang("zh"), run_lock(lock, wait_seconds=0), pytest.raises(ConfigError) as zh:
        run_alerts(cfg, ibis.duckdb.connect(), env={"HOOK_URL": f"{base}/hook"}, lock_path=lock, lock_wait_seconds=0)
    assert "另一个 leadlab alerts run 仍在运行" in zh.value.message and str(lock) in zh.value.message
    # dry runs send nothing and need no lock
    with run_lock(lock, wait_seconds=0):
        assert run_alerts(cfg, ibis.duckdb.connect(), dry_run=True, env={}, lock_path=lock).dry_run


def test_wrong_smtp_password_fails_fast_once_and_records_nothing(one_event, tmp_path):
    pytest.importorskip("cryptography")
    import ssl

    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(cafile=str(cert))
    con = ibis.duckdb.connect()
    waits: list[float] = []
    with smtp_server((cert, key)) as (port, messages):
        cfg = parse_alerts_text(
            "rules:\n  - {id: behind, kind: target}\nchannels:\n"
            f"  - {{id: mail, type: email, host: 127.0.0.1, port: {port}, username_env: U, password_env: P, "
            "from: a@example.com, to: [b@example.com]}\nretry: {attempts: 3, backoff_seconds: 1, timeout_seconds: 3}\n")
        t0 = time.monotonic()
        res = run_alerts(cfg, con, env={"U": "ann", "P": "wrong-password"}, ssl_context=ctx, sleep=waits.append,
                         lock_path=tmp_path / ".alerts.lock")
        elapsed = time.monotonic() - t0
    d = res.deliveries[0]
    assert d.status == "failed" and not res.ok and not messages
    assert "refused the login (code 535)" in d.error and "wrong-password" not in d.error and "\n" not in d.error
    assert waits == []  # a refused login is not retried (it would fail again, and may lock the account)
    assert elapsed < 10 and state.sent_keys(con) == set()


def test_smtp_server_silent_after_a_wrong_login_times_out_with_one_line(one_event, tmp_path):
    pytest.importorskip("cryptography")
    import ssl

    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(cafile=str(cert))
    con = ibis.duckdb.connect()
    waits: list[float] = []
    with smtp_server((cert, key), answer_bad_login=False) as (port, messages):
        cfg = parse_alerts_text(
            "rules:\n  - {id: behind, kind: target}\nchannels:\n"
            f"  - {{id: mail, type: email, host: 127.0.0.1, port: {port}, username_env: U, password_env: P, "
            "from: a@example.com, to: [b@example.com]}\nretry: {attempts: 2, backoff_seconds: 0, timeout_seconds: 0.5}\n")
        t0 = time.monotonic()
        res = run_alerts(cfg, con, env={"U": "ann", "P": "wrong-password"}, ssl_context=ctx, sleep=waits.append,
                         lock_path=tmp_path / ".alerts.lock")
        elapsed = time.monotonic() - t0
    d = res.deliveries[0]
    assert d.status == "failed" and "gave no answer within 0.5 s" in d.error and "failed after 2 attempt(s)" in d.error
    assert "\n" not in d.error and elapsed < 8 and not messages and state.sent_keys(con) == set()
