"""One row per eligible person: stage, cluster, label, distance or probability, PCA position."""

from segmart.clustering import (
    ClusteringConfig,
    chosen_per_stage,
    clusters_table,
    eligible_frame,
    prepare,
    previous_centroids,
    to_pandas,
)


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    eligibility = dbt.config.get("clustering_eligibility")
    frame = eligible_frame(dbt.ref("user_features"), eligibility, config)
    chosen = chosen_per_stage(to_pandas(dbt.ref("clustering_quality")))
    prepared = prepare(frame, config)
    # labels follow their clusters: match to the centroids of the previous build, if any
    previous = previous_centroids(
        session, f"{dbt.this.schema}.cluster_profiles", prepared.features)
    return clusters_table(prepared, chosen, config, previous, frame["as_of"].max())
