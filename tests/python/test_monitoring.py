"""Holdouts, experiment results, drift and data quality on generated data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from segmart.experiments import two_proportion_test
from segmart.holdouts import holdout_unit

pytestmark = pytest.mark.e2e


def test_holdouts_are_the_salted_hash_balanced_and_independent(built):
    holdouts = built.frame("select segment, user_id, holdout_group, holdout_unit "
                           "from marts.segment_holdouts")
    sample = holdouts.sample(500, random_state=1)
    for segment, user, unit in sample[["segment", "user_id", "holdout_unit"]].itertuples(
            index=False):
        assert unit == pytest.approx(holdout_unit(segment, user))
    assert ((holdouts["holdout_unit"] < 0.1) == (holdouts["holdout_group"] == "control")).all()
    share = (holdouts["holdout_group"] == "control").mean()
    sigma = math.sqrt(0.1 * 0.9 / len(holdouts))
    assert abs(share - 0.1) < 4 * sigma
    # a person's group in one segment says nothing about their group in another
    wide = holdouts.pivot_table(index="user_id", columns="segment", values="holdout_unit")
    pair = wide[["cart_abandoners", "rfm_champions"]].dropna()
    if len(pair) > 30:
        assert abs(pair.corr().iloc[0, 1]) < 0.4


def test_holdout_groups_are_stable_across_builds(built, later):
    query = "select segment, user_id, holdout_group from marts.segment_holdouts"
    before = built.frame(query)
    after = later.frame(query)
    both = before.merge(after, on=["segment", "user_id"], suffixes=("_before", "_after"))
    assert len(both) > 100
    assert (both["holdout_group_before"] == both["holdout_group_after"]).all()


def test_experiment_results_follow_from_holdouts_and_outcomes(built):
    results = built.frame("select * from marts.experiment_results").set_index("segment")
    holdouts = built.frame("select segment, user_id, holdout_group from marts.segment_holdouts")
    outcomes = pd.concat(pd.read_parquet(p) for p in
                         (built.raw_dir / "campaign_outcomes").glob("*.parquet"))
    converted = outcomes[["segment", "user_id"]].drop_duplicates().assign(converted=1)
    joined = holdouts.merge(converted, how="left").fillna({"converted": 0})
    for segment, group in joined.groupby("segment"):
        treatment = group[group["holdout_group"] == "treatment"]
        control = group[group["holdout_group"] == "control"]
        row = results.loc[segment]
        assert row["count_treatment"] == len(treatment)
        assert row["conversions_control"] == control["converted"].sum()
        expected = two_proportion_test(int(treatment["converted"].sum()), len(treatment),
                                       int(control["converted"].sum()), len(control))
        if expected.p_value is None:
            assert pd.isna(row["p_value"]) and not row["has_min_sample"]
        else:
            assert row["p_value"] == pytest.approx(expected.p_value)


def test_feature_drift_compares_with_the_previous_build(built, later):
    first = built.frame("select * from marts.feature_drift")
    assert (first["drift_flag"] == "no_reference").all()
    drift = later.frame("select * from marts.feature_drift").set_index("feature")
    assert (drift["reference_as_of"] == pd.Timestamp(built.as_of)).all()
    features = drift.drop(index=["p_purchase", "p_churn"], errors="ignore")
    assert features["psi"].notna().all() and (drift["psi"].dropna() >= 0).all()
    # score drift: a target scored in both builds is compared like a feature
    scored = {target for (target,) in later.query(
        "select distinct target from marts.propensity_scores")}
    assert scored, "the propensity models score the later build"
    for target in scored:
        if f"p_{target}" in set(first["feature"]):
            assert drift.loc[f"p_{target}", "psi"] >= 0
    # eleven days without new data: recency moves a lot, lifetime orders not at all
    assert drift.loc["recency_days", "drift_flag"] == "act"
    assert drift.loc["count_orders_lifetime", "psi"] < 0.01
    assert drift.loc["recency_days", "suggests_clustering_refit"]


def test_segment_drift_matches_history(built, later):
    drift = later.frame("select * from marts.segment_drift where as_of = "
                        f"timestamp '{later.as_of}'").set_index("segment")
    history = later.frame("select as_of, segment, user_id from marts.segment_membership_history")
    for segment in ("cart_abandoners", "dormant_users"):
        before = set(history[(history["as_of"] == pd.Timestamp(built.as_of))
                             & (history["segment"] == segment)]["user_id"])
        after = set(history[(history["as_of"] == pd.Timestamp(later.as_of))
                            & (history["segment"] == segment)]["user_id"])
        row = drift.loc[segment]
        assert row["count_members"] == len(after)
        assert row["count_members_previous"] == len(before)
        assert row["jaccard"] == pytest.approx(len(before & after) / len(before | after))
        assert row["is_size_flagged"] == (abs(len(after) - len(before)) > 0.1 * len(before))


def test_data_quality_counts_every_rejected_row(built):
    by_table = dict(built.query(
        "select source_table, sum(observed) from marts.data_quality "
        "where check_name = 'rejected_rows' group by 1"))
    rejected = dict(built.query(
        "select source_table, rejected_rows from marts.data_quality_row_counts"))
    for table, count in rejected.items():
        assert by_table.get(table, 0) == count
    days = built.query("select count(*), count_if(is_flagged) from marts.data_quality "
                       "where check_name = 'purchase_events_vs_orders'")[0]
    assert days[0] > 100


def test_late_events_are_counted_from_loaded_at(built):
    raw = pd.concat(pd.read_parquet(p, columns=["event_id", "occurred_at", "loaded_at"])
                    for p in (built.raw_dir / "events").glob("*.parquet"))
    raw = raw.dropna(subset=["event_id", "occurred_at"]).drop_duplicates("event_id")
    raw = raw[raw["occurred_at"] < pd.Timestamp("2100-01-01")]
    late = (raw["loaded_at"] - raw["occurred_at"] > pd.Timedelta(days=3)).sum()
    counted = built.query("select sum(observed) from marts.data_quality "
                          "where check_name = 'late_events'")[0][0]
    assert late > 0
    # the raw side still holds the few planted bad rows that staging rejects
    assert abs(counted - late) <= 3
