"""One row per target: time-separated validation of the model and its baselines; kept from
the previous build when its inputs are unchanged (segmart.reuse)."""

from segmart.predict.propensity import (
    SNAPSHOT_COLUMNS,
    PropensityConfig,
    quality_table,
    read_as_of,
    read_columns,
)
from segmart.reuse import reuse_or_compute


def model(dbt, session):
    config = PropensityConfig.from_mapping(dbt.config.get("propensity"))
    snapshots = read_columns(dbt.ref("feature_snapshots"), config, SNAPSHOT_COLUMNS)
    as_of = read_as_of(dbt.ref("int_as_of_resolved"))
    return reuse_or_compute(
        session, f"{dbt.this.schema}.{dbt.this.identifier}", {"snapshots": snapshots},
        {"config": config, "as_of": as_of},
        lambda: quality_table(snapshots, config, as_of), model,
        keep=dbt.config.get("keep_unchanged_fits"))
