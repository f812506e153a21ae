"""Write generated blocks into a fresh DuckDB file with the canonical schema, then swap it in.

Numbers travel as Arrow arrays; ids, category names, PII tokens and derived
flags are built by DuckDB in one ``INSERT ... SELECT`` per chunk. The store is
built in a temporary file beside the target and moved over it with
``os.replace`` only when everything is written, so a failed run leaves the old
store as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import sqlglot

from leadlab import store
from leadlab.errors import StoreError
from leadlab.i18n import _
from leadlab.schema import DISPOSITIONS
from leadlab.synth import model as M
from leadlab.synth.generate import SCRIPTS

def _ts(x: np.ndarray) -> pa.Array:
    x = np.asarray(x, dtype=np.int64)
    return pa.array(x, type=pa.timestamp("s"), mask=x < 0)


def _list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _bool_list(values) -> str:
    return "[" + ", ".join("true" if v else "false" for v in values) + "]"


def _id(expr: str, prefix: str, width: int) -> str:
    return f"'{prefix}' || lpad(CAST({expr} AS VARCHAR), {width}, '0')"


def _token(key: str, kind: str, raw: str) -> str:
    """A pseudonymized value as ingest writes it: tok_ + 16 hex of a keyed hash."""
    return f"'tok_' || left(sha256('{key}|{kind}|' || {raw}), 16)"


class DuckDBSink:
    """A temporary DuckDB store being filled; :meth:`commit` swaps it over ``target``."""

    def __init__(self, target: Path, *, lead_width: int, rep_width: int, pii_key: str):
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.target.with_name(f".{self.target.name}.synth-{os.getpid()}.tmp")
        _remove(self.tmp)
        self.ibis_con = ibis.duckdb.connect(str(self.tmp))
        store.ensure_tables(self.ibis_con)
        self.con = self.ibis_con.con
        # bounded memory: DuckDB would otherwise keep written blocks cached up to 80 % of RAM
        self.con.execute("SET memory_limit = '512MB'")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute("SET enable_progress_bar = false")  # leadlab shows its own
        self.lw, self.rw, self.key = lead_width, rep_width, pii_key

    # -- tables ---------------------------------------------------------------------------------
    def write_reps(self, floor) -> None:
        t = pa.table(
            {
                "rep": np.arange(floor.n),
                "team": floor.team,
                "hired": _ts(floor.hired_at),
                "cost": floor.hourly_cost,
            }
        )
        self.con.register("chunk_reps", t)
        self.con.execute(
            f"""INSERT INTO reps SELECT
                {_id('rep + 1', 'R', self.rw)},
                {_token(self.key, 'rep_name', "'Rep ' || CAST(rep AS VARCHAR)")},
                {_list(M.TEAMS)}[team + 1], CAST(hired AS DATE), cost
              FROM chunk_reps ORDER BY rep"""
        )
        self.con.unregister("chunk_reps")

    def write_block(self, leads: dict[str, np.ndarray], calls: dict[str, np.ndarray]) -> None:
        lt = pa.table(
            {
                "n": leads["lead_num"],
                "created": _ts(leads["created_at"]),
                "src": leads["source"],
                "camp": leads["campaign"],
                "region": leads["region"],
                "owner": leads["owner"],
                "size": leads["company_size"],
                "ind": leads["industry"],
                "job": leads["job_title"],
                "pv": leads["page_views"],
                "dl": leads["downloads"],
                "web": leads["webinar_attended"],
                "eo": leads["email_opens"],
                "prior": leads["prior_score"],
                "mql": _ts(leads["mql_at"]),
                "sql": _ts(leads["sql_at"]),
                "opp": _ts(leads["opportunity_at"]),
                "won": _ts(leads["won_at"]),
                "lost": _ts(leads["lost_at"]),
                "rev": pa.array(leads["revenue"], mask=np.isnan(leads["revenue"])),
                "person": leads["person"],
                "lead_arm": leads["lead_arm"],
                "rep_arm": leads["rep_arm"],
            }
        )
        self.con.register("chunk_leads", lt)
        lead_id = _id("n", "L", self.lw)
        self.con.execute(
            f"""INSERT INTO leads SELECT
                {lead_id}, created,
                {_list(M.SOURCE_NAMES)}[src + 1], {_list(M.CAMPAIGN_NAMES)}[camp + 1],
                {_list(M.TEAMS)}[region + 1], {_id('owner + 1', 'R', self.rw)},
                size, {_list(M.INDUSTRIES)}[ind + 1], {_list(M.JOB_TITLES)}[job + 1],
                pv, dl, web, eo, prior, mql, sql, opp, won, lost, rev,
                {_token(self.key, 'phone', "'+1-555-' || lpad(CAST(person % 10000000 AS VARCHAR), 7, '0') || '-' || CAST(person // 10000000 AS VARCHAR)")},
                {_token(self.key, 'email', "'contact' || CAST(person AS VARCHAR) || '@example.com'")},
                {_token(self.key, 'contact_name', "'Contact ' || CAST(person AS VARCHAR)")}
              FROM chunk_leads"""
        )
        self.con.execute(
            f"""INSERT INTO assignments SELECT '{M.LEAD_EXP}', 'lead', {lead_id}, ['A', 'B'][lead_arm + 1], created
              FROM chunk_leads WHERE lead_arm >= 0"""
        )
        self.con.unregister("chunk_leads")
        ct = pa.table(
            {
                "n": calls["lead_num"],
                "k": calls["attempt"],
                "rep": calls["rep"],
                "t": _ts(calls["started_at"]),
                "ring": calls["ring_seconds"],
                "talk": calls["talk_seconds"],
                "hold": calls["hold_seconds"],
                "wrap": calls["wrap_seconds"],
                "d": calls["disposition"],
                "s": calls["script"],
            }
        )
        self.con.register("chunk_calls", ct)
        self.con.execute(
            f"""INSERT INTO calls SELECT
                {_id('n * 100 + k', 'C', self.lw + 2)}, {lead_id}, {_id('rep + 1', 'R', self.rw)}, t,
                ring, talk, hold, wrap, {_list(DISPOSITIONS)}[d + 1],
                {_bool_list(c for c, _ in DISPOSITIONS.values())}[d + 1],
                {_bool_list(v for _, v in DISPOSITIONS.values())}[d + 1],
                {_list(SCRIPTS)}[s + 1]
              FROM chunk_calls"""
        )
        self.con.unregister("chunk_calls")

    def write_rep_assignments(self, floor, exp_start_s: int) -> None:
        sel = np.flatnonzero(floor.rep_arm >= 0)
        t = pa.table(
            {
                "rep": sel,
                "arm": floor.rep_arm[sel],
                "t_at": _ts(np.maximum(floor.hired_at[sel], exp_start_s)),
            }
        )
        self.con.register("chunk_ra", t)
        self.con.execute(
            f"""INSERT INTO assignments SELECT '{M.REP_EXP}', 'rep', {_id('rep + 1', 'R', self.rw)},
                ['A', 'B'][arm + 1], t_at FROM chunk_ra ORDER BY rep"""
        )
        self.con.unregister("chunk_ra")

    def write_frame(self, name: str, frame) -> None:
        """Append a small pandas DataFrame (experiments, spend) with canonical casts."""
        store.write_table(self.ibis_con, name, frame)

    # -- finishing --------------------------------------------------------------------------------
    def commit(self) -> None:
        self.con.execute("CHECKPOINT")
        self.ibis_con.disconnect()
        os.replace(self.tmp, self.target)
        _remove(Path(str(self.target) + ".wal"))

    def abort(self) -> None:
        try:
            self.ibis_con.disconnect()
        except Exception:  # pragma: no cover - best effort clean-up
            pass
        _remove(self.tmp)


def _remove(p: Path) -> None:
    for q in (p, Path(str(p) + ".wal")):
        try:
            q.unlink()
        except FileNotFoundError:
            pass


def store_has_data(path: Path) -> bool:
    """True when the DuckDB file at ``path`` holds rows in any table."""
    if not path.exists():
        return False
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:
        raise StoreError(_("cannot open store {path}: {reason}", path=str(path),
                           reason=str(exc).splitlines()[0])) from None
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, name in tables:
            target = sqlglot.exp.table_(name, db=schema, quoted=True).sql(dialect="duckdb")
            if con.execute(f"SELECT EXISTS (SELECT 1 FROM {target})").fetchone()[0]:
                return True
        return False
    finally:
        con.close()
