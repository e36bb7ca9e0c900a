"""dbt-duckdb plugin: the build's secrets as DuckDB functions, outside the compiled SQL.

Declared under `plugins:` of the DuckDB outputs in `profiles.yml`. On every connection dbt
opens it registers `segmart_pii_salt()`, which returns the salt of `segmart.secrets`, so
`hash_pii` compiles to `sha256(concat(segmart_pii_salt(), ...))` and no file dbt writes
(`target/`, `logs/`) nor the warehouse holds the salt. This is the one module of
`src/segmart` that imports dbt: dbt loads it, nothing else does.
"""

from __future__ import annotations

import contextlib

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import sqltypes

from segmart.secrets import pii_salt


def register_secret_functions(con) -> None:
    """Register segmart's secret functions on a DuckDB connection (also used by tests)."""
    salt = pii_salt()
    with contextlib.suppress(Exception):  # not registered yet on this connection
        con.remove_function("segmart_pii_salt")
    con.create_function("segmart_pii_salt", lambda: salt, [], sqltypes.VARCHAR,
                        side_effects=False)


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        register_secret_functions(conn)
