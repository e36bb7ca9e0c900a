"""One row per lifecycle stage and candidate k: stability, size, quality, and the choice;
kept from the previous build when its inputs are unchanged (segmart.reuse)."""

from segmart.clustering import ClusteringConfig, eligible_frame, prepare, quality_table
from segmart.reuse import reuse_or_compute


def model(dbt, session):
    config = ClusteringConfig.from_mapping(dbt.config.get("clustering"))
    eligibility = dbt.config.get("clustering_eligibility")
    frame = eligible_frame(dbt.ref("user_features"), eligibility, config)
    return reuse_or_compute(
        session, f"{dbt.this.schema}.{dbt.this.identifier}", {"features": frame},
        {"config": config, "eligibility": eligibility},
        lambda: quality_table(prepare(frame, config), config, frame["as_of"].max()), model,
        keep=dbt.config.get("keep_unchanged_fits"))
