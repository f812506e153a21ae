"""What ``leadlab synth`` prints when it is done, in the current language.

The facts (counts, dates, paths, the oracle's numbers) come from :func:`leadlab.synth.synthesize`'s
ground truth and the store; the sentences are message templates (:mod:`leadlab.i18n`).

>>> truth = {"seconds": 2.21, "start": "2025-09-21", "end": "2026-11-20",
...          "experiments": {"EXP-LEAD-SCRIPT": {"started_at": "2026-07-21T00:00:00"}},
...          "oracle": {"sql_rate_observed": 0.111, "auc_p_sql": 0.7971},
...          "paths": {"ground_truth": "data/ground_truth.json", "ground_truth_leads": "data/ground_truth_leads.parquet"}}
>>> print("\\n".join(summary_lines(truth, {"reps": 12, "leads": 3000}, "duckdb://data/leadlab.duckdb", 42)))
wrote a synthetic operation to duckdb://data/leadlab.duckdb in 2.2 s (seed 42)
  leads created 2025-09-21 .. 2026-11-20; experiments started 2026-07-21
  reps                  12
  leads              3,000
  SQL rate 11.1%; oracle AUC of the true probability 0.797
ground truth: data/ground_truth.json
              data/ground_truth_leads.parquet
next: leadlab report all --period last-month
"""

from __future__ import annotations

import unicodedata

from leadlab.i18n import _, fmt

__all__ = ["summary_lines"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def summary_lines(truth: dict, counts: dict[str, int], store_shown: str, seed: int, db_hint: str = "") -> list[str]:
    """The lines printed after a synthetic store was written (``store_shown``: the redacted URL;
    ``db_hint``: the ``--db`` part of the suggested next command, empty for the default store)."""
    o = truth["oracle"]
    started = truth["experiments"]["EXP-LEAD-SCRIPT"]["started_at"][:10]
    lines = [
        _("wrote a synthetic operation to {store} in {seconds} s (seed {seed})",
          store=store_shown, seconds=fmt.number(truth["seconds"], 1), seed=str(seed)),
        "  " + _("leads created {start} .. {end}; experiments started {started}",
                 start=truth["start"], end=truth["end"], started=started),
    ]
    wide = max((len(name) for name in counts), default=0) + 2
    lines += [f"  {name:<{wide}}{fmt.number(n):>10}" for name, n in counts.items()]
    lines.append("  " + _("SQL rate {rate}; oracle AUC of the true probability {auc}",
                          rate=fmt.percent(o["sql_rate_observed"]), auc=fmt.number(o.get("auc_p_sql"), 3)))
    first = _("ground truth: {path}", path=truth["paths"]["ground_truth"])
    indent = _width(first) - _width(str(truth["paths"]["ground_truth"]))
    lines += [first, " " * indent + str(truth["paths"]["ground_truth_leads"])]
    lines.append(_("next: {command}", command=f"leadlab report all --period last-month{db_hint}"))
    return lines
