"""Ingest rules of ``qa_reviews`` that depend on the QA form: the item is on the form, the score lies on
the item's scale, an inclusion probability is above 0, one reviewer per review.

Called by :func:`leadlab.ingest.validate.check_store` for the ``qa_reviews`` table; the form
(``data/qa.yml`` or the shipped example, :func:`leadlab.qa.form.default_form_path`) travels into
DuckDB as a registered Arrow table, never as SQL text.
"""

from __future__ import annotations

import pyarrow as pa

from leadlab.i18n import N_

FORM_TABLE = "_leadlab_qa_form"


def form_findings(db, stage: str, collect, fields, show, form=None) -> list:
    """Findings (see :mod:`leadlab.ingest.validate`) for the staged qa_reviews rows in ``stage``."""
    from leadlab.qa.form import load_form

    form = form or load_form()
    db.register(FORM_TABLE, pa.table({"item": [i.id for i in form.items], "lo": [i.min for i in form.items],
                                      "hi": [i.max for i in form.items]}))
    try:
        out = []
        f = collect(db, N_("item not in the QA form"), "item",
                    f"SELECT s._row, {fields(value=show('s.item'), form=_quote(form.source))} AS what FROM {stage} s "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {FORM_TABLE} q WHERE q.item = s.item)",
                    N_("{value} is not an item of the QA form {form}"),
                    N_("items of the form: {items}"), hint_fields={"items": ", ".join(form.item_ids)})
        out += [f] if f else []
        f = collect(db, N_("score outside the item's scale"), "score",
                    f"SELECT s._row, {fields(value='s.score', item='s.item', low='q.lo', high='q.hi')} AS what "
                    f"FROM {stage} s JOIN {FORM_TABLE} q ON q.item = s.item WHERE s.score < q.lo OR s.score > q.hi",
                    N_("score {value} of item {item} is outside its scale {low}-{high}"),
                    N_("each item's scale is set in the QA form (min, max)"))
        out += [f] if f else []
        f = collect(db, N_("inclusion probability of 0"), "inclusion_probability",
                    f"SELECT _row, {fields(value='inclusion_probability')} AS what FROM {stage} "
                    f"WHERE inclusion_probability <= 0",
                    N_("inclusion probability {value} must be above 0"),
                    N_("use the inclusion_probability column written by `leadlab qa sample`"))
        out += [f] if f else []
        f = collect(db, N_("review with two reviewers or calls"), "reviewer",
                    f"SELECT _row, {fields(review='review_id')} AS what FROM (SELECT _row, review_id, "
                    f"count(DISTINCT reviewer) OVER (PARTITION BY review_id) AS nr, "
                    f"count(DISTINCT call_id) OVER (PARTITION BY review_id) AS nc FROM {stage}) WHERE nr > 1 OR nc > 1",
                    N_("review {review} names more than one reviewer or call"),
                    N_("one review = one reviewer scoring one call; give a double review its own review_id"))
        out += [f] if f else []
        return out
    finally:
        db.unregister(FORM_TABLE)


def _quote(text: str) -> str:
    import sqlglot.expressions as sge

    return sge.Literal.string(text).sql("duckdb")
