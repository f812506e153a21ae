"""Which alerts were sent: the leadlab-owned store table ``alerts_sent`` (created through
Ibis on first use), one row per event and channel, written only after a successful send.

A failed send writes nothing, so the next run tries again; a sent one is never sent again.

>>> import ibis
>>> con = ibis.duckdb.connect()
>>> sent_keys(con)
set()
>>> record(con, [{"event_key": "r|s|2026-10", "channel": "mail", "rule": "r", "kind": "target",
...               "subject": "s", "period": "2026-10", "facts": "{}", "lang": "en",
...               "period_start": pd.Timestamp("2026-10-01"), "period_end": pd.Timestamp("2026-11-01"),
...               "sent_at": pd.Timestamp("2026-11-05 09:00")}])
>>> sorted(sent_keys(con))
[('r|s|2026-10', 'mail')]
>>> len(sent_for(con, pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")))
1
"""

from __future__ import annotations

import ibis
import pandas as pd

TABLE = "alerts_sent"
SCHEMA = ibis.schema({"event_key": "string", "channel": "string", "rule": "string", "kind": "string",
                      "subject": "string", "period": "string", "facts": "string", "lang": "string",
                      "period_start": "timestamp", "period_end": "timestamp", "sent_at": "timestamp"})


def ensure_table(con: ibis.BaseBackend) -> None:
    if TABLE not in con.list_tables():
        con.create_table(TABLE, schema=SCHEMA)


def sent_keys(con: ibis.BaseBackend) -> set[tuple[str, str]]:
    """(event key, channel) pairs already sent (empty when the table does not exist yet)."""
    if TABLE not in con.list_tables():
        return set()
    t = con.table(TABLE).select("event_key", "channel").distinct().to_pyarrow()
    return set(zip(t.column("event_key").to_pylist(), t.column("channel").to_pylist()))


def record(con: ibis.BaseBackend, rows: list[dict]) -> None:
    """Append sent rows (one insert)."""
    if not rows:
        return
    ensure_table(con)
    frame = pd.DataFrame(rows, columns=list(SCHEMA.names))
    con.insert(TABLE, ibis.memtable(frame).cast(SCHEMA))


def sent_for(con: ibis.BaseBackend, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Rows sent by runs whose period overlaps ``[start, end)``, oldest first (an empty frame
    with the columns when none)."""
    if TABLE not in con.list_tables():
        return pd.DataFrame(columns=list(SCHEMA.names))
    t = con.table(TABLE)
    t = t.filter((t.period_start < end.to_pydatetime()) & (t.period_end > start.to_pydatetime()))
    return t.order_by(["sent_at", "event_key", "channel"]).to_pandas()
