"""One row per cluster and feature: size, share, mean and median in original units and z."""

from segmart.clustering import (
    ClusteringConfig,
    eligible_frame,
    prepare,
    profile_clusters,
    to_pandas,
)


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    eligibility = dbt.config.get("clustering_eligibility")
    frame = eligible_frame(dbt.ref("user_features"), eligibility, config)
    clusters = to_pandas(dbt.ref("user_clusters").project(
        "user_id, cluster_id, cluster_label, lifecycle_stage"))
    profiles = profile_clusters(prepare(frame, config), clusters)
    profiles["as_of"] = frame["as_of"].max()
    return profiles
