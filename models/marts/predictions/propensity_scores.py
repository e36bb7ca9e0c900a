"""One row per person and fitted target: calibrated p, percentile, decile, top drivers;
kept from the previous build when its inputs are unchanged (segmart.reuse)."""

from segmart.predict.propensity import (
    SNAPSHOT_COLUMNS,
    PropensityConfig,
    read_as_of,
    read_columns,
    scores_table,
)
from segmart.reuse import reuse_or_compute


def model(dbt, session):
    config = PropensityConfig.from_mapping(dbt.config.get("propensity"))
    snapshots = read_columns(dbt.ref("feature_snapshots"), config, SNAPSHOT_COLUMNS)
    current = read_columns(dbt.ref("user_features"), config, ("recency_days",))
    as_of = read_as_of(dbt.ref("int_as_of_resolved"))
    return reuse_or_compute(
        session, f"{dbt.this.schema}.{dbt.this.identifier}",
        {"snapshots": snapshots, "current": current},
        {"config": config, "as_of": as_of},
        lambda: scores_table(current, snapshots, config, as_of), model,
        keep=dbt.config.get("keep_unchanged_fits"))
