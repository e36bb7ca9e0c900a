"""Shared fixtures: generated landing zones and a dbt build of one, made once per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from segmart.generate import Config, Generator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


@dataclass(frozen=True)
class Build:
    """A generated landing zone and the warehouse dbt built from it."""

    raw_dir: Path
    db_path: Path
    manifest: dict
    as_of: str

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def frame(self, sql: str):
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql).df()


def columns_holding(build: Build, needles: list[str]) -> list[str]:
    """Every text column of every relation of the warehouse, but the suppression lists (the
    deletion requests and the records erased with them), that holds one of the needles."""
    columns = build.query("""
        select table_schema, table_name, column_name
        from information_schema.columns
        where data_type = 'VARCHAR'
          and table_name not like '%deletion_requests%'
          and table_name != 'stg_crm__erased_records'
    """)
    assert len({(schema, table) for schema, table, _ in columns}) > 30
    return [f"{schema}.{table}.{column}" for schema, table, column in columns
            if build.query(f'select count(*) from "{schema}"."{table}" '
                           f'where list_contains(?, "{column}")', [needles])[0][0]]


def with_full_test_scope(args: list[str]) -> list[str]:
    """The dbt arguments with var segmart_test_scope 'full' (unless they set it): the tests
    check every stored row, as `make test` promises, not only the newest load."""
    args = list(args)
    if "--vars" in args:
        at = args.index("--vars") + 1
        given = yaml.safe_load(args[at]) or {}
        args[at] = json.dumps({"segmart_test_scope": "full", **given}, default=str)
    else:
        args += ["--vars", json.dumps({"segmart_test_scope": "full"})]
    return args


def run_dbt(args: list[str], raw_dir: Path, db_path: Path, work: Path,
            extra_env: dict[str, str] | None = None,
            project_dir: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    """Run dbt from the project root (or a copy of it) against a landing zone and warehouse
    of our own, testing every stored row (with_full_test_scope)."""
    args = with_full_test_scope(args)
    env = {
        **os.environ,
        "SEGMART_RAW_DIR": str(raw_dir),
        "SEGMART_DB": str(db_path),
        "SEGMART_TARGET": "dev",
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        **(extra_env or {}),
    }
    return subprocess.run([str(DBT), *args], cwd=project_dir, env=env, capture_output=True,
                          text=True, timeout=900, check=False)


def generate(out: Path, **overrides) -> dict:
    # no background or predictive person meets a rule here, so rule precision is exact
    # (test_demo.py builds the default demo, where they do); no planted CRM identities
    # either, so every CRM record is a person of its own
    cfg = Config(**{"users": 1500, "seed": 11, "deletion_rate": 0.01,
                    "background_rule_share": 0.0, "predictive_share": 0.0,
                    "crm_duplicate_share": 0.0, "crm_near_miss_share": 0.0, **overrides})
    return Generator(cfg, out, progress=False).run()


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Build:
    """Generated data (1,500 persons, 120 days) built with `dbt build` at the planted as_of."""
    work = tmp_path_factory.mktemp("e2e")
    raw_dir = work / "raw"
    manifest = generate(raw_dir)
    db_path = work / "segmart.duckdb"
    as_of = manifest["as_of"]
    result = run_dbt(["build", "--vars", json.dumps({"as_of": as_of})], raw_dir, db_path, work)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return Build(raw_dir=raw_dir, db_path=db_path, manifest=manifest, as_of=as_of)


LATER_AS_OF = "2025-01-12 00:00:00"


@pytest.fixture(scope="session")
def later(built, tmp_path_factory) -> Build:
    """The built warehouse, rebuilt eleven days later, twice (the second run must change
    nothing): history, changes and drift then have two builds to compare."""
    work = tmp_path_factory.mktemp("later")
    db_path = work / "later.duckdb"
    import shutil

    shutil.copy(built.db_path, db_path)
    for _ in range(2):
        result = run_dbt(["build", "--vars", json.dumps({"as_of": LATER_AS_OF})],
                         built.raw_dir, db_path, work)
        assert result.returncode == 0, result.stdout[-6000:]
    return Build(raw_dir=built.raw_dir, db_path=db_path, manifest=built.manifest,
                 as_of=LATER_AS_OF)
