"""Drift monitoring: population stability index (PSI) per feature and for the score,
calibration drift, and a retrain recommendation.

PSI = Σ (a − e) · ln(a / e) over bins, with e the reference (training window) share and a
the current share of each bin (shares floored at 1e-4). Bins: the reference deciles for
numbers (plus a bin for missing values), the reference categories (plus ``(other)``) for
categories. Thresholds: < 0.1 stable, 0.1–0.25 moderate shift, ≥ 0.25 major shift.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> prof = profile_column(rng.normal(size=5000))
>>> round(psi(prof, rng.normal(size=5000)), 3) < 0.1, psi(prof, rng.normal(1, 1, 5000)) > 0.25
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadlab.i18n import _, fmt, ngettext, pgettext
from leadlab.presentation import Result, in_period
from leadlab.scoring import text

MODERATE, MAJOR = 0.10, 0.25
FLOOR = 1e-4


def level(value: float, moderate: float = MODERATE, major: float = MAJOR) -> str:
    """``stable`` / ``moderate`` / ``major`` for a PSI value."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return "major" if value >= major else "moderate" if value >= moderate else "stable"


def psi_bars(ax, table: pd.DataFrame, *, xlabel: str, title: str):
    """Horizontal PSI bars of ``table`` (columns feature, psi, level) coloured by level, with the
    0.1 / 0.25 threshold lines; returns ``ax``."""
    from leadlab.plots import COLORS

    shade = {"major": COLORS["bad"], "moderate": COLORS["secondary"]}
    ax.barh(table.feature, table.psi, color=[shade.get(lv, COLORS["primary"]) for lv in table.level])
    ax.axvline(MODERATE, color=COLORS["neutral"], ls="--", lw=1)
    ax.axvline(MAJOR, color=COLORS["bad"], ls="--", lw=1)
    ax.set(xlabel=xlabel, title=title)
    return ax


def profile_column(values, *, categorical: bool = False, bins: int = 10, max_categories: int = 30) -> dict:
    """The reference distribution of one column as a JSON-able dict (bins and shares)."""
    s = pd.Series(values)
    n = max(len(s), 1)
    if categorical:
        text = s.astype("string").fillna("(missing)")
        counts = text.value_counts()
        top = counts.index[:max_categories].tolist()
        shares = (counts.loc[top] / n).tolist()
        other = 1 - sum(shares)
        return {"kind": "categorical", "categories": [str(c) for c in top], "shares": shares + [max(other, 0.0)]}
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    finite = v[~np.isnan(v)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if len(finite) else np.array([])
    counts = _numeric_counts(v, edges)
    return {"kind": "numeric", "edges": edges.tolist(), "shares": (counts / n).tolist()}


def _numeric_counts(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    miss = np.isnan(v)
    idx = np.searchsorted(edges, v[~miss], side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).astype(float)
    return np.append(counts, miss.sum())


def current_shares(profile: dict, values) -> np.ndarray:
    """Shares of ``values`` in the bins of ``profile``."""
    s = pd.Series(values)
    n = max(len(s), 1)
    if profile["kind"] == "categorical":
        text = s.astype("string").fillna("(missing)")
        cats = profile["categories"]
        counts = text.value_counts()
        shares = [float(counts.get(c, 0)) / n for c in cats]
        return np.array(shares + [max(1 - sum(shares), 0.0)])
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return _numeric_counts(v, np.asarray(profile["edges"], float)) / n


def psi(profile: dict, values) -> float:
    """Population stability index of ``values`` against the reference ``profile``."""
    e = np.maximum(np.asarray(profile["shares"], float), FLOOR)
    a = np.maximum(current_shares(profile, values), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def profile_frame(frame: pd.DataFrame, categorical: list[str], numeric: list[str]) -> dict[str, dict]:
    """Profiles of several columns (categorical ones by category, others by decile)."""
    out = {c: profile_column(frame[c], categorical=True) for c in categorical if c in frame}
    out.update({c: profile_column(frame[c]) for c in numeric if c in frame})
    return out


def psi_table(profiles: dict[str, dict], frame: pd.DataFrame, scores: np.ndarray | None = None,
              score_profile: dict | None = None) -> pd.DataFrame:
    """PSI per feature (and for the score), sorted largest first, with its level."""
    rows = [{"feature": c, "psi": psi(p, frame[c])} for c, p in profiles.items() if c in frame]
    if scores is not None and score_profile is not None:
        rows.append({"feature": "score", "psi": psi(score_profile, scores)})
    out = pd.DataFrame(rows, columns=["feature", "psi"])
    out["level"] = [level(v) for v in out["psi"]]
    return out.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


@dataclass
class CalibrationDrift:
    """Predicted vs observed conversion rate of mature leads in a window."""

    window: str
    leads: int
    predicted_rate: float
    observed_rate: float
    ece: float
    z: float
    note: dict | None = None  # why another window was checked (facts; text.calibration_note)

    @property
    def relative_gap(self) -> float:
        return (self.observed_rate - self.predicted_rate) / self.predicted_rate if self.predicted_rate else float("nan")

    @property
    def level(self) -> str:
        if self.leads < 100 or not np.isfinite(self.z) or abs(self.z) < 2:
            return "stable"
        gap = abs(self.relative_gap)
        return "major" if gap >= 0.25 else "moderate" if gap >= 0.10 else "stable"


def calibration_drift(y: np.ndarray, p: np.ndarray, window: str, note: dict | None = None) -> CalibrationDrift:
    from leadlab.scoring.evaluate import ece

    y, p = np.asarray(y, float), np.asarray(p, float)
    if len(y) == 0:
        return CalibrationDrift(window, 0, float("nan"), float("nan"), float("nan"), float("nan"), note)
    se = np.sqrt(np.sum(p * (1 - p))) / len(y)
    z = (y.mean() - p.mean()) / se if se > 0 else float("nan")
    return CalibrationDrift(window, len(y), float(p.mean()), float(y.mean()), ece(y, p), float(z), note)


def recommend(psis: pd.DataFrame, calib: CalibrationDrift | None, top_features: list[str] | None = None) -> tuple[str, list[dict]]:
    """``retrain`` / ``watch`` / ``no action`` and the reasons (facts with a ``code``; words from
    :func:`leadlab.scoring.text.monitor_reason`), from PSI levels and calibration drift.

    Retrain when the score's PSI or a top feature's PSI is major, or calibration drifted majorly;
    watch on any moderate signal (or a major shift in a minor feature)."""
    reasons: list[dict] = []
    action = "no action"
    top = set(top_features or psis.feature)
    for r in psis.itertuples():
        if r.level == "major" and (r.feature == "score" or r.feature in top):
            action = "retrain"
            reasons.append({"code": "major", "feature": r.feature, "psi": float(r.psi), "bar": MAJOR})
    if calib is not None and calib.level == "major":
        action = "retrain"
        reasons.append({"code": "calibration_major", "observed": calib.observed_rate,
                        "predicted": calib.predicted_rate, "window": calib.window})
    if action != "retrain":
        moderate = [r for r in psis.itertuples() if r.level in ("moderate", "major")]
        if moderate or (calib is not None and calib.level == "moderate"):
            action = "watch"
            reasons += [{"code": "moderate", "feature": r.feature, "level": r.level, "psi": float(r.psi)}
                        for r in moderate[:5]]
            if calib is not None and calib.level == "moderate":
                reasons.append({"code": "calibration_moderate", "observed": calib.observed_rate,
                                "predicted": calib.predicted_rate})
    if not reasons:
        worst = float(psis.psi.max()) if len(psis) else 0.0
        reasons.append({"code": "stable", "bar": MODERATE, "worst": worst})
    return action, reasons


@dataclass
class MonitorResult(Result):
    """Drift of a model between its training window and a recent period (facts; words at render time)."""

    model_version: str
    period: str
    leads: int
    training_window: tuple[str, str] | None
    psi: pd.DataFrame
    calibration: CalibrationDrift | None
    action: str
    reasons: list[dict]
    score_shares: pd.DataFrame
    unseen: dict[str, int] = field(default_factory=dict)

    def title(self) -> str:
        return _("Scorer {version}: drift in {period}", version=self.model_version,
                 period=fmt.period_label(self.period))

    def headline(self) -> str:
        """What was compared with what, in one sentence."""
        if self.training_window:
            return _("Model {version} checked against the {n} leads created in {period}, compared with its training "
                     "window {start} – {end}.", version=self.model_version, n=fmt.number(self.leads),
                     period=fmt.period_label(self.period), start=fmt.date(self.training_window[0]),
                     end=fmt.date(self.training_window[1]))
        return _("Model {version} checked against the {n} leads created in {period}.", version=self.model_version,
                 n=fmt.number(self.leads), period=fmt.period_label(self.period))

    def verdict(self) -> str:
        return _("{recommendation} {reasons}.", recommendation=text.recommendation(self.action),
                 reasons=_("; ").join(text.monitor_reason(r) for r in self.reasons))

    def calibration_sentence(self) -> str:
        """Predicted vs observed conversions of the mature window ("" when there is none)."""
        c = self.calibration
        if c is None or not c.leads:
            return ""
        return _("In {window} ({n} mature leads) the model predicted {predicted} conversions and {observed} happened "
                 "(z = {z}; calibration error {ece}): {level}.", window=fmt.period_label(c.window),
                 n=fmt.number(c.leads), predicted=fmt.percent(c.predicted_rate), observed=fmt.percent(c.observed_rate),
                 z=("+" if c.z > 0 else "") + fmt.number(c.z, 1), ece=text.auc(c.ece), level=text.level_label(c.level))

    def unseen_lines(self) -> list[str]:
        return [ngettext("{column}: {n} lead with a value never seen in training",
                         "{column}: {n} leads with a value never seen in training", v, column=str(k), n=fmt.number(v))
                for k, v in self.unseen.items()]

    def notes(self) -> list[str]:
        out = [self.headline()]
        if cal := self.calibration_sentence():
            out.append(cal)
        if self.calibration is not None and self.calibration.note:
            out.append(text.calibration_note(self.calibration.note))
        out += self.unseen_lines()
        return out

    def to_pandas(self) -> pd.DataFrame:
        return self.psi.copy()

    def display_frame(self) -> pd.DataFrame:
        return psi_display(self.psi)

    def to_dict(self) -> dict:
        c = self.calibration
        return {
            "model_version": self.model_version, "period": self.period, "leads": self.leads,
            "psi": {r.feature: round(r.psi, 4) for r in self.psi.itertuples()},
            "calibration": None if c is None else {"window": c.window, "leads": c.leads, "predicted_rate": c.predicted_rate,
                                                   "observed_rate": c.observed_rate, "ece": c.ece, "z": c.z, "level": c.level,
                                                   "note": c.note or None},
            "action": self.action, "reasons": self.reasons, "unseen_categories": self.unseen,
        }

    def plot(self, axes=None):
        """PSI per feature (with the 0.1 / 0.25 thresholds) and the score distribution then vs now."""
        import matplotlib.pyplot as plt

        from leadlab.plots import COLORS

        if axes is None:
            _fig, axes = plt.subplots(1, 2, figsize=(13, max(3.5, 0.3 * len(self.psi))))
        ax1, ax2 = axes
        d = self.psi.iloc[::-1]
        psi_bars(ax1, d, xlabel=_("PSI (population stability index)"), title=_("Drift per input"))
        s = self.score_shares
        x = np.arange(len(s))
        ax2.bar(x - 0.2, s.training, width=0.4, color=COLORS["neutral"], label=_("training window"))
        ax2.bar(x + 0.2, s.current, width=0.4, color=COLORS["primary"], label=fmt.period_label(self.period))
        ax2.set_xticks(x, s.bin, rotation=45, ha="right")
        ax2.set(ylabel=_("share of leads"), title=_("Score distribution (training deciles)"))
        ax2.set_ylim(0, 1.3 * max(s.training.max(), s.current.max()))
        ax2.legend(loc="upper center", ncols=2)
        return axes


def psi_display(table: pd.DataFrame) -> pd.DataFrame:
    """A PSI table (feature, psi, level) for people: localized headers, formatted numbers and levels."""
    return pd.DataFrame({
        pgettext("psi table", "Input"): [_("score") if f == "score" else str(f) for f in table.feature],
        pgettext("psi table", "PSI"): [text.psi(v, 3) for v in table.psi],
        pgettext("psi table", "Level"): [text.level_label(v) for v in table.level],
    })


def _score_shares(profile: dict, scores: np.ndarray) -> pd.DataFrame:
    edges = profile["edges"]
    labels = ([f"< {edges[0]:.3g}"] + [f"{a:.3g}–{b:.3g}" for a, b in zip(edges[:-1], edges[1:])]
              + [f"≥ {edges[-1]:.3g}", "missing"])  # score bins: numbers only, the same in every language
    cur = current_shares(profile, scores)
    out = pd.DataFrame({"bin": labels, "training": profile["shares"], "current": cur})
    return out[out.bin != "missing"].reset_index(drop=True)


def monitor_store(model, con=None, *, period: str = "last-month", as_of=None, top_features: int = 8) -> MonitorResult:
    """PSI per feature and for the score between ``model``'s training window and the leads
    created in ``period``, calibration on the most recent window whose leads are mature, and
    a retrain recommendation. ``as_of`` defaults to the latest activity in the store."""
    from leadlab.errors import InsufficientDataError
    from leadlab.periods import parse_period
    from leadlab.scoring.data import STORE_TARGETS, store_as_of
    from leadlab.store import connect, table

    con = con or connect()
    as_of = pd.Timestamp(as_of) if as_of is not None else store_as_of(con)
    p = parse_period(period, as_of=as_of)
    leads = table(con, "leads")
    model.check_columns(pd.DataFrame(columns=leads.columns), "store table leads")
    outcome = model.meta.get("outcome_time_col") or STORE_TARGETS.get(model.meta.get("target", ""), "sql_at")
    cols = list(dict.fromkeys(["lead_id", "created_at", outcome] + model.input_columns))
    cur = leads.filter(in_period(leads.created_at, p)).select(*cols).order_by("lead_id").to_pandas()
    if cur.empty:
        raise InsufficientDataError(_("no leads created in {period} ({start} – {end}); pick another --period",
                                      period=fmt.period_label(p.label), start=fmt.date(p.start),
                                      end=fmt.date(p.end - pd.Timedelta(days=1))))
    ref = model.meta["reference"]
    ff = model.scorer.features_
    X = ff.transform(cur[model.input_columns])
    scores = model.scorer.score_0_100(cur[model.input_columns])
    importance = model.meta.get("importance") or list(ref["features"])
    table_ = psi_table(ref["features"], X, scores, ref["score"])
    # calibration on the latest mature window of the same kind
    maturity = pd.Timedelta(days=model.meta.get("maturity_days") or 30)
    w, note = p, None
    while w.end > as_of - maturity:
        w = w.previous()
    if w != p:
        note = {"code": "too_recent", "period": p.label, "maturity_days": maturity.days,
                "as_of": f"{as_of:%Y-%m-%d}", "window": w.label}
    cal_rows = leads.filter((leads.created_at >= w.start) & (leads.created_at < w.end)).select(*cols).order_by("lead_id").to_pandas()
    calib = None
    if len(cal_rows):
        pc = model.scorer.predict_proba(cal_rows[model.input_columns])[:, 1]
        calib = calibration_drift(cal_rows[outcome].notna().to_numpy().astype(int), pc, w.label, note)
    action, reasons = recommend(table_, calib, importance[:top_features])
    window = model.meta.get("train_window")
    if window and model.meta.get("test_window"):
        window = (window[0], model.meta["test_window"][1])
    return MonitorResult(model.version, p.label, len(cur), tuple(window) if window else None, table_, calib, action,
                         reasons, _score_shares(ref["score"], scores), ff.unseen_counts(cur))
