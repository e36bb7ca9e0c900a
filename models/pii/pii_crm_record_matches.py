"""One row per pair of CRM records scored the same person above the match threshold."""

from segmart.clustering import to_pandas
from segmart.identity import linkage_limits, matches_table, parameters_from_table


def model(dbt, session):
    settings = dbt.config.get("crm_linkage")
    parameters = parameters_from_table(to_pandas(dbt.ref("pii_crm_linkage_parameters")))
    records = to_pandas(dbt.ref("pii_crm_linkage_records"))
    return matches_table(records, parameters, threshold=float(settings["match_threshold"]),
                         **linkage_limits(settings))
