"""One row per cluster and feature: size, share, mean and median in original units and z."""

from segmart.clustering import (
    ClusteringConfig,
    prepare,
    profile_clusters,
    required_columns,
    to_pandas,
)


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    features = dbt.ref("user_features").filter(dbt.config.get("clustering_eligibility"))
    features = features.project(", ".join(required_columns(features.columns, config)))
    frame = to_pandas(features)
    clusters = dbt.ref("user_clusters").project("user_id, cluster_id, cluster_label")
    profiles = profile_clusters(prepare(frame, config), to_pandas(clusters))
    profiles["as_of"] = frame["as_of"].max()
    return profiles
