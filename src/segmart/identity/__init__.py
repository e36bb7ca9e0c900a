"""Identity resolution: probabilistic de-duplication of CRM records (linkage) and the
stored model that makes rebuilds repeat their matches (parameters)."""

from segmart.identity.linkage import (
    LINKAGE_COLUMNS,
    PAIR_COLUMNS,
    match_crm_records,
    prepare_records,
    settings_fingerprint,
    train_crm_linkage,
)
from segmart.identity.parameters import (
    PARAMETER_COLUMNS,
    linkage_limits,
    matches_table,
    parameters_from_table,
    parameters_table,
    previous_parameters,
    reusable,
)

__all__ = [
    "LINKAGE_COLUMNS",
    "PAIR_COLUMNS",
    "PARAMETER_COLUMNS",
    "linkage_limits",
    "match_crm_records",
    "matches_table",
    "parameters_from_table",
    "parameters_table",
    "prepare_records",
    "previous_parameters",
    "reusable",
    "settings_fingerprint",
    "train_crm_linkage",
]
