"""One row: the CRM linkage model (splink's JSON), kept across builds unless retrained."""

from segmart.clustering import to_pandas
from segmart.identity import linkage_limits, parameters_table, previous_parameters


def model(dbt, session):
    settings = dbt.config.get("crm_linkage")
    # the previous build's row: reused when it was trained for the current comparisons
    previous = previous_parameters(session, f"{dbt.this.schema}.{dbt.this.identifier}")
    records = to_pandas(dbt.ref("pii_crm_linkage_records"))
    return parameters_table(records, seed=int(settings["seed"]), previous=previous,
                            retrain=str(settings["retrain"]).strip().lower() == "true",
                            **linkage_limits(settings))
