"""One row per person and fitted target: calibrated p, percentile, decile, top drivers."""

from segmart.clustering import to_pandas
from segmart.predict.propensity import (
    SNAPSHOT_COLUMNS,
    PropensityConfig,
    read_as_of,
    read_columns,
    scores_table,
)


def model(dbt, session):
    config = PropensityConfig.from_mapping(dbt.config.get("propensity"))
    quality = to_pandas(dbt.ref("propensity_model_quality"))
    snapshots = read_columns(dbt.ref("feature_snapshots"), config, SNAPSHOT_COLUMNS)
    current = read_columns(dbt.ref("user_features"), config, ("recency_days",))
    as_of = read_as_of(dbt.ref("int_as_of_resolved"))
    return scores_table(current, snapshots, quality, config, as_of)
