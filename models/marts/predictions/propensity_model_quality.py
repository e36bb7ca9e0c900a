"""One row per target: time-separated validation of the model and its baselines."""

from segmart.predict.propensity import (
    SNAPSHOT_COLUMNS,
    PropensityConfig,
    quality_table,
    read_as_of,
    read_columns,
)


def model(dbt, session):
    config = PropensityConfig.from_mapping(dbt.config.get("propensity"))
    snapshots = read_columns(dbt.ref("feature_snapshots"), config, SNAPSHOT_COLUMNS)
    as_of = read_as_of(dbt.ref("int_as_of_resolved"))
    return quality_table(snapshots, config, as_of)
