"""One row per candidate clustering: its quality metrics and whether it was chosen."""

from segmart.clustering import ClusteringConfig, prepare, select_model


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    features = dbt.ref("user_features").filter(dbt.config.get("clustering_eligibility")).df()
    selection = select_model(prepare(features, config), config)
    quality = selection.candidates
    quality["count_eligible"] = len(features)
    quality["as_of"] = features["as_of"].max() if len(features) else None
    return quality
