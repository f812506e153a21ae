"""Alerts delivered: rules on targets, KPI control limits, experiments and scorer drift,
sent once per event to e-mail (SMTP + STARTTLS), WeCom, DingTalk, Feishu or a JSON webhook.

>>> from leadlab.alerts import parse_alerts_text
>>> parse_alerts_text("rules: [{id: r, kind: target}]\\nchannels: [{id: c, type: wecom, url_env: WECOM_URL}]").channels[0].type
'wecom'
"""

from __future__ import annotations

from leadlab.alerts.config import AlertsConfig, default_alerts_path, load_alerts, parse_alerts_text
from leadlab.alerts.events import Event
from leadlab.alerts.run import AlertsRun, run_alerts
from leadlab.alerts.section import SentAlerts, sent_alerts
from leadlab.alerts.transport import DeliveryError

__all__ = ["AlertsConfig", "AlertsRun", "DeliveryError", "Event", "SentAlerts", "default_alerts_path", "load_alerts",
           "parse_alerts_text", "run_alerts", "sent_alerts"]
