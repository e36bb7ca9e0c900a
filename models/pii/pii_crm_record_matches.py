"""One row per pair of CRM records scored the same person above the match threshold; kept
from the previous build when its inputs are unchanged (segmart.reuse)."""

from segmart.clustering import to_pandas
from segmart.identity import linkage_limits, matches_table, parameters_from_table
from segmart.reuse import reuse_or_compute


def model(dbt, session):
    settings = dbt.config.get("crm_linkage")
    parameters = to_pandas(dbt.ref("pii_crm_linkage_parameters"))
    records = to_pandas(dbt.ref("pii_crm_linkage_records"))
    return reuse_or_compute(
        session, f"{dbt.this.schema}.{dbt.this.identifier}",
        {"records": records, "parameters": parameters}, settings,
        lambda: matches_table(records, parameters_from_table(parameters),
                              threshold=float(settings["match_threshold"]),
                              **linkage_limits(settings)), model,
        keep=dbt.config.get("keep_unchanged_fits"))
