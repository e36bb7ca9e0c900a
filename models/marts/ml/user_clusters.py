"""One row per eligible person: cluster, label, distance or probability, 2-D PCA position."""

from segmart.clustering import (
    ClusteringConfig,
    assign_clusters,
    final_labels,
    prepare,
    previous_centroids,
)


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    features = dbt.ref("user_features").filter(dbt.config.get("clustering_eligibility")).df()
    chosen = dbt.ref("clustering_quality").filter("is_chosen").df()
    prepared = prepare(features, config)
    assignment = assign_clusters(prepared, int(chosen["k"].iloc[0]), config)
    # labels follow their clusters: match to the centroids of the previous build, if any
    previous, previous_labels = previous_centroids(
        session, f"{dbt.this.schema}.cluster_profiles", prepared.features)
    labels = final_labels(assignment.centroids, prepared.features, previous, previous_labels)
    clusters = assignment.frame.rename(columns={"cluster_index": "cluster_id"})
    clusters["cluster_label"] = [labels[c] for c in clusters["cluster_id"]]
    clusters["algorithm"] = config.algorithm
    clusters["as_of"] = features["as_of"].max()
    return clusters
