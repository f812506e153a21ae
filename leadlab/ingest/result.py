"""The result of one ingest: what was read and what changed in the store."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class IngestResult:
    """Rows inserted / updated / unchanged by one ingest, and how the file was read.

    >>> r = IngestResult("reps", Path("reps.csv"), "duckdb://s.duckdb", "csv", "utf-8", 3, 2, 1, 0)
    >>> print(r.summary().splitlines()[0])
    reps ← reps.csv: 3 rows — 2 inserted, 1 updated, 0 unchanged
    """

    table: str
    path: Path
    store: str
    format: str
    encoding: str | None
    rows: int
    inserted: int
    updated: int
    unchanged: int
    columns: dict[str, str] = field(default_factory=dict)  # file header -> canonical column
    ignored: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    pseudonymized: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for a terminal."""
        verb = "would be" if self.dry_run else ""
        counts = ", ".join(f"{n} {verb + ' ' if verb else ''}{w}" for n, w in (
            (self.inserted, "inserted"), (self.updated, "updated"), (self.unchanged, "unchanged")))
        lines = [f"{self.table} ← {self.path.name}: {self.rows} rows — {counts}"]
        enc = f", {self.encoding}" if self.encoding else ""
        lines.append(f"  read as {self.format}{enc}; store {self.store}; {self.seconds:.2f}s")
        renamed = {h: c for h, c in self.columns.items() if h != c}
        if renamed:
            shown = [f"{h} → {c}" for h, c in renamed.items()]
            more = f", +{len(shown) - 6} more" if len(shown) > 6 else ""
            lines.append(f"  renamed {len(shown)} column(s): " + ", ".join(shown[:6]) + more)
        if self.pseudonymized:
            lines.append("  pseudonymized (keyed hash): " + ", ".join(self.pseudonymized))
        if self.derived:
            lines.append("  derived from disposition: " + ", ".join(self.derived))
        if self.ignored:
            lines.append("  ignored (not canonical columns): " + ", ".join(self.ignored))
        if self.dry_run:
            lines.append("  dry run: nothing was written")
        return "\n".join(lines)

    def to_pandas(self) -> "pd.DataFrame":
        """One row per outcome (inserted / updated / unchanged) with its row count."""
        import pandas as pd

        return pd.DataFrame({
            "table": [self.table] * 3,
            "file": [self.path.name] * 3,
            "outcome": ["inserted", "updated", "unchanged"],
            "rows": [self.inserted, self.updated, self.unchanged],
        })

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{o}</td><td style='text-align:right'>{n:,}</td></tr>" for o, n in (
            ("inserted", self.inserted), ("updated", self.updated), ("unchanged", self.unchanged)))
        note = "<p><em>dry run: nothing was written</em></p>" if self.dry_run else ""
        return (f"<div><strong>{html.escape(self.table)} ← {html.escape(self.path.name)}</strong> "
                f"({self.rows:,} rows, {html.escape(self.format)}{', ' + html.escape(self.encoding) if self.encoding else ''})"
                f"<table><tr><th>outcome</th><th>rows</th></tr>{rows}</table>{note}</div>")

    def __str__(self) -> str:
        return self.summary()
