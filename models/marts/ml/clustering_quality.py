"""One row per lifecycle stage and candidate k: stability, size, quality, and the choice."""

from segmart.clustering import ClusteringConfig, eligible_frame, prepare, quality_table


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    eligibility = dbt.config.get("clustering_eligibility")
    frame = eligible_frame(dbt.ref("user_features"), eligibility, config)
    return quality_table(prepare(frame, config), config, frame["as_of"].max())
