"""One row per (seed segment, non-member): similarity to the seed's members, percentile;
kept from the previous build when its inputs are unchanged (segmart.reuse)."""

from segmart.clustering import to_pandas
from segmart.predict.lookalike import lookalike_table
from segmart.predict.propensity import PropensityConfig, read_as_of, read_columns
from segmart.reuse import reuse_or_compute


def model(dbt, session):
    config = PropensityConfig.from_mapping(dbt.config.get("propensity"))
    seeds = to_pandas(dbt.ref("lookalike_seeds"))
    features = read_columns(dbt.ref("user_features"), config, ())
    as_of = read_as_of(dbt.ref("int_as_of_resolved"))
    return reuse_or_compute(
        session, f"{dbt.this.schema}.{dbt.this.identifier}",
        {"seeds": seeds, "features": features}, {"config": config, "as_of": as_of},
        lambda: lookalike_table(features, seeds, config, as_of), model,
        keep=dbt.config.get("keep_unchanged_fits"))
