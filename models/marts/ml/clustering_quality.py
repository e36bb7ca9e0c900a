"""One row per candidate clustering: its quality metrics and whether it was chosen."""

from segmart.clustering import (
    ClusteringConfig,
    prepare,
    required_columns,
    select_model,
    to_pandas,
)


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    features = dbt.ref("user_features").filter(dbt.config.get("clustering_eligibility"))
    features = features.project(", ".join(required_columns(features.columns, config)))
    frame = to_pandas(features)
    selection = select_model(prepare(frame, config), config)
    quality = selection.candidates
    quality["count_eligible"] = len(frame)
    quality["as_of"] = frame["as_of"].max()
    return quality
