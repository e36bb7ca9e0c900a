"""Clustering on generated data: planted archetypes, and the three dbt Python models."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segmart.clustering import ClusteringConfig, assign_clusters, prepare

pytestmark = pytest.mark.e2e

#: Archetypes that differ in the clustering features (recency, activity, spend, time of day).
SEPARABLE = ("dormant", "highly_active", "evening_browser", "morning_buyer", "high_value_buyer")


def test_planted_archetypes_are_recovered(built):
    truth = pd.concat(pd.read_parquet(p)
                      for p in (built.raw_dir / "_ground_truth").glob("*.parquet"))
    features = built.frame("select * from marts.user_features").merge(
        truth[["user_id", "archetype"]], on="user_id")
    persons = features[features["archetype"].isin(SEPARABLE)].reset_index(drop=True)
    # the features alone separate them: one k-means of the five, without stages
    config = ClusteringConfig(k_min=len(SEPARABLE), k_max=len(SEPARABLE),
                              lifecycle_stages=False)
    assignment = assign_clusters(prepare(persons, config), len(SEPARABLE), config)
    placed = assignment.frame.merge(persons[["user_id", "archetype"]], on="user_id")
    assert len(placed) == len(persons)
    assert adjusted_rand_score(placed["archetype"], placed["cluster_index"]) >= 0.9


def test_dbt_built_the_three_models_consistently(built):
    quality = built.frame("select * from marts.clustering_quality")
    chosen = quality[quality["is_chosen"]].set_index("stage")["k"]
    assert chosen.index.is_unique and set(chosen.index) <= {"dormant", "browsers", "buyers"}
    assert chosen["dormant"] == 1
    eligible = built.query("select count(*) from marts.user_features "
                           "where count_events_90d > 0 or count_orders_90d > 0")[0][0]
    assert (quality["count_eligible"] == eligible).all()
    assert quality.groupby("stage")["count_stage"].first().sum() == eligible

    clusters = built.frame("select * from marts.user_clusters")
    assert len(clusters) == eligible
    assert clusters["cluster_id"].nunique() == chosen.sum()
    assert (clusters.groupby("cluster_id")["lifecycle_stage"].nunique() == 1).all()
    assert clusters.groupby("lifecycle_stage")["cluster_id"].nunique().to_dict() == \
        chosen.to_dict()
    labels = clusters.groupby("cluster_id")["cluster_label"].nunique()
    assert (labels == 1).all()
    assert clusters.drop_duplicates("cluster_id")["cluster_label"].is_unique

    profiles = built.frame("select * from marts.cluster_profiles")
    sizes = profiles.drop_duplicates("cluster_id").set_index("cluster_id")["count_members"]
    assert sizes.to_dict() == clusters["cluster_id"].value_counts().to_dict()
    assert profiles["feature"].nunique() == 10
