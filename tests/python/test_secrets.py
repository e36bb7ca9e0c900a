"""SEGMART_PII_SALT never lands in a file: a build with a random salt is grepped everywhere."""

from __future__ import annotations

import hashlib
import json
import secrets

import duckdb
import pytest

from conftest import generate, run_dbt
from segmart.publish import publish

pytestmark = pytest.mark.e2e


def _files_holding(root, needle: bytes) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and needle in p.read_bytes())


def test_the_salt_is_in_no_file_the_build_writes(tmp_path):
    salt = "s3cret-" + secrets.token_hex(12)
    raw = tmp_path / "raw"
    generate(raw, users=150)
    db = tmp_path / "warehouse" / "segmart.duckdb"
    db.parent.mkdir()
    result = run_dbt(["build", "--vars", json.dumps({"as_of": "2025-01-01"})], raw, db,
                     tmp_path, extra_env={"SEGMART_PII_SALT": salt})
    assert result.returncode == 0, result.stdout[-4000:]
    serving = tmp_path / "serving" / "segmart.duckdb"
    publish(db, serving)
    # the salt was used: the hashes follow it
    with duckdb.connect(str(db), read_only=True) as con:
        email, digest = con.execute("""
            select pii.email, profiles.email_sha256
            from pii.pii_customers as pii
            inner join marts.user_profiles as profiles using (user_id)
            where pii.email is not null limit 1""").fetchone()
    assert digest == hashlib.sha256(f"{salt}{email}".encode()).hexdigest()
    # ... and is in no file: dbt's target/ and logs/, the warehouse, the serving file
    for folder in ("target", "logs", "warehouse", "serving"):
        assert list((tmp_path / folder).rglob("*")), f"{folder}/ was written"
        assert _files_holding(tmp_path / folder, salt.encode()) == [], folder
    assert salt not in result.stdout + result.stderr
