"""Secrets the build needs, read from the environment and never written into SQL.

`SEGMART_PII_SALT` salts `email_sha256` (macro `hash_pii`). dbt compiles every model to
SQL and keeps that SQL in `target/` (manifest, run results, `target/run/**`) and in
`logs/dbt.log`; a salt spliced into the SQL text would be stored there in clear. So the salt
never reaches Jinja: the dbt-duckdb plugin `segmart.dbt_plugin` registers the DuckDB
function `segmart_pii_salt()` on each connection dbt opens, and the compiled SQL only names
that function. The value lives in the dbt process's memory and nowhere else.
"""

from __future__ import annotations

import os

PII_SALT_ENV = "SEGMART_PII_SALT"
# demos and tests reproduce without a secret; production sets its own (docs/personal-data.md)
DEVELOPMENT_PII_SALT = "segmart-development-salt"


def pii_salt(environ: dict[str, str] | None = None) -> str:
    """The salt for hashing direct identifiers: $SEGMART_PII_SALT, else the development one."""
    env = os.environ if environ is None else environ
    salt = env.get(PII_SALT_ENV, "")
    return salt if salt else DEVELOPMENT_PII_SALT
