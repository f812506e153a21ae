"""Small hand-made stores and notebooks for the report tests (no synthetic generator needed)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd


def make_tiny_store(path: Path, *, seed: int = 3, n_leads: int = 300, with_reps: bool = True) -> str:
    """A small store with leads (Sep-Nov 2026), calls and reps; returns its duckdb URL.

    Built-in defects for the data-quality checks: 5 leads never called, 2 leads sharing a
    phone, 3 connected calls with zero talk time.
    """
    from leadlab.store import connect, write_table

    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"duckdb://{path}"
    con = connect(url)
    created = pd.Timestamp("2026-09-01") + pd.to_timedelta(rng.integers(0, 80 * 24, n_leads), unit="h")
    sql = np.where(rng.random(n_leads) < 0.3, created + pd.Timedelta(days=3), pd.NaT)
    leads = pd.DataFrame({
        "lead_id": [f"L{i:05d}" for i in range(n_leads)],
        "created_at": created,
        "source": rng.choice(["web_form", "referral", "event"], n_leads),
        "rep_id": rng.choice(["R001", "R002", "R003"], n_leads),
        "sql_at": pd.to_datetime(sql),
        "phone": [f"tok{i}" for i in range(n_leads)],
    })
    leads.loc[1, "phone"] = leads.loc[0, "phone"]
    write_table(con, "leads", leads)
    rows = []
    for i, lead in enumerate(leads.itertuples()):
        if i < 5:
            continue  # never called
        for k in range(int(rng.integers(1, 4))):
            disp = str(rng.choice(["no_answer", "voicemail", "not_interested", "qualified", "callback"]))
            rows.append({"call_id": f"C{i:05d}-{k}", "lead_id": lead.lead_id, "rep_id": lead.rep_id,
                         "started_at": lead.created_at + pd.Timedelta(hours=2 + 24 * k),
                         "talk_seconds": 0.0 if disp in ("no_answer", "voicemail") else float(rng.integers(30, 600)),
                         "disposition": disp})
    calls = pd.DataFrame(rows)
    zero = calls.index[calls.disposition == "qualified"][:3]
    calls.loc[zero, "talk_seconds"] = 0.0
    write_table(con, "calls", calls)
    if with_reps:
        write_table(con, "reps", pd.DataFrame({"rep_id": ["R001", "R002", "R003"], "team": ["North", "North", "South"]}))
    con.disconnect()
    return url


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """A notebook whose first cell (tagged parameters) is ``parameters``, then code ``cells``."""
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(parameters)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
