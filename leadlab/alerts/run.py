"""``run_alerts``: evaluate the rules, send each new event to the channels that want it,
record what was sent. Idempotent: an (event, channel) pair recorded in ``alerts_sent`` is
never sent again; a failure records nothing, so the next run retries it.

>>> from leadlab.alerts.config import parse_alerts_text
>>> cfg = parse_alerts_text('''
... rules: [{id: behind, kind: target}]
... channels: [{id: hook, type: webhook, url_env: LEADLAB_TEST_HOOK}]
... ''')
>>> res = run_alerts(cfg, dry_run=True, period="2026-10")
>>> res.counts()["failed"], res.dry_run
(0, True)
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from leadlab.alerts import lock, payloads, state, texts, transport
from leadlab.alerts.config import AlertsConfig, Channel
from leadlab.alerts.events import Event, drift_events, experiment_events, facts_json, kpi_events, target_events
from leadlab.errors import ConfigError, LeadlabError
from leadlab.i18n import _, fmt, get_lang, ngettext, pgettext, use_lang
from leadlab.presentation import Result

STATUSES = ("sent", "failed", "already sent", "would send")


@dataclass
class Delivery:
    event: Event
    channel: str
    status: str  # one of STATUSES
    lang: str
    error: str = ""
    attempts: int = 0
    preview: str = ""  # the message as it would be sent (dry run)


@dataclass
class AlertsRun(Result):
    """What one run found and did (facts; words at render time)."""

    period: str
    dry_run: bool
    events: list[Event]
    deliveries: list[Delivery]
    rule_errors: list[tuple[str, str]] = field(default_factory=list)  # (rule id, one-line error)
    skipped_rules: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for d in self.deliveries:
            out[d.status] += 1
        return out

    @property
    def ok(self) -> bool:
        return not self.rule_errors and not any(d.status == "failed" for d in self.deliveries)

    def title(self) -> str:
        return _("Alerts for {period}", period=fmt.period_label(self.period))

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame([{"event_key": d.event.key, "rule": d.event.rule, "kind": d.event.kind,
                              "channel": d.channel, "status": d.status, "attempts": d.attempts, "error": d.error}
                             for d in self.deliveries],
                            columns=["event_key", "rule", "kind", "channel", "status", "attempts", "error"])

    def display_frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            pgettext("alerts table", "Alert"): [texts.title(d.event.kind, d.event.facts) for d in self.deliveries],
            pgettext("alerts table", "Channel"): [d.channel for d in self.deliveries],
            pgettext("alerts table", "Status"): [status_text(d.status) for d in self.deliveries]})

    def verdict(self) -> str:
        c = self.counts()
        if self.dry_run:
            return ngettext("Dry run: {n} message would be sent; nothing was sent or recorded.",
                            "Dry run: {n} messages would be sent; nothing was sent or recorded.",
                            c["would send"], n=fmt.number(c["would send"]))
        return _("{events} event(s) found; {sent} message(s) sent, {already} already sent before, {failed} failed.",
                 events=fmt.number(len(self.events)), sent=fmt.number(c["sent"]),
                 already=fmt.number(c["already sent"]), failed=fmt.number(c["failed"]))

    def notes(self) -> list[str]:
        out = [_("Rule {rule} was skipped: there is no trained lead scorer (data/models/lead_scorer.skops).", rule=r)
               for r in self.skipped_rules]
        if any(d.status == "failed" for d in self.deliveries):
            out.append(_("Failed messages stay unsent and are retried by the next run."))
        return out

    def previews(self) -> list[str]:
        """The messages a dry run would send, each headed by its channel."""
        return [f"--- {d.channel} [{d.lang}] {d.event.key}\n{d.preview}" for d in self.deliveries
                if d.status == "would send"]


def status_text(code: str) -> str:
    return {"sent": _("sent"), "failed": _("failed"), "already sent": _("already sent"),
            "would send": _("would send")}.get(code, code)


def evaluate(config: AlertsConfig, con, period: str):
    """(the period, every rule's events, rule errors, skipped rules): a rule that fails is
    reported, the others still run."""
    from leadlab.kpi import KpiData

    data = KpiData.from_store(con)
    per = data.period(period)
    events: list[Event] = []
    errors: list[tuple[str, str]] = []
    skipped: list[str] = []
    for rule in config.rules:
        try:
            if rule.kind == "target":
                events += target_events(rule, data, per.label)
            elif rule.kind == "kpi_signal":
                events += kpi_events(rule, data, per.label)
            elif rule.kind == "experiment":
                events += experiment_events(rule, con, per)
            else:
                found, skip = drift_events(rule, con, per.label)
                events += found
                if skip:
                    skipped.append(rule.id)
        except LeadlabError as exc:
            errors.append((rule.id, exc.message))
    return per, events, errors, skipped


def render(event: Event, lang: str) -> payloads.Message:
    with use_lang(lang):
        return payloads.Message(texts.title(event.kind, event.facts), texts.body(event.kind, event.facts),
                                texts.footer(), lang)


def _env(env: Mapping[str, str], name: str, where: str) -> str:
    value = env.get(name, "")
    if not value.strip():
        raise ConfigError(f"{where}: environment variable {name} is not set (it must hold the secret; "
                          "the file only names it)")
    return value


class Sender:
    """Sends one message to one channel, with retries; secrets read from ``env`` when needed."""

    def __init__(self, config: AlertsConfig, env: Mapping[str, str], sleep: Callable[[float], None],
                 seed: int | None, clock: Callable[[], float], ssl_context: ssl.SSLContext | None):
        self.retry, self.env, self.sleep, self.seed, self.clock = config.retry, env, sleep, seed, clock
        self.ssl_context = ssl_context

    def check(self, ch: Channel, *, require_secrets: bool = True) -> None:
        """ConfigError when a channel's secrets are missing (unless not ``require_secrets``:
        a dry run) or its URL is not allowed."""
        s = ch.settings
        where = f"{ch.where}, channel {ch.id}"
        if ch.type == "email":
            if not s.get("starttls", True) and not transport.is_loopback(s["host"]):
                raise ConfigError(f"{where}: starttls: false is allowed only for a loopback host (127.0.0.1, "
                                  "localhost); mail and passwords do not travel unencrypted")
            names = [s[k] for k in ("username_env", "password_env") if k in s]
        else:
            if self.env.get(s["url_env"], "").strip():
                transport.check_webhook_url(self.env[s["url_env"]], f"{where}, ${s['url_env']}")
            names = [s[k] for k in ("url_env", "secret_env") if k in s]
        if require_secrets:
            for name in names:
                _env(self.env, name, where)

    def send(self, ch: Channel, event: Event, msg: payloads.Message) -> int:
        s, what = ch.settings, f"channel {ch.id}"
        if ch.type == "email":
            mail = payloads.email(msg, s["from"], s["to"])
            user = self.env.get(s["username_env"]) if "username_env" in s else None
            pwd = self.env.get(s["password_env"]) if "password_env" in s else None
            return transport.with_retries(
                lambda: transport.send_email(mail, host=s["host"], port=s.get("port", 587),
                                             starttls=s.get("starttls", True), username=user, password=pwd,
                                             timeout=self.retry.timeout_seconds, context=self.ssl_context),
                self.retry, what=what, sleep=self.sleep, seed=self.seed)
        url = transport.check_webhook_url(self.env[s["url_env"]], f"{what}, ${s['url_env']}")
        secret = self.env.get(s["secret_env"]) if "secret_env" in s else None

        def attempt() -> None:  # a signature is valid for a limited time: sign each attempt anew
            target, body = url, None
            if ch.type == "wecom":
                body = payloads.wecom(msg)
            elif ch.type == "dingtalk":
                body = payloads.dingtalk(msg)
                if secret:
                    target = payloads.signed_dingtalk_url(url, secret, int(self.clock() * 1000))
            elif ch.type == "feishu":
                body = payloads.feishu(msg, s.get("format", "post"), secret, int(self.clock()) if secret else None)
            else:
                body = payloads.generic(msg, event, facts_json(event.facts))
            transport.post_json(target, body, timeout=self.retry.timeout_seconds)

        return transport.with_retries(attempt, self.retry, what=what, sleep=self.sleep, seed=self.seed)


def preview(ch: Channel, msg: payloads.Message) -> str:
    """The message as the channel would show it (dry run), secrets left out."""
    if ch.type == "email":
        return f"To: {', '.join(ch.settings['to'])}\nSubject: {msg.title}\n\n{msg.text}\n-- {msg.footer}"
    return f"{msg.title}\n{msg.text}\n{msg.footer}"


def run_alerts(config: AlertsConfig, con=None, *, period: str = "last-month", dry_run: bool = False,
               lang: str | None = None, env: Mapping[str, str] | None = None,
               sleep: Callable[[float], None] = time.sleep, seed: int | None = None,
               clock: Callable[[], float] = time.time, ssl_context: ssl.SSLContext | None = None,
               lock_path=None, lock_wait_seconds: float | None = None) -> AlertsRun:
    """Evaluate ``config``'s rules on the store for ``period`` and deliver new events.

    Language of a message: the channel's ``lang``, else the file's ``lang``, else ``lang``,
    else the current language (the CLI's ``--lang`` / ``$LEADLAB_LANG``). ``sleep``, ``seed`` (backoff jitter),
    ``clock`` (signature timestamps), ``env`` and ``ssl_context`` are injectable for tests.
    ``dry_run``: nothing is sent, nothing recorded, no table created; no secret is needed.
    A real run holds the project's alerts lock (:mod:`leadlab.alerts.lock`; ``lock_path``,
    ``lock_wait_seconds``) from evaluation to the last record, so two runs at once never send
    the same alert twice: the second waits, then finds it already sent."""
    from leadlab.store import connect

    con = con or connect()
    env = os.environ if env is None else env
    sender = Sender(config, env, sleep, seed, clock, ssl_context)
    for ch in config.channels:  # a missing secret or a plain-http URL stops the run before anything is sent
        sender.check(ch, require_secrets=not dry_run)
    if dry_run:
        return _run(config, con, period, True, lang, sender)
    wait = lock.WAIT_SECONDS if lock_wait_seconds is None else lock_wait_seconds
    with lock.run_lock(lock_path, wait_seconds=wait):
        return _run(config, con, period, False, lang, sender)


def _run(config: AlertsConfig, con, period: str, dry_run: bool, lang: str | None, sender: Sender) -> AlertsRun:
    """Evaluate, skip what was sent, send the rest and record each success (under the lock)."""
    from leadlab.kpi.data import business_now

    per, events, errors, skipped = evaluate(config, con, period)
    done = state.sent_keys(con)
    deliveries: list[Delivery] = []
    for ch in config.channels:
        wanted = [e for e in events if ch.wants(e.rule)]
        if not wanted:
            continue
        ch_lang = ch.lang or config.lang or lang or get_lang()
        new = [e for e in wanted if (e.key, ch.id) not in done]
        deliveries += [Delivery(e, ch.id, "already sent", ch_lang) for e in wanted if (e.key, ch.id) in done]
        if dry_run:
            deliveries += [Delivery(e, ch.id, "would send", ch_lang, preview=preview(ch, render(e, ch_lang)))
                           for e in new]
            continue
        for e in new:
            msg = render(e, ch_lang)
            try:
                used = sender.send(ch, e, msg)
            except LeadlabError as exc:
                deliveries.append(Delivery(e, ch.id, "failed", ch_lang, error=exc.message))
                continue
            state.record(con, [{"event_key": e.key, "channel": ch.id, "rule": e.rule, "kind": e.kind,
                                "subject": e.subject, "period": e.period, "facts": facts_json(e.facts),
                                "lang": ch_lang, "period_start": per.start, "period_end": per.end,
                                "sent_at": business_now()}])
            deliveries.append(Delivery(e, ch.id, "sent", ch_lang, attempts=used))
    return AlertsRun(per.label, dry_run, events, deliveries, errors, skipped)
