"""One row per eligible person: cluster, label, distance or probability, 2-D PCA position."""

from segmart.clustering import (
    ClusteringConfig,
    assign_clusters,
    eligible_frame,
    final_labels,
    prepare,
    previous_centroids,
)


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    eligibility = dbt.config.get("clustering_eligibility")
    frame = eligible_frame(dbt.ref("user_features"), eligibility, config)
    chosen = dbt.ref("clustering_quality").filter("is_chosen").project("k").fetchall()[0][0]
    prepared = prepare(frame, config)
    assignment = assign_clusters(prepared, int(chosen), config)
    # labels follow their clusters: match to the centroids of the previous build, if any
    previous, previous_labels = previous_centroids(
        session, f"{dbt.this.schema}.cluster_profiles", prepared.features)
    labels = final_labels(assignment.centroids, prepared.features, previous, previous_labels)
    clusters = assignment.frame.rename(columns={"cluster_index": "cluster_id"})
    clusters["cluster_label"] = [labels[c] for c in clusters["cluster_id"]]
    clusters["algorithm"] = config.algorithm
    clusters["as_of"] = frame["as_of"].max()
    return clusters
