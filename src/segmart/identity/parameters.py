"""The stored linkage model: one row that a rebuild reads back instead of retraining.

pii_crm_linkage_parameters keeps the model dict of segmart.identity.linkage as JSON with
the fingerprint of the comparisons it was trained for. A build reuses the stored row when
it was trained, its fingerprint is the current one and retraining is not asked
(var segmart_identity_retrain); otherwise it trains on the current records. Training that
cannot run (no pair of records shares a phone or an e-mail, so EM has nothing to learn
from) stores a skipped row with the reason, and the next build tries again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import pandas as pd

from segmart.clustering import to_pandas
from segmart.identity.linkage import (
    empty_pairs,
    match_crm_records,
    settings_fingerprint,
    train_crm_linkage,
)

PARAMETER_COLUMNS = ("settings_fingerprint", "status", "reason", "parameters_json", "seed",
                     "count_records_trained", "splink_version", "trained_at")


def previous_parameters(connection, relation: str) -> pd.DataFrame | None:
    """The stored row of the previous build (read through a DuckDB connection), or None
    when there is none (first build, table missing)."""
    try:
        # through Arrow, so a text column that is null (reason) stays text when written back
        frame = to_pandas(connection.sql(f"select * from {relation}"))
    except Exception:  # noqa: BLE001 - no previous build (table missing) is the normal case
        return None
    return frame if len(frame) == 1 else None


def reusable(previous: pd.DataFrame | None) -> bool:
    """Whether a stored row can score this build: trained, for the current comparisons."""
    if previous is None or previous.empty:
        return False
    row = previous.iloc[0]
    return (row["status"] == "trained" and row["settings_fingerprint"] == settings_fingerprint()
            and isinstance(row["parameters_json"], str))


#: config key of the crm_linkage models -> (var, keyword of train_crm_linkage)
LIMIT_VARS = {
    "max_records_per_value": "segmart_identity_max_records_per_value",
    "max_records_per_block": "segmart_identity_max_records_per_block",
    "memory_limit": "segmart_identity_linkage_memory_limit",
}


def linkage_limits(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The caps of a crm_linkage model config as keywords of train_crm_linkage and
    match_crm_records; a value that is not a positive number (or a DuckDB memory size such
    as 3GB) stops the build, naming its var."""
    limits: dict[str, Any] = {}
    for key, var in LIMIT_VARS.items():
        value = str(settings[key]).strip()
        if key == "memory_limit":
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value, flags=re.IGNORECASE):
                raise ValueError(f"var {var} must be a memory size such as 3GB, got {value!r}")
            limits[key] = value
        else:
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"var {var} must be a positive whole number, got {value!r}")
            limits[key] = int(value)
    return limits


def parameters_from_table(frame: pd.DataFrame) -> dict[str, Any] | None:
    """The model dict of a stored row, or None when the row is skipped."""
    if frame.empty or frame.iloc[0]["status"] != "trained":
        return None
    return json.loads(frame.iloc[0]["parameters_json"])


def parameters_table(records: pd.DataFrame, *, seed: int,
                     previous: pd.DataFrame | None = None, retrain: bool = False,
                     now: datetime | None = None, **limits: Any) -> pd.DataFrame:
    """pii_crm_linkage_parameters: the previous row when reusable and not retrain, else a
    row trained on records (or skipped, with the reason, when training cannot run). limits:
    train_crm_linkage's max_records_per_value, max_records_per_block and memory_limit."""
    if not retrain and reusable(previous):
        return previous.loc[:, list(PARAMETER_COLUMNS)].reset_index(drop=True)
    from splink.internals.exceptions import EMTrainingException

    status, reason, model_json = "trained", None, None
    try:
        model_json = json.dumps(train_crm_linkage(records, seed=seed, **limits), sort_keys=True)
    except EMTrainingException as error:
        # EM refuses a training rule without pairs: the CRM holds no duplicates yet
        status, reason = "skipped", f"training failed: {str(error).splitlines()[0]}"
    trained_at = pd.Timestamp(now or datetime.now(UTC))
    if trained_at.tzinfo is not None:
        # the project's timestamps are naive UTC
        trained_at = trained_at.tz_convert("UTC").tz_localize(None)
    return pd.DataFrame({
        "settings_fingerprint": [settings_fingerprint()],
        "status": [status],
        "reason": pd.array([reason], dtype="string"),
        "parameters_json": pd.array([model_json], dtype="string"),
        "seed": [int(seed)],
        "count_records_trained": [len(records)],
        "splink_version": [metadata.version("splink")],
        "trained_at": [trained_at],
    })


def matches_table(records: pd.DataFrame, parameters: dict[str, Any] | None, *,
                  threshold: float, **limits: Any) -> pd.DataFrame:
    """pii_crm_record_matches: the pairs above threshold scored with the stored model; no
    rows when the model was skipped (nothing is trained here). limits: as parameters_table."""
    if parameters is None:
        return empty_pairs()
    pairs, _ = match_crm_records(records, threshold=threshold, parameters=parameters,
                                 **limits)
    return pairs
