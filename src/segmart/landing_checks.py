"""File-level checks of the landing zone: can a landed file be read, and does it fit the
input contract? Only the file's first and last four bytes and its Parquet footer are read,
never its data pages, so a check costs the same for a 1 kB and a 1 GB file.

dbt calls `check_landing_file` through a DuckDB function that the `Plugin` below registers
on dbt-duckdb's connection (profiles.yml, `plugins:`); the on-run-start hook
(macros/check_landing_files.sql) calls it once per new, changed or rejected file and keeps
the results in the warehouse (docs/input-contract.md, File-level quarantine).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MAGIC = b"PAR1"
# what a contract column accepts, by the kind of its Parquet type (see `kind_of`)
ACCEPTED_KINDS = {
    "timestamp": {"timestamp", "text", "integer", "null"},
    "number": {"integer", "float", "text", "null"},
    "boolean": {"boolean", "integer", "text", "null"},
    "text": {"text", "integer", "float", "boolean", "timestamp", "binary", "null"},
}
FUNCTION_NAME = "segmart_check_landing_file"


def kind_of(data_type: pa.DataType) -> str:
    """The kind of an Arrow type as the contract sees it: text, integer, float, boolean,
    timestamp (dates too), null (a column with no values), nested, binary or other."""
    types = pa.types
    if types.is_string(data_type) or types.is_large_string(data_type) or (
            types.is_dictionary(data_type) and types.is_string(data_type.value_type)):
        return "text"
    if types.is_integer(data_type):
        return "integer"
    if types.is_floating(data_type) or types.is_decimal(data_type):
        return "float"
    if types.is_boolean(data_type):
        return "boolean"
    if types.is_timestamp(data_type) or types.is_date(data_type):
        return "timestamp"
    if types.is_null(data_type):
        return "null"
    if types.is_nested(data_type):
        return "nested"
    if types.is_binary(data_type) or types.is_large_binary(data_type):
        return "binary"
    return "other"


def check_landing_file(path: str, contract: dict[str, str]) -> dict[str, Any]:
    """Check one landed file against a table's contract ({column: timestamp | number |
    boolean | text}). Returns {"reason": None or why it is rejected, "kinds": {column: kind}}.

    Reasons: not_parquet (name or first bytes), empty_file (zero bytes), truncated (starts
    as Parquet but does not end as one: an upload still in progress), unreadable (the footer
    does not parse), no_columns, incompatible_type:<column> (a contract column whose type
    cannot hold the value, such as a nested type or a float time)."""
    if not path.lower().endswith(".parquet"):
        return {"reason": "not_parquet", "kinds": {}}
    try:
        size = os.path.getsize(path)
        if size == 0:
            return {"reason": "empty_file", "kinds": {}}
        with open(path, "rb") as handle:
            head = handle.read(4)
            handle.seek(max(size - 4, 0))
            tail = handle.read(4)
    except OSError:
        return {"reason": "unreadable", "kinds": {}}
    if head != MAGIC:
        return {"reason": "not_parquet", "kinds": {}}
    if size < 12 or tail != MAGIC:
        return {"reason": "truncated", "kinds": {}}
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException, ValueError):
        return {"reason": "unreadable", "kinds": {}}
    kinds = {field.name: kind_of(field.type) for field in schema}
    if not kinds:
        return {"reason": "no_columns", "kinds": {}}
    for column, expected in contract.items():
        kind = kinds.get(column)
        if kind is not None and kind not in ACCEPTED_KINDS[expected]:
            return {"reason": f"incompatible_type:{column}", "kinds": kinds}
    return {"reason": None, "kinds": kinds}


def check_landing_file_json(path: str, table_name: str, contracts: str) -> str:
    """`check_landing_file` for SQL: the contracts of every table as JSON text, the result
    as JSON text."""
    contract = json.loads(contracts).get(table_name, {})
    return json.dumps(check_landing_file(path, contract), sort_keys=True)


class Plugin:
    """A dbt-duckdb plugin (profiles.yml `plugins: [{module: segmart.landing_checks}]`)
    that registers `segmart_check_landing_file(path, table_name, contracts)` on every
    connection. Duck-typed on dbt-duckdb's BasePlugin, so this module imports no dbt."""

    def __init__(self, name: str, plugin_config: dict[str, Any], credentials: Any = None):
        self.name = name
        self.plugin_config = plugin_config
        self.credentials = credentials

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        return None

    def configure_connection(self, conn: Any) -> None:
        conn.create_function(FUNCTION_NAME, check_landing_file_json,
                             ["VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR",
                             side_effects=True)

    def configure_cursor(self, cursor: Any) -> None:
        return None
