"""Load scoring data: the store's ``leads`` table or a CSV/DataFrame, plus the binary target.

A CSV may use ``,`` or ``;`` as delimiter; a target may be 0/1, true/false or yes/no.
Missing target values are counted, excluded and reported; a target that is not
binary, or has a single class, is refused with a :class:`~leadlab.errors.DataError`.

>>> import pandas as pd
>>> frame, y, info = prepare_target(pd.DataFrame({"y": ["yes", "no", None, "no"]}), "y")
>>> y.tolist(), info.n_missing_target
([1, 0, 0], 1)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from leadlab.errors import DataError, InsufficientDataError
from leadlab.i18n import N_, _, fmt, ngettext
from leadlab.scoring import text

POSITIVE = {"1", "1.0", "yes", "y", "true", "t", "won", "converted"}
NEGATIVE = {"0", "0.0", "no", "n", "false", "f", "lost", "not_converted"}

#: How the store's leads are named as a data source (translated where it is shown: ``text.source``).
STORE_SOURCE = N_("store table leads")
#: Store target names -> the lifecycle column whose presence is the outcome.
STORE_TARGETS = {"sql": "sql_at", "mql": "mql_at", "opportunity": "opportunity_at", "won": "won_at"}


@dataclass
class TargetInfo:
    """What happened to the target while preparing it."""

    name: str
    source: str
    n_rows: int
    n_missing_target: int = 0
    n_immature: int = 0
    maturity_days: int | None = None
    as_of: str | None = None
    positives: int = 0
    negatives: int = 0
    outcome_time_col: str | None = None
    notes: list[dict] = field(default_factory=list)  # facts with a "code" (rendered by text.note)


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV whose delimiter is ``,`` or ``;`` (sniffed from the first lines)."""
    path = Path(path)
    if not path.exists():
        raise DataError(_("{path}: file not found", path=str(path)))
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        head = fh.read(64_000)
    if not head.strip():
        raise DataError(_("{path}: the file is empty", path=str(path)))
    first = head.splitlines()[0]
    try:
        sep = csv.Sniffer().sniff(head, delimiters=",;").delimiter
    except csv.Error:
        sep = ";" if first.count(";") > first.count(",") else ","
    if first.count(";") > first.count(","):  # the header decides when the sniffer is unsure
        sep = ";"
    try:
        df = pd.read_csv(path, sep=sep, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(_("{path}: cannot parse as CSV ({problem})", path=str(path),
                          problem=str(exc).splitlines()[0])) from None
    df.attrs["source"] = str(path)
    df.attrs["delimiter"] = sep
    return df


def _as_binary(values: pd.Series, name: str, source: str) -> pd.Series:
    """Map a target column to 0/1 (NaN kept); DataError when it is not binary."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        distinct = set(pd.unique(values.dropna()))
        if distinct <= {0, 1}:
            return values.astype("float64")
        raise DataError(_("{source}, column {column}: the target must be binary (0/1, yes/no, true/false); found "
                          "values {values}", source=source, column=str(name),
                          values=text.listing(map(str, sorted(distinct)[:6]))))
    values_text = values.astype("string").str.strip().str.lower()
    values_text = values_text.mask(values_text == "")
    mapped = pd.Series(np.nan, index=values.index, dtype="float64")
    mapped[values_text.isin(POSITIVE).fillna(False).to_numpy(bool)] = 1.0
    mapped[values_text.isin(NEGATIVE).fillna(False).to_numpy(bool)] = 0.0
    bad = values_text.notna() & mapped.isna()
    if bad.any():
        first = bad.to_numpy().nonzero()[0][:3]
        raise DataError(ngettext(
            "{source}, column {column}: the target must be binary (0/1, yes/no, true/false); {n} row holds another "
            "value, e.g. {values} (rows {rows} of the file)",
            "{source}, column {column}: the target must be binary (0/1, yes/no, true/false); {n} rows hold other "
            "values, e.g. {values} (rows {rows} of the file)", int(bad.sum()),
            source=source, column=str(name), n=fmt.number(int(bad.sum())),
            values=text.listing(repr(str(values_text.iloc[i])) for i in first),
            rows=text.listing(str(i + 2) for i in first)))
    return mapped


def prepare_target(
    frame: pd.DataFrame, target: str, *, source: str | None = None
) -> tuple[pd.DataFrame, np.ndarray, TargetInfo]:
    """Split ``frame`` into features and a 0/1 target; rows with a missing target are dropped.

    Returns ``(features, y, info)``. Raises DataError when the column is missing or not
    binary, and InsufficientDataError when only one class is left.
    """
    raw_source = source or frame.attrs.get("source", "data")
    source = text.source(raw_source)
    if target not in frame.columns:
        raise DataError(_("{source}: no target column {target}; columns are {columns}", source=source,
                          target=repr(target), columns=text.listing(map(str, frame.columns[:30]))))
    y = _as_binary(frame[target], target, source)
    missing = y.isna().to_numpy()
    info = TargetInfo(name=target, source=raw_source, n_rows=len(frame), n_missing_target=int(missing.sum()))
    if info.n_missing_target:
        info.notes.append({"code": "missing_target", "n": info.n_missing_target, "target": str(target)})
    keep = ~missing
    features = frame.loc[keep].drop(columns=[target])
    yy = y.to_numpy()[keep].astype(np.int64)
    info.positives, info.negatives = int(yy.sum()), int(len(yy) - yy.sum())
    if info.positives == 0 or info.negatives == 0:
        only = _("1 (positive)") if info.negatives == 0 else _("0 (negative)")
        raise InsufficientDataError(_("{source}, column {column}: every row with a target has the class {only}; a "
                                      "scorer needs both outcomes", source=source, column=str(target), only=only))
    features.attrs.update(frame.attrs)
    return features, yy, info


def load_store_leads(
    con=None, *, target: str = "sql", maturity_days: int = 30, as_of: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, np.ndarray, TargetInfo]:
    """The store's leads as features + target, leaving out leads too young to have converted.

    ``target`` is ``sql`` (sql_at not null; also ``mql``, ``opportunity``, ``won``).
    ``as_of`` defaults to the latest activity in the store (max calls.started_at, else
    max leads.created_at); leads created less than ``maturity_days`` before it are excluded
    from training and evaluation, because they have not had time to convert.
    """
    from leadlab.store import connect, has_table, table

    if target not in STORE_TARGETS:
        from leadlab.errors import ConfigError

        raise ConfigError(_("unknown store target {target}; choose one of {choices}", target=repr(target),
                            choices=text.listing(STORE_TARGETS)))
    con = con or connect()
    leads = table(con, "leads")
    if as_of is None:
        as_of = store_as_of(con)
    df = leads.order_by("lead_id").to_pandas()  # ordered: bootstrap intervals must not depend on the backend
    if df.empty:
        raise InsufficientDataError(_("the store's leads table is empty; run `leadlab synth` or `leadlab ingest leads "
                                      "FILE`"))
    outcome = STORE_TARGETS[target]
    df["created_at"] = pd.to_datetime(df["created_at"])
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=maturity_days)
    mature = (df["created_at"] <= cutoff).to_numpy()
    y = df[outcome].notna().to_numpy().astype(np.int64)
    info = TargetInfo(
        name=target, source=STORE_SOURCE, n_rows=len(df), n_immature=int((~mature).sum()),
        maturity_days=maturity_days, as_of=str(pd.Timestamp(as_of)), outcome_time_col=outcome,
    )
    if info.n_immature:
        info.notes.append({"code": "immature", "n": info.n_immature, "cutoff": f"{cutoff:%Y-%m-%d}",
                           "maturity_days": int(maturity_days), "as_of": f"{pd.Timestamp(as_of):%Y-%m-%d}",
                           "outcome": outcome})
    df, y = df.loc[mature].reset_index(drop=True), y[mature]
    info.positives, info.negatives = int(y.sum()), int(len(y) - y.sum())
    if info.positives == 0 or info.negatives == 0:
        raise InsufficientDataError(_("store table leads: among {n} mature leads every one has target {target} = "
                                      "{value}; a scorer needs both outcomes", n=fmt.number(len(y)), target=target,
                                      value="1" if info.negatives == 0 else "0"))
    df.attrs["source"] = STORE_SOURCE
    df.attrs["outcome_time_col"] = outcome
    return df, y, info


def store_as_of(con) -> pd.Timestamp:
    """The latest activity in the store: max calls.started_at, else max leads.created_at."""
    from leadlab.store import has_table

    value = None
    if has_table(con, "calls"):
        value = con.table("calls").started_at.max().to_pandas()
    if value is None or pd.isna(value):
        value = con.table("leads").created_at.max().to_pandas()
    return pd.Timestamp(value)
