"""One row per watched feature or score: PSI between this as_of and the reference build."""

from segmart.clustering import ClusteringConfig, to_pandas
from segmart.drift import drift_table, with_scores


def model(dbt, session):
    features = dbt.config.get("drift_features")
    reference_days = dbt.config.get("drift_reference_days")
    clustering = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    current = to_pandas(dbt.ref("user_features").project(
        ", ".join(["user_id", "as_of", *features])))
    current, scores = with_scores(
        current, to_pandas(dbt.ref("propensity_scores").project("user_id, target, p")))
    history = to_pandas(dbt.ref("feature_distribution_history"))
    return drift_table(current, history, [*features, *scores], reference_days=int(reference_days),
                       clustering_features=clustering.features)
