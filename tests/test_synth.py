"""The synthetic data generator: schema, integrity, determinism, ground truth, safety, CLI."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import leadlab.synth as synth_pkg
from leadlab import store
from leadlab.errors import ConfigError
from leadlab.schema import DISPOSITIONS, TABLES
from leadlab.synth import model as M
from leadlab.synth import synthesize


def query(url: str, sql: str) -> pd.DataFrame:
    con = store.connect(url)
    try:
        return con.con.execute(sql).df()
    finally:
        con.disconnect()


def scalar(url: str, sql: str):
    return query(url, sql).iloc[0, 0]


def leads_with_truth(s) -> pd.DataFrame:
    leads = query(s.url, "SELECT * FROM leads")
    truth = pd.read_parquet(s.truth_leads_path)
    return leads.merge(truth, on="lead_id", validate="one_to_one")


def _digest(url: str) -> dict[str, str]:
    """A content digest of every canonical table."""
    out = {}
    for name, t in TABLES.items():
        df = query(url, f"SELECT * FROM {name} ORDER BY {', '.join(t.key)}")
        out[name] = hashlib.sha256(pd.util.hash_pandas_object(df.astype(str), index=False).values.tobytes()).hexdigest()
    return out


@pytest.mark.parametrize(
    "name", ["leadlab.synth", "leadlab.synth.model", "leadlab.synth.clock", "leadlab.synth.reps", "leadlab.synth.leads", "leadlab.synth.truth"]
)
def test_doctests(name):
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(name)).failed == 0


# -- schema and integrity -------------------------------------------------------------------------


def test_tables_have_the_canonical_columns_and_types(small_store):
    con = store.connect(small_store.url)
    try:
        for name, spec in TABLES.items():
            schema = con.table(name).schema()
            assert list(schema.names) == spec.names, name
            for col in spec.columns:
                got, want = schema[col.name], col.ibis_type
                if want.is_timestamp():
                    assert got.is_timestamp(), (name, col.name, got)
                else:
                    assert got == want, (name, col.name, got, want)
            for col in spec.columns:
                if not col.nullable:
                    n_null = con.con.execute(f"SELECT count(*) FROM {name} WHERE {col.name} IS NULL").fetchone()[0]
                    assert n_null == 0, (name, col.name)
                if col.min_value is not None:
                    low = con.con.execute(f"SELECT count(*) FROM {name} WHERE {col.name} < {col.min_value}").fetchone()[0]
                    assert low == 0, (name, col.name)
                if col.allowed:
                    allowed = ", ".join(f"'{a}'" for a in col.allowed)
                    bad = con.con.execute(f"SELECT count(*) FROM {name} WHERE {col.name} NOT IN ({allowed})").fetchone()[0]
                    assert bad == 0, (name, col.name)
    finally:
        con.disconnect()


def test_row_counts_and_sizes(small_store):
    t = small_store.truth
    assert scalar(small_store.url, "SELECT count(*) FROM leads") == 5000 == t["n_leads"]
    n_calls = scalar(small_store.url, "SELECT count(*) FROM calls")
    assert n_calls == t["n_calls"]
    assert 4.0 <= n_calls / 5000 <= 6.0
    assert scalar(small_store.url, "SELECT count(*) FROM reps") == 12  # at least 12 reps
    assert set(query(small_store.url, "SELECT DISTINCT team FROM reps")["team"]) == set(M.TEAMS)
    assert scalar(small_store.url, "SELECT count(*) FROM lead_scores") == 0


@pytest.mark.parametrize(
    "name, sql",
    [
        ("duplicate lead ids", "SELECT count(*) - count(DISTINCT lead_id) FROM leads"),
        ("duplicate call ids", "SELECT count(*) - count(DISTINCT call_id) FROM calls"),
        ("duplicate rep ids", "SELECT count(*) - count(DISTINCT rep_id) FROM reps"),
        ("duplicate assignments", "SELECT count(*) - count(DISTINCT (experiment_id, unit_id)) FROM assignments"),
        ("duplicate spend rows", "SELECT count(*) - count(DISTINCT (date, source, campaign)) FROM spend"),
        ("calls of unknown leads", "SELECT count(*) FROM calls c ANTI JOIN leads l USING (lead_id)"),
        ("calls by unknown reps", "SELECT count(*) FROM calls c ANTI JOIN reps r USING (rep_id)"),
        ("leads of unknown reps", "SELECT count(*) FROM leads l ANTI JOIN reps r USING (rep_id)"),
        ("lead units unknown", "SELECT count(*) FROM assignments a ANTI JOIN leads l ON a.unit_id = l.lead_id WHERE unit_type = 'lead'"),
        ("rep units unknown", "SELECT count(*) FROM assignments a ANTI JOIN reps r ON a.unit_id = r.rep_id WHERE unit_type = 'rep'"),
        ("assignments of unknown experiments", "SELECT count(*) FROM assignments ANTI JOIN experiments USING (experiment_id)"),
        ("calls before lead creation", "SELECT count(*) FROM calls JOIN leads USING (lead_id) WHERE started_at <= created_at"),
        ("calls before the rep was hired", "SELECT count(*) FROM calls JOIN reps USING (rep_id) WHERE CAST(started_at AS DATE) < hired_at"),
        ("calls after the end", "SELECT count(*) FROM calls WHERE started_at >= TIMESTAMP '2026-11-21'"),
        ("calls outside business hours", "SELECT count(*) FROM calls WHERE hour(started_at) NOT BETWEEN 8 AND 18 OR isodow(started_at) > 5"),
        ("mql not after creation", "SELECT count(*) FROM leads WHERE mql_at <= created_at"),
        ("sql not after mql", "SELECT count(*) FROM leads WHERE sql_at IS NOT NULL AND (mql_at IS NULL OR sql_at <= mql_at)"),
        ("opportunity not after sql", "SELECT count(*) FROM leads WHERE opportunity_at IS NOT NULL AND (sql_at IS NULL OR opportunity_at <= sql_at)"),
        ("won not after opportunity", "SELECT count(*) FROM leads WHERE won_at IS NOT NULL AND (opportunity_at IS NULL OR won_at <= opportunity_at)"),
        ("lost before creation", "SELECT count(*) FROM leads WHERE lost_at < created_at"),
        ("won and lost", "SELECT count(*) FROM leads WHERE won_at IS NOT NULL AND lost_at IS NOT NULL"),
        ("revenue without a win", "SELECT count(*) FROM leads WHERE (revenue IS NOT NULL) <> (won_at IS NOT NULL)"),
        ("funnel after the end", "SELECT count(*) FROM leads WHERE greatest(mql_at, sql_at, opportunity_at, won_at, lost_at) >= TIMESTAMP '2026-11-21'"),
        ("leads outside the window", "SELECT count(*) FROM leads WHERE created_at < TIMESTAMP '2025-09-21' OR created_at >= TIMESTAMP '2026-11-21'"),
        ("owner not in the lead's region team", "SELECT count(*) FROM leads JOIN reps USING (rep_id) WHERE team <> region"),
        ("calls not by the owner", "SELECT count(*) FROM calls c JOIN leads l USING (lead_id) WHERE c.rep_id <> l.rep_id"),
        ("negative spend", "SELECT count(*) FROM spend WHERE amount < 0"),
    ],
)
def test_integrity_rule(small_store, name, sql):
    assert scalar(small_store.url, sql) == 0, name


def test_flags_follow_the_dispositions(small_store):
    df = query(small_store.url, "SELECT DISTINCT disposition, connected, conversation FROM calls")
    assert set(df["disposition"]) == set(DISPOSITIONS), "every disposition occurs"
    for row in df.itertuples():
        assert (row.connected, row.conversation) == DISPOSITIONS[row.disposition]
    zero = query(small_store.url, "SELECT max(talk_seconds) m FROM calls WHERE disposition IN ('no_answer', 'busy')")
    assert zero["m"].iloc[0] == 0


def test_rare_dispositions_have_realistic_shares(demo_store):
    df = query(demo_store.url, "SELECT disposition, count(*) n FROM calls WHERE connected GROUP BY 1").set_index("disposition")["n"]
    share = df / df.sum()
    assert 0.001 < share["do_not_call"] < 0.01
    assert 0.0003 < share["complaint"] < 0.005
    conv = query(demo_store.url, "SELECT median(talk_seconds) m FROM calls WHERE conversation")["m"].iloc[0]
    assert 60 < conv < 600, "conversations last minutes"


def test_sql_leads_have_exactly_one_qualified_call_at_sql_time(small_store):
    df = query(
        small_store.url,
        """SELECT l.lead_id, l.sql_at, count(c.call_id) FILTER (WHERE c.disposition = 'qualified') n_q,
                  max(c.started_at) FILTER (WHERE c.disposition = 'qualified') t_q,
                  max(c.started_at) last_call
           FROM leads l LEFT JOIN calls c USING (lead_id) GROUP BY ALL""",
    )
    sql = df[df["sql_at"].notna()]
    assert len(sql) > 100
    assert (sql["n_q"] == 1).all()
    assert (sql["t_q"] == sql["sql_at"]).all()
    assert (sql["last_call"] == sql["sql_at"]).all(), "no dials after qualification"
    assert (df.loc[df["sql_at"].isna(), "n_q"] == 0).all()


def test_pii_is_pseudonymized_with_a_few_duplicate_phones(small_store):
    leads = query(small_store.url, "SELECT phone, email, contact_name FROM leads")
    for col in leads:
        assert leads[col].str.fullmatch(r"tok_[0-9a-f]{16}").all(), col
    dup = 1 - leads["phone"].nunique() / len(leads)
    assert 0.005 < dup < 0.05
    reps = query(small_store.url, "SELECT rep_name FROM reps")
    assert reps["rep_name"].str.fullmatch(r"tok_[0-9a-f]{16}").all()


def test_spend_matches_cost_per_lead(small_store):
    df = query(
        small_store.url,
        """SELECT s.source, s.amount, l.n FROM (SELECT source, sum(amount) amount FROM spend GROUP BY 1) s
           JOIN (SELECT source, count(*) n FROM leads GROUP BY 1) l USING (source)""",
    )
    for row in df.itertuples():
        assert row.amount / row.n == pytest.approx(M.SOURCES[row.source].cost_per_lead, rel=0.03), row.source
    per_day = query(
        small_store.url,
        """SELECT s.date, s.campaign, s.amount, count(l.lead_id) n FROM spend s JOIN leads l
             ON l.campaign = s.campaign AND CAST(l.created_at AS DATE) = s.date GROUP BY ALL""",
    )
    assert len(per_day) == scalar(small_store.url, "SELECT count(*) FROM spend"), "every spend row has leads that day"


# -- experiments ------------------------------------------------------------------------------------


def test_experiment_design(small_store):
    exps = query(small_store.url, "SELECT * FROM experiments ORDER BY experiment_id").set_index("experiment_id")
    assert list(exps.index) == [M.LEAD_EXP, M.REP_EXP]
    assert exps.loc[M.LEAD_EXP, "unit_type"] == "lead" and exps.loc[M.REP_EXP, "unit_type"] == "rep"
    assert (exps["control_arm"] == "A").all() and exps["ended_at"].isna().all()
    start = exps.loc[M.LEAD_EXP, "started_at"]
    assert start == pd.Timestamp("2026-07-21")
    units = query(
        small_store.url,
        f"""SELECT l.lead_id, l.region, l.created_at, a.arm, a.assigned_at FROM leads l
            LEFT JOIN assignments a ON a.unit_id = l.lead_id AND a.experiment_id = '{M.LEAD_EXP}'""",
    )
    expected = (units["created_at"] >= start) & units["region"].isin(M.LEAD_EXP_TEAMS)
    assert (units["arm"].notna() == expected).all(), "the lead experiment holds exactly the new North/South leads"
    inside = units[expected]
    assert (inside["assigned_at"] == inside["created_at"]).all()
    n_b = (inside["arm"] == "B").sum()
    assert stats.binomtest(n_b, len(inside), 0.5).pvalue > 0.001, "50/50 split"
    reps = query(
        small_store.url,
        f"SELECT r.rep_id, r.team, a.arm FROM reps r LEFT JOIN assignments a ON a.unit_id = r.rep_id AND a.experiment_id = '{M.REP_EXP}'",
    )
    assert (reps["arm"].notna() == reps["team"].isin(M.REP_EXP_TEAMS)).all()
    counts = reps["arm"].value_counts()
    assert abs(counts["A"] - counts["B"]) <= 2


def test_script_column_shows_the_arm(small_store):
    df = query(
        small_store.url,
        f"""SELECT c.script, la.arm lead_arm, ra.arm rep_arm, c.started_at >= ra.assigned_at rep_active,
                   l.created_at >= ra.assigned_at new_lead
            FROM calls c JOIN leads l USING (lead_id)
            LEFT JOIN assignments la ON la.unit_id = c.lead_id AND la.experiment_id = '{M.LEAD_EXP}'
            LEFT JOIN assignments ra ON ra.unit_id = c.rep_id AND ra.experiment_id = '{M.REP_EXP}'""",
    )
    lead = df["lead_arm"].notna()
    assert (df.loc[lead, "script"] == "lead-script-" + df.loc[lead, "lead_arm"]).all()
    # a rep in the rep test uses the arm's script on every dial from the assignment on
    rep = df["rep_active"].fillna(False).astype(bool)
    assert (df.loc[rep, "script"] == "rep-script-" + df.loc[rep, "rep_arm"]).all()
    assert (df.loc[~lead & ~rep, "script"] == M.STANDARD_SCRIPT).all()
    assert not (lead & df["rep_arm"].notna()).any(), "the two experiments never share a lead or a rep"
    assert (df.loc[rep, "new_lead"] == False).sum() > 0, "dials on older leads carry the rep's script too"  # noqa: E712


def _rate_diff_ci(y_b, y_a, z=3.29):
    d = y_b.mean() - y_a.mean()
    se = math.sqrt(y_b.var(ddof=1) / len(y_b) + y_a.var(ddof=1) / len(y_a))
    return d - z * se, d + z * se


def test_lead_experiment_true_effect_inside_the_estimate_ci(demo_store):
    truth = demo_store.truth["experiments"][M.LEAD_EXP]["true_effects"]
    df = leads_with_truth(demo_store)
    units = df[df["lead_exp_arm"].notna()]
    y = units["sql_at"].notna().astype(float)
    lo, hi = _rate_diff_ci(y[units["lead_exp_arm"] == "B"], y[units["lead_exp_arm"] == "A"])
    assert lo < truth["sql_rate"]["B"]["absolute"] < hi
    assert truth["sql_rate"]["B"]["absolute"] > 0.01, "a real positive effect"
    # the truth is the mean over all units of p_B - p_A (censored at the window end)
    obs = units["qualifying_call_in_window"].astype(float)
    assert truth["sql_rate"]["B"]["absolute"] == pytest.approx(((units["p_sql_B"] - units["p_sql_A"]) * obs).mean())


def test_talk_time_truth_matches_the_realized_calls(demo_store):
    """The expected talk per dial (from the potential-outcome model) matches each arm's realized ratio."""
    truth = demo_store.truth["experiments"][M.LEAD_EXP]["true_effects"]["talk_seconds_per_call"]["B"]
    per_lead = query(
        demo_store.url,
        f"""SELECT a.arm, a.unit_id, count(*) n, sum(c.talk_seconds) talk FROM assignments a
            JOIN calls c ON c.lead_id = a.unit_id WHERE a.experiment_id = '{M.LEAD_EXP}' GROUP BY ALL""",
    )
    for arm, key in (("A", "control"), ("B", "treatment")):
        g = per_lead[per_lead["arm"] == arm]
        ratio = g["talk"].sum() / g["n"].sum()
        resid = (g["talk"] - ratio * g["n"]) / g["n"].mean()  # delta method for a ratio of means
        se = resid.std(ddof=1) / math.sqrt(len(g))
        assert abs(ratio - truth[key]) < 4 * se, (arm, ratio, truth[key], se)
    assert truth["relative"] > 0.05
    # the expected number of dials under each lead's own arm matches the dials made
    lt = pd.read_parquet(demo_store.truth_leads_path)
    lt = lt[lt["lead_exp_arm"].notna()]
    expected = np.where(lt["lead_exp_arm"] == "B", lt["exp_calls_B"], lt["exp_calls_A"])
    made = per_lead.set_index("unit_id")["n"].reindex(lt["lead_id"]).fillna(0).to_numpy()
    se = math.sqrt(np.sum((made - expected) ** 2))
    assert abs(made.sum() - expected.sum()) < 4 * se


def test_rep_experiment_needs_cluster_analysis(demo_store):
    truth = demo_store.truth["experiments"][M.REP_EXP]
    df = leads_with_truth(demo_store)
    units = df[df["rep_exp_arm"].notna()].assign(y=lambda d: d["sql_at"].notna().astype(float))
    assert len(units) == truth["n_leads"]
    per_rep = units.groupby(["rep_id", "rep_exp_arm"])["y"].agg(["sum", "count"]).reset_index()
    assert len(per_rep) == truth["n_units"]
    # cluster-robust SE (per-rep ratio, delta method) vs the naive per-lead SE
    ses, diffs = [], []
    for arm in ("B", "A"):
        g = per_rep[per_rep["rep_exp_arm"] == arm]
        r = g["sum"].sum() / g["count"].sum()
        resid = (g["sum"] - r * g["count"]) / g["count"].mean()
        ses.append(resid.var(ddof=1) / len(g))
        diffs.append(r)
    cluster_se = math.sqrt(sum(ses))
    ya, yb = units.loc[units["rep_exp_arm"] == "A", "y"], units.loc[units["rep_exp_arm"] == "B", "y"]
    naive_se = math.sqrt(ya.var() / len(ya) + yb.var() / len(yb))
    assert cluster_se > 1.4 * naive_se, "strong rep effects: calls of one rep are correlated"
    est = diffs[0] - diffs[1]
    t_crit = stats.t.ppf(0.9995, truth["n_units"] - 2)
    assert abs(est - truth["true_effects"]["sql_rate"]["B"]["absolute"]) < t_crit * cluster_se


# -- ground truth -------------------------------------------------------------------------------------


def test_ground_truth_files(small_store):
    t = small_store.truth
    for key in ("seed", "n_leads", "start", "end", "lead_model", "rep_effects", "rep_skill", "experiments", "oracle"):
        assert key in t, key
    assert t["seed"] == 7 and t["end"] == "2026-11-20"
    lm = t["lead_model"]
    assert set(lm["coefficients"]) == set(M.FEATURES)
    assert set(lm["source_effects"]) == set(M.SOURCES)
    assert set(lm["speed_to_lead_effects"]) == set(M.SPEED_EFFECTS)
    reps = query(small_store.url, "SELECT rep_id FROM reps")["rep_id"]
    assert set(t["rep_effects"]) == set(reps)
    for exp in t["experiments"].values():
        for metric in ("sql_rate", "talk_seconds_per_call"):
            eff = exp["true_effects"][metric]["B"]
            assert eff["absolute"] == pytest.approx(eff["treatment"] - eff["control"])
            assert eff["relative"] == pytest.approx(eff["treatment"] / eff["control"] - 1)
    lt = pd.read_parquet(small_store.truth_leads_path)
    leads = query(small_store.url, "SELECT lead_id, sql_at FROM leads")
    m = leads.merge(lt, on="lead_id", validate="one_to_one")
    assert len(m) == 5000
    assert ((m["p_sql"] > 0) & (m["p_sql"] < 1)).all()
    assert (m["sql_at"].notna() == m["sql_observed"]).all()
    assert (m["sql_observed"] <= m["sql_drawn"]).all()
    owners = query(small_store.url, "SELECT lead_id, rep_id FROM leads").merge(lt, on="lead_id")
    assert (owners["rep_id"] == owners["owner_rep_id"]).all()
    logit = np.log(m["p_sql"] / (1 - m["p_sql"]))
    parts = m["logit_attributes"] + m["rep_effect"] + m["speed_effect"] + m["script_effect"]
    assert np.allclose(logit, parts)
    assert 0.06 < t["oracle"]["sql_rate_observed"] < 0.14


def _design(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The true model's design matrix (reference levels dropped) and offset."""
    from leadlab.synth.leads import feature_matrix

    x = pd.DataFrame(
        feature_matrix(df["company_size"], df["page_views"], df["downloads"], df["webinar_attended"], df["email_opens"]),
        columns=list(M.FEATURES),
        index=df.index,
    )
    refs = {"industry": "manufacturing", "job_title": "manager", "region": "North", "source": "paid_search"}
    for col, ref in refs.items():
        for level in sorted(df[col].unique()):
            if level != ref:
                x[f"{col}={level}"] = (df[col] == level).astype(float)
    x.insert(0, "const", 1.0)
    offset = (df["rep_effect"] + df["speed_effect"] + df["script_effect"]).to_numpy()
    return x, offset


def test_logistic_regression_recovers_the_true_coefficients(demo_store):
    import statsmodels.api as sm

    truth = demo_store.truth["lead_model"]
    df = leads_with_truth(demo_store)
    x, offset = _design(df)
    y = df["sql_drawn"].astype(float)
    fit = sm.GLM(y, x, family=sm.families.Binomial(), offset=offset).fit()
    expected = {"const": truth["intercept"], **truth["coefficients"]}
    for col, effects in (*truth["categorical_effects"].items(), ("source", truth["source_effects"])):
        for level, value in effects.items():
            if f"{col}={level}" in x:
                expected[f"{col}={level}"] = value
    z = {k: (fit.params[k] - v) / fit.bse[k] for k, v in expected.items()}
    assert len(z) == x.shape[1]
    assert max(abs(v) for v in z.values()) < 4.0, z  # all 25 within 4 SE
    assert np.mean([abs(v) < 1.96 for v in z.values()]) >= 0.8, z  # about 95 % within their 95 % CI
    # with the observed outcome (censored at the window end) on leads old enough, too
    old = df["created_at"] < pd.Timestamp("2026-08-01")
    assert (df.loc[old, "sql_observed"] == df.loc[old, "sql_drawn"]).all()


def test_store_alone_recovers_the_model(demo_store):
    """End to end: from the store's columns only (first dial time from calls, owner rep), a
    logistic regression recovers the attribute and speed-to-lead coefficients."""
    import statsmodels.api as sm

    truth = demo_store.truth["lead_model"]
    df = query(
        demo_store.url,
        """SELECT l.*, date_diff('second', l.created_at, c.first_call) / 60.0 response_min
           FROM leads l JOIN (SELECT lead_id, min(started_at) first_call FROM calls GROUP BY 1) c USING (lead_id)
           WHERE l.created_at < TIMESTAMP '2026-07-21'""",  # before the experiments: no script effects
    )
    df = df.assign(region="North")  # region = the owner's team: absorbed by the rep dummies
    x, _ = _design(df.assign(rep_effect=0.0, speed_effect=0.0, script_effect=0.0))
    x = x.drop(columns=[c for c in x if c.startswith("region=")])
    bucket = pd.cut(df["response_min"], [0, *M.SPEED_BUCKETS_MINUTES, np.inf], labels=list(M.SPEED_EFFECTS))
    for level in M.SPEED_EFFECTS:
        if level != "5_to_60_min":
            x[f"speed={level}"] = (bucket == level).astype(float)
    reps = sorted(df["rep_id"].unique())
    for r in reps[1:]:
        x[f"rep={r}"] = (df["rep_id"] == r).astype(float)
    fit = sm.GLM(df["sql_at"].notna().astype(float), x, family=sm.families.Binomial()).fit()
    expected = dict(truth["coefficients"])
    for col in ("industry", "job_title"):
        for level, value in truth["categorical_effects"][col].items():
            if f"{col}={level}" in x:
                expected[f"{col}={level}"] = value
    for level, value in truth["source_effects"].items():
        if f"source={level}" in x:
            expected[f"source={level}"] = value
    for level, value in truth["speed_to_lead_effects"].items():
        if f"speed={level}" in x:
            expected[f"speed={level}"] = value - truth["speed_to_lead_effects"]["5_to_60_min"]
    z = {k: (fit.params[k] - v) / fit.bse[k] for k, v in expected.items()}
    assert max(abs(v) for v in z.values()) < 4.0, z
    assert fit.params["speed=within_5_min"] > 0 > fit.params["speed=over_24_h"]


def test_attribute_part_dominates_and_oracle_is_consistent(demo_store):
    from sklearn.metrics import roc_auc_score

    t = demo_store.truth
    assert 1.2 <= t["oracle"]["sd_logit_attributes"] <= 1.5
    df = pd.read_parquet(demo_store.truth_leads_path)
    assert roc_auc_score(df["sql_observed"], df["p_sql"]) == pytest.approx(t["oracle"]["auc_p_sql"])
    assert t["oracle"]["auc_p_sql"] - t["oracle"]["auc_p_sql_attributes"] < 0.01
    process = df["speed_effect"] + df["script_effect"]
    assert process.std() < 0.3 * df["logit_attributes"].std()


def test_rep_effects_show_in_rep_sql_rates(demo_store):
    df = leads_with_truth(demo_store)
    old = df[df["qualifying_call_in_window"]]
    # observed minus what the rep-free part of the model predicts, per rep
    base = 1 / (1 + np.exp(-(old["logit_attributes"] + old["speed_effect"] + old["script_effect"])))
    g = old.assign(excess=old["sql_at"].notna().astype(float) - base).groupby("rep_id")["excess"].mean()
    rho = stats.spearmanr(g.to_numpy(), [demo_store.truth["rep_effects"][r] for r in g.index]).statistic
    assert rho > 0.6


def test_speed_to_lead_effect_is_visible_in_the_store(demo_store):
    df = query(
        demo_store.url,
        """SELECT l.lead_id, any_value(l.sql_at IS NOT NULL) is_sql,
                  date_diff('second', any_value(l.created_at), min(c.started_at)) / 60.0 response_min
           FROM leads l JOIN calls c USING (lead_id)
           WHERE l.created_at < TIMESTAMP '2026-08-01' GROUP BY l.lead_id""",
    )
    bucket = pd.cut(df["response_min"], [0, 5, 60, 1440, np.inf], labels=["5m", "1h", "24h", "more"])
    rate = df.groupby(bucket, observed=True)["is_sql"].mean()
    assert rate["5m"] > rate["1h"] > rate["more"]
    assert 0.15 < (bucket == "5m").mean() < 0.6, "many leads are called within 5 minutes"
    assert (bucket == "more").mean() > 0.03, "a long tail past 24 h"


def test_seasonality_and_connect_by_hour(demo_store):
    dow = query(demo_store.url, "SELECT isodow(created_at) d, count(*) n FROM leads GROUP BY 1").set_index("d")["n"]
    assert dow[[6, 7]].mean() < 0.5 * dow[[1, 2, 3]].mean()
    hours = query(demo_store.url, "SELECT hour(started_at) h, avg(connected::INT) r FROM calls GROUP BY 1").set_index("h")["r"]
    assert hours[17] > hours[8] + 0.05
    months = query(demo_store.url, "SELECT date_trunc('month', created_at) m, count(*) n FROM leads GROUP BY 1 ORDER BY 1")["n"]
    assert months.iloc[-2] > months.iloc[1], "lead volume grows"


# -- determinism --------------------------------------------------------------------------------------


def _run(folder: Path, **kw) -> dict:
    return synthesize(url=f"duckdb://{folder}/leadlab.duckdb", progress=False, **kw)


def _stable(truth: dict) -> dict:
    return {k: v for k, v in truth.items() if k not in ("seconds", "paths")}


def test_same_seed_same_data_any_chunking(tmp_path, monkeypatch):
    a = _run(tmp_path / "a", n_leads=2000, seed=5)
    b = _run(tmp_path / "b", n_leads=2000, seed=5)
    assert _stable(a) == _stable(b)
    assert (tmp_path / "a" / "ground_truth.json").read_bytes() == (tmp_path / "b" / "ground_truth.json").read_bytes()
    assert _digest(f"duckdb://{tmp_path}/a/leadlab.duckdb") == _digest(f"duckdb://{tmp_path}/b/leadlab.duckdb")
    # small blocks written one chunk at a time give the same data as one big chunk
    monkeypatch.setattr(synth_pkg, "BLOCK", 500)
    c = _run(tmp_path / "c", n_leads=2000, seed=5, chunk_leads=500)
    d = _run(tmp_path / "d", n_leads=2000, seed=5, chunk_leads=10_000)
    assert _stable(c) == _stable(d)
    assert _digest(f"duckdb://{tmp_path}/c/leadlab.duckdb") == _digest(f"duckdb://{tmp_path}/d/leadlab.duckdb")
    e = _run(tmp_path / "e", n_leads=2000, seed=6)
    digests = _digest(f"duckdb://{tmp_path}/e/leadlab.duckdb")
    base = _digest(f"duckdb://{tmp_path}/a/leadlab.duckdb")
    assert all(digests[t] != base[t] for t in ("leads", "calls", "reps", "spend"))
    assert pd.read_parquet(tmp_path / "a" / "ground_truth_leads.parquet").equals(
        pd.read_parquet(tmp_path / "b" / "ground_truth_leads.parquet")
    )


# -- safety: refusal, replace, failures, bad parameters ------------------------------------------------


def test_refuses_to_overwrite_and_replaces_on_request(tmp_path):
    _run(tmp_path, n_leads=1000, seed=1)
    db = tmp_path / "leadlab.duckdb"
    before = db.read_bytes()
    truth_before = (tmp_path / "ground_truth.json").read_text()
    with pytest.raises(ConfigError, match="already holds data.*--replace"):
        _run(tmp_path, n_leads=1000, seed=2)
    assert db.read_bytes() == before
    assert (tmp_path / "ground_truth.json").read_text() == truth_before
    t = _run(tmp_path, n_leads=1200, seed=2, replace=True)
    assert scalar(f"duckdb://{db}", "SELECT count(*) FROM leads") == 1200
    assert json.loads((tmp_path / "ground_truth.json").read_text())["seed"] == 2 == t["seed"]
    assert not list(tmp_path.glob(".*tmp*")), "no temporary files left"


def test_a_failed_run_leaves_the_old_store_intact(tmp_path, monkeypatch):
    _run(tmp_path, n_leads=1000, seed=1)
    db = tmp_path / "leadlab.duckdb"
    before = db.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("leadlab.synth.writer.DuckDBSink.write_frame", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        _run(tmp_path, n_leads=1000, seed=3, replace=True)
    assert db.read_bytes() == before
    assert json.loads((tmp_path / "ground_truth.json").read_text())["seed"] == 1
    assert not list(tmp_path.glob(".*tmp*")), "no temporary files left"


def test_a_store_with_other_tables_is_refused(tmp_path):
    con = store.connect(f"duckdb://{tmp_path}/leadlab.duckdb")
    con.con.execute("CREATE TABLE notes AS SELECT 'keep me' AS note")
    con.disconnect()
    with pytest.raises(ConfigError, match="already holds data"):
        _run(tmp_path, n_leads=600, seed=1)


def test_an_empty_store_is_not_refused(tmp_path):
    con = store.connect(f"duckdb://{tmp_path}/leadlab.duckdb")
    store.ensure_tables(con)
    con.disconnect()
    _run(tmp_path, n_leads=600, seed=1)
    assert scalar(f"duckdb://{tmp_path}/leadlab.duckdb", "SELECT count(*) FROM leads") == 600


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"n_leads": 100}, "--leads must be an integer of at least 500"),
        ({"n_leads": 1000, "seed": -1}, "--seed must be a non-negative integer"),
        ({"n_leads": 1000, "end": "20.11.2026"}, "--end must be a date"),
        ({"n_leads": 1000, "months": 3}, "--months must be between 6 and 60"),
        ({"n_leads": 1000, "chunk_leads": 0}, "chunk_leads must be a positive integer"),
    ],
)
def test_bad_parameters(tmp_path, kw, message):
    with pytest.raises(ConfigError, match=message):
        _run(tmp_path, **kw)
    assert not (tmp_path / "leadlab.duckdb").exists()


def test_non_duckdb_store_is_refused_with_a_redacted_url(tmp_path):
    with pytest.raises(ConfigError) as err:
        synthesize(1000, url="postgres://ann:hunter2@db.example/sales", truth_dir=tmp_path, progress=False)
    assert "hunter2" not in str(err.value) and "***" in str(err.value)
    with pytest.raises(ConfigError, match="in-memory"):
        synthesize(1000, url="duckdb://:memory:", truth_dir=tmp_path, progress=False)


def test_other_end_and_months(tmp_path):
    t = _run(tmp_path, n_leads=800, seed=4, end="2025-03-31", months=6)
    assert (t["start"], t["end"]) == ("2024-10-01", "2025-03-31")
    rng = query(f"duckdb://{tmp_path}/leadlab.duckdb", "SELECT min(created_at) lo, max(started_at) hi FROM leads JOIN calls USING (lead_id)")
    assert rng["lo"].iloc[0] >= pd.Timestamp("2024-10-01") and rng["hi"].iloc[0] < pd.Timestamp("2025-04-01")
    assert t["experiments"][M.LEAD_EXP]["started_at"].startswith("2024-12-01")


# -- CLI --------------------------------------------------------------------------------------------


def test_cli_writes_and_summarizes(tmp_path, capsys):
    from leadlab.cli import main

    url = f"duckdb://{tmp_path}/s/leadlab.duckdb"
    main(["synth", "--leads", "1000", "--seed", "3", "--db", url, "--quiet"])
    out = capsys.readouterr().out
    assert "leads" in out and "1,000" in out and "calls" in out and "ground_truth.json" in out
    assert "2025-09-21 .. 2026-11-20" in out
    with pytest.raises(SystemExit) as ex:
        main(["synth", "--leads", "1000", "--db", url, "--quiet"])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the store already holds data") and "Traceback" not in err


def test_cli_help_has_an_example():
    from click.testing import CliRunner

    from leadlab.cli import cli

    res = CliRunner().invoke(cli, ["synth", "--help"])
    assert res.exit_code == 0
    assert "leadlab synth --leads" in res.output and "--replace" in res.output


@pytest.mark.slow
def test_scale_smoke_two_chunks(tmp_path):
    t = _run(tmp_path, n_leads=20_000, seed=11, chunk_leads=10_000)
    url = f"duckdb://{tmp_path}/leadlab.duckdb"
    assert scalar(url, "SELECT count(DISTINCT lead_id) FROM leads") == 20_000
    assert scalar(url, "SELECT count(DISTINCT call_id) FROM calls") == t["n_calls"]
    assert t["n_reps"] == round(20_000 / 750)
    assert 4.0 < t["n_calls"] / 20_000 < 6.0
    assert 0.07 < t["oracle"]["sql_rate_observed"] < 0.13
    assert t["oracle"]["auc_p_sql"] > 0.75
