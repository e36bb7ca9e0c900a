"""One row per cluster and feature: size, share, mean and median in original units and z."""

from segmart.clustering import ClusteringConfig, prepare, profile_clusters


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    features = dbt.ref("user_features").filter(dbt.config.get("clustering_eligibility")).df()
    clusters = dbt.ref("user_clusters").df()
    prepared = prepare(features, config)
    profiles = profile_clusters(prepared, clusters)
    profiles["as_of"] = features["as_of"].max()
    return profiles
