"""Validated ingest: CRM / dialer exports → canonical tables in the store.

One call reads a CSV / Excel / Parquet file (UTF-8, UTF-8 with BOM or
GB18030/GBK), renames its headers with an optional mapping, checks every rule
of :mod:`leadlab.schema` in DuckDB SQL (types, required values, minimums,
allowed values, duplicate keys, references to the store, calls before lead
creation, lifecycle order, one arm per unit), pseudonymizes phone numbers,
e-mails and names with a keyed hash, and upserts the rows in one transaction.
Any broken rule raises one :class:`~leadlab.errors.DataError` and writes nothing.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "reps.csv").write_text("rep_id,team,rep_name\\nR001,north,Ann Lee\\n")
>>> res = ingest_file("reps", folder / "reps.csv", url=f"duckdb://{folder}/s.duckdb", pii_key=b"k")
>>> (res.inserted, res.updated, res.unchanged)
(1, 0, 0)
>>> ingest_file("reps", folder / "reps.csv", url=f"duckdb://{folder}/s.duckdb", pii_key=b"k").unchanged
1
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
from tqdm import tqdm

from leadlab.errors import ConfigError, DataError, LeadlabError
from leadlab.ingest.context import StoreLink
from leadlab.ingest.decode import clean_stale_temp
from leadlab.ingest.load import diff, pending, write_together
from leadlab.ingest.mapping import ColumnMapping
from leadlab.ingest.pseudonymize import Pseudonymizer
from leadlab.ingest.readers import read_file, recover
from leadlab.ingest.result import IngestResult, mapped_notes, preview_rows
from leadlab.ingest.stages import (capture_implied, capture_inferred, inferred_stages, keep_earlier, merge_history,
                                   merged_leads)
from leadlab.ingest.transform import MAPPED, prepare
from leadlab.ingest.validate import (
    STAGE,
    TYPED,
    build_stage,
    build_typed,
    check_cells,
    check_columns,
    check_keys,
    check_store,
    pseudonymize,
    raise_findings,
)
from leadlab.schema import get_table
from leadlab.store import connect, redact_url, resolve_url

__all__ = ["ingest_file", "IngestResult", "ColumnMapping", "Pseudonymizer"]

RAW = "_leadlab_raw"


def ingest_file(
    table: str,
    path: str | Path,
    *,
    mapping: str | Path | ColumnMapping | dict | None = None,
    preset: str | None = None,
    encoding: str | None = None,
    url: str | None = None,
    backend=None,
    pii_key: bytes | None = None,
    dry_run: bool = False,
    progress: bool = False,
) -> IngestResult:
    """Validate ``path`` as canonical ``table`` and upsert it into the store at ``url``.

    ``mapping`` is a YAML mapping file (or a dict / :class:`ColumnMapping`: renames, value
    maps, parsers, lookups, derived lifecycle; see docs/ingest.md); ``preset`` names a shipped
    one (:func:`leadlab.ingest.presets.names`); ``encoding`` overrides detection; ``backend`` is an open Ibis connection
    (else ``url`` / ``$LEADLAB_DB`` / the default DuckDB file is opened); ``pii_key``
    overrides ``$LEADLAB_PII_KEY`` / the key file; ``dry_run`` checks without writing;
    ``progress`` shows the steps as a tqdm bar on stderr.
    Raises :class:`~leadlab.errors.DataError` (nothing written) when a rule is broken.
    """
    t0 = time.perf_counter()
    clean_stale_temp()  # decoded copies left by a crash of an earlier version
    spec = get_table(table)
    path = Path(path)
    if preset is not None and mapping is not None:
        raise ConfigError(_("give either --mapping or --preset, not both"))
    if preset is not None:
        from leadlab.ingest import presets

        cmap = presets.load(preset, table)
    elif isinstance(mapping, (str, Path)):
        cmap = ColumnMapping.load(mapping, table)
    elif isinstance(mapping, dict):
        cmap = ColumnMapping.from_dict(mapping, table)
    elif mapping is None:
        cmap = ColumnMapping(table)
    else:
        cmap = mapping
    if encoding is None and cmap.encoding:
        encoding = cmap.encoding
    own = backend is None
    store_url = resolve_url(url)
    if own:
        backend = connect(store_url)
    link = StoreLink(backend)
    bar = tqdm(total=6, desc=f"ingest {table}", unit="step", disable=not progress, leave=False)
    raw = None
    try:
        bar.set_postfix_str("read")
        raw = read_file(path, link.db, encoding=encoding, table=RAW)
        columns, ignored = cmap.resolve(raw.columns)
        tokenizer = Pseudonymizer(pii_key) if pii_key is not None else None
        try:
            prepared = prepare(link, raw, cmap, columns, tokenizer)
            check_columns(prepared.raw, spec, prepared.columns, mapping_used=bool(cmap.renames))
            bar.update()
            bar.set_postfix_str("types")
            stage = build_typed(link.db, prepared.raw, spec, prepared.columns, ignored, cmap.parsers,
                                prepared.carry)
        except duckdb.Error as exc:  # a CSV parse problem found only when every column is read
            recover(raw, exc, link.db)
            raise
        bar.update()
        bar.set_postfix_str("pseudonymize")
        pseudonymize(link.db, stage, tokenizer)
        bar.update()
        bar.set_postfix_str("check")
        mapped = prepared.findings(link.db, TYPED)
        told = {f.column for f in mapped}  # a value the mapping could not map: said once
        findings = mapped + [f for f in check_cells(link.db, stage) if f.column not in told]
        findings += check_keys(link.db, stage)
        target = build_stage(link, stage)
        if prepared.derived_lifecycle:
            keep_earlier(link, target, prepared.derived_lifecycle)
        findings += check_store(link, stage, target)
        if table == "lead_stages" and not findings:
            findings += merge_history(link)
        preview = preview_rows(link.db, spec) if dry_run else []
        try:
            raise_findings(raw, findings)
        except DataError as exc:
            exc.preview = preview
            raise
        bar.update()
        bar.set_postfix_str("compare")
        if prepared.derived_lifecycle:
            capture_inferred(link, prepared.derived_lifecycle)
        counts = diff(link, spec, target)
        bar.update()
        bar.set_postfix_str("write")
        also = {}
        if not dry_run:  # every table of this ingest in one transaction (all or nothing)
            parts = [pending(link, spec, counts)]
            if table == "lead_stages":
                also["leads"], leads_part = merged_leads(link)
                capture_implied(link)
                _counts, implied = inferred_stages(link)  # stages the history implies but does not give
                parts += [leads_part, implied]
            elif prepared.derived_lifecycle:
                also["lead_stages"], inferred = inferred_stages(link)
                parts.append(inferred)
            write_together(link, parts)
        bar.update()
        return IngestResult(
            table=table, path=path, store=redact_url(store_url) if own else backend.name,
            format=raw.format, encoding=raw.encoding, rows=raw.n_rows,
            inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
            columns=dict(columns), ignored=list(ignored), derived=list(stage.derived),
            pseudonymized=dict(stage.pseudonymized), dry_run=dry_run,
            mapped=mapped_notes(cmap), lifecycle=list(prepared.derived_lifecycle),
            also={k: (c.inserted, c.updated, c.unchanged) for k, c in also.items()}, preview=preview,
            seconds=time.perf_counter() - t0,
        )
    except LeadlabError:
        raise
    finally:
        bar.close()
        link.cleanup([RAW, TYPED, STAGE, "_leadlab_changed", MAPPED])
        if raw is not None:
            raw.close()
        if own:
            try:
                backend.disconnect()
            except Exception:
                pass
