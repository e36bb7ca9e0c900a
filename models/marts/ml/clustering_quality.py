"""One row per candidate clustering: its quality metrics and whether it was chosen."""

from segmart.clustering import ClusteringConfig, eligible_frame, prepare, select_model


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    eligibility = dbt.config.get("clustering_eligibility")
    frame = eligible_frame(dbt.ref("user_features"), eligibility, config)
    quality = select_model(prepare(frame, config), config).candidates
    quality["count_eligible"] = len(frame)
    quality["as_of"] = frame["as_of"].max()
    return quality
