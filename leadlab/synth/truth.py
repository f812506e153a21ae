"""The ground truth: per-lead true probabilities and the true experiment effects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadlab.synth import model as M
from leadlab.synth.leads import sigmoid

ARMS = ("A", "B")


def lead_frame(parts: list[dict[str, np.ndarray]], lead_width: int, rep_ids: list[str]) -> pd.DataFrame:
    """Per-lead truth (``ground_truth_leads.parquet``) from the blocks' truth arrays."""
    # concatenate column by column, freeing the blocks' arrays as we go (bounded memory)
    cols = {k: np.concatenate([p.pop(k) for p in parts]) for k in list(parts[0])}
    process = cols["speed_effect"] + cols["script_effect"]
    mean_process = float(process.mean())
    arm_names = np.array([None, "A", "B"], dtype=object)
    df = pd.DataFrame(
        {
            "lead_id": "L" + pd.Series(cols["lead_num"]).astype(str).str.zfill(lead_width),
            "p_sql": cols["p_sql"],
            "p_sql_attributes": sigmoid(cols["logit_attributes"] + cols["rep_effect"] + mean_process),
            "logit_attributes": cols["logit_attributes"],
            "rep_effect": cols["rep_effect"],
            "speed_effect": cols["speed_effect"],
            "script_effect": cols["script_effect"],
            "response_minutes": cols["response_minutes"],
            "sql_drawn": cols["sql_drawn"],
            "sql_observed": cols["sql_observed"],
            "qualifying_call_in_window": cols["qualifying_call_in_window"],
            "lead_exp_arm": pd.array(arm_names[cols["lead_arm"] + 1], dtype="str"),
            "rep_exp_arm": pd.array(arm_names[cols["rep_arm"] + 1], dtype="str"),
            "rep_exp_call_arm": pd.array(arm_names[cols["rep_exp_call_arm"] + 1], dtype="str"),
            "owner_rep_id": pd.array(np.asarray(rep_ids, dtype=object)[cols["owner"]], dtype="str"),
            **{f"{n}_{a}": cols[f"{n}_{a}"] for n in ("p_sql", "exp_talk", "exp_calls") for a in ARMS},
        },
        copy=False,
    )
    df.attrs["mean_process_logit"] = mean_process
    return df


def _effect(control: float, treatment: float) -> dict:
    return {
        "control": control,
        "treatment": treatment,
        "absolute": treatment - control,
        "relative": treatment / control - 1 if control else None,
    }


def experiment_effects(df: pd.DataFrame, arm_col: str, per_rep: bool, call_col: str | None = None) -> dict:
    """True effects of B vs A over the experiment's units (see docs/synth.md).

    ``arm_col`` marks the leads whose SQL outcome the experiment can change; ``call_col``
    (default: the same) the leads whose dials count for the call metrics.
    """
    units = df[df[arm_col].notna()]
    dialled = df[df[call_col or arm_col].notna()]
    if units.empty:
        return {}
    obs = units["qualifying_call_in_window"].to_numpy(dtype=float)
    pa_, pb = units["p_sql_A"].to_numpy(), units["p_sql_B"].to_numpy()
    out = {
        "sql_rate": {"B": _effect(float(np.mean(pa_ * obs)), float(np.mean(pb * obs)))},
        "sql_rate_eventual": {"B": _effect(float(np.mean(pa_)), float(np.mean(pb)))},
        "talk_seconds_per_call": {
            "B": _effect(
                float(dialled["exp_talk_A"].sum() / dialled["exp_calls_A"].sum()),
                float(dialled["exp_talk_B"].sum() / dialled["exp_calls_B"].sum()),
            )
        },
    }
    if per_rep:
        g = pd.DataFrame({"rep": units["owner_rep_id"].to_numpy(), "a": pa_ * obs, "b": pb * obs}).groupby("rep").mean()
        out["sql_rate"]["B"]["per_rep_unweighted"] = _effect(float(g["a"].mean()), float(g["b"].mean()))
    return out


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties averaged); sklearn-free to keep start-up fast.

    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    y = np.asarray(y, dtype=bool)
    ranks = pd.Series(np.asarray(score, dtype=float)).rank(method="average").to_numpy()
    n1 = int(y.sum())
    n0 = len(y) - n1
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def oracle(df: pd.DataFrame) -> dict:
    """How well the true probabilities rank the observed SQL outcome."""
    y = df["sql_observed"].to_numpy()
    res = {
        "sql_rate_drawn": float(df["sql_drawn"].mean()),
        "sql_rate_observed": float(y.mean()),
        "mean_p_sql": float(df["p_sql"].mean()),
    }
    if 0 < y.sum() < len(y):
        res["auc_p_sql"] = float(roc_auc(y, df["p_sql"]))
        res["auc_p_sql_attributes"] = float(roc_auc(y, df["p_sql_attributes"]))
        drawn = df["sql_drawn"].to_numpy()
        res["auc_p_sql_vs_drawn"] = float(roc_auc(drawn, df["p_sql"]))
    res["sd_logit_attributes"] = float(df["logit_attributes"].std())
    return res


def lead_model_description(mean_process: float) -> dict:
    return {
        "target": "sql (sql_at not null)",
        "link": "logit",
        "formula": "logit(p_sql) = intercept + sum(coefficients * features) + industry + job_title + region"
        " + source_effects[source] + rep_effects[rep_id] + speed_to_lead_effects[bucket] + script effect",
        "intercept": M.INTERCEPT,
        "coefficients": {k: c for k, (_, c) in M.FEATURES.items()},
        "features": {k: f for k, (f, _) in M.FEATURES.items()},
        "categorical_effects": {
            "industry": {k: v[1] for k, v in M.INDUSTRIES.items()},
            "job_title": {k: v[1] for k, v in M.JOB_TITLES.items()},
            "region": dict(M.REGION_EFFECTS),
        },
        "source_effects": {k: s.logit_effect for k, s in M.SOURCES.items()},
        "speed_to_lead_buckets_minutes": list(M.SPEED_BUCKETS_MINUTES),
        "speed_to_lead_effects": dict(M.SPEED_EFFECTS),
        "rep_effect_sd": M.REP_SQL_SD,
        "script_effects": {
            M.LEAD_EXP: {a: v[0] for a, v in M.LEAD_EXP_ARMS.items()},
            M.REP_EXP: {a: v[0] for a, v in M.REP_EXP_ARMS.items()},
        },
        "p_sql_attributes": "sigmoid(intercept + features + industry + job_title + region + source + owner rep"
        " effect + mean_process_logit), mean_process_logit = mean over all leads of (speed-to-lead + script effect)",
        "mean_process_logit": mean_process,
    }
