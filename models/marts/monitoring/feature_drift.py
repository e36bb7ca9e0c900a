"""One row per watched feature: PSI between this as_of and the reference build, and flags."""

from segmart.clustering import ClusteringConfig, to_pandas
from segmart.drift import drift_table


def model(dbt, session):
    features = dbt.config.get("drift_features")
    reference_days = dbt.config.get("drift_reference_days")
    clustering = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    current = to_pandas(dbt.ref("user_features").project(", ".join(["as_of", *features])))
    history = to_pandas(dbt.ref("feature_distribution_history"))
    return drift_table(current, history, features, reference_days=int(reference_days),
                       clustering_features=clustering.features)
