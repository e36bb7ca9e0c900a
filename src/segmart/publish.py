"""Publish the marts of a built warehouse to a read-only serving file for BI tools.

    python -m segmart.publish --db warehouse/segmart.duckdb --to serving/segmart.duckdb

DuckDB allows one writer and no other process while it writes, so BI tools must never open
the file dbt is building. After a successful `dbt build`, this copies every table of the
`marts` schema into a new file beside the serving file, checkpoints it, and renames it over
the serving file in one atomic step (`os.replace`). A reader that opens the serving path
gets either the previous complete copy or the new complete copy, never a half-written one;
a reader that already has it open keeps reading its copy until it reconnects.

A failed copy leaves the previous serving file untouched.

The tables and columns carry their descriptions from dbt's manifest (`target/manifest.json`,
or `$DBT_TARGET_PATH`), so a BI tool shows them; the warehouse itself stores none on DuckDB
(dbt writing them cost every build about a second, and no reader opens the warehouse).

The direct identifiers the activation export needs (`pii.pii_customers`) are published the
same way to a separate restricted file beside it, `<name>.pii.duckdb` (owner read/write
only), never into the serving file BI reads; the export finds it from its `--db`, so an
export never waits for a build either (docs/personal-data.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb

SCHEMA = "marts"
# the restricted schema and the tables of it the export reads
PII_SCHEMA = "pii"
PII_TABLES = ("pii_customers",)
# a small table that tells readers which build they are looking at
PUBLICATION_TABLE = "publication"
PUBLICATION_DESCRIPTION = ("One row: the warehouse this file was published from, when, and "
                           "how many mart tables it holds.", {
                               "source_database": "Path of the warehouse dbt built.",
                               "published_at": "When this file was published, UTC.",
                               "count_tables": "Mart tables in this file, this one apart."})


class PublishError(RuntimeError):
    """The warehouse cannot be published; the message says what to fix."""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE' "
        "order by table_name",
        [catalog, SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def default_manifest() -> Path:
    """dbt's manifest of the last build: under $DBT_TARGET_PATH, else target/."""
    return Path(os.environ.get("DBT_TARGET_PATH") or "target") / "manifest.json"


def mart_descriptions(manifest: Path | None) -> dict[str, tuple[str, dict[str, str]]]:
    """Per model of schema marts (by table name): its description and its columns', from
    dbt's manifest; empty when there is no manifest."""
    if manifest is None or not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {
        node.get("alias") or node["name"]: (
            node.get("description") or "",
            {name.lower(): column.get("description") or ""
             for name, column in (node.get("columns") or {}).items()})
        for node in nodes if node["resource_type"] == "model" and node.get("schema") == SCHEMA
    }


def describe(con: duckdb.DuckDBPyConnection,
             descriptions: dict[str, tuple[str, dict[str, str]]]) -> None:
    """Comments the serving file's mart tables and columns with their descriptions."""
    columns = con.execute("select table_name, column_name from duckdb_columns() "
                          "where database_name = current_database() and schema_name = ?",
                          [SCHEMA]).fetchall()
    tables = {table for table, _ in columns}
    for table, (description, _) in descriptions.items():
        if description and table in tables:
            con.execute(f"comment on table {SCHEMA}.{_quote(table)} is {_literal(description)}")
    for table, column in columns:
        text = descriptions.get(table, ("", {}))[1].get(column.lower())
        if text:
            con.execute(f"comment on column {SCHEMA}.{_quote(table)}.{_quote(column)} "
                        f"is {_literal(text)}")


def pii_path_beside(serving: Path) -> Path:
    """The restricted file beside a serving file: serving/segmart.pii.duckdb."""
    return serving.with_name(f"{serving.stem}.pii{serving.suffix}")


def publish_pii(db: Path, target: Path) -> int:
    """Copy the export's pii tables of `db` to the restricted file beside `target`
    atomically (mode 0600); return the rows copied, 0 when `db` has no pii schema."""
    restricted = pii_path_beside(target)
    staging = restricted.with_name(f".{restricted.name}.{os.getpid()}.tmp")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    rows = 0
    try:
        con = duckdb.connect(str(staging))
        try:
            con.execute(f"attach {_literal(str(db))} as warehouse (read_only)")
            present = {r[0] for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'warehouse' and table_schema = ?", [PII_SCHEMA]
            ).fetchall()}
            if not set(PII_TABLES) <= present:
                restricted.unlink(missing_ok=True)  # never leave an older copy behind
                return 0
            con.execute(f"create schema {PII_SCHEMA}")
            for table in PII_TABLES:
                name = f"{PII_SCHEMA}.{_quote(table)}"
                con.execute(f"create table {name} as select * from warehouse.{name}")
                rows += con.execute(f"select count(*) from {name}").fetchall()[0][0]
            con.execute("detach warehouse")
            con.execute("checkpoint")
        finally:
            con.close()
        os.chmod(staging, 0o600)
        os.replace(staging, restricted)
    finally:
        staging.unlink(missing_ok=True)
        staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    return rows


def publish(db: Path, target: Path, progress=None, with_pii: bool = True,
            manifest: Path | None = None) -> dict[str, int]:
    """Copy every `marts` table of `db` to `target` atomically, described from dbt's
    `manifest` when given; return rows per table. With `with_pii`, first the export's pii
    tables to the restricted file beside it."""
    say = progress or (lambda _msg: None)
    if not db.exists():
        raise PublishError(f"no warehouse at {db}: run `make build` (or `make demo`) first")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(staging))
        try:
            try:
                con.execute(f"attach {_literal(str(db))} as warehouse (read_only)")
            except duckdb.IOException as exc:
                raise PublishError(
                    f"cannot open {db} read-only ({exc}); is a dbt build still writing it?"
                ) from exc
            tables = mart_tables(con, "warehouse")
            if not tables:
                raise PublishError(f"{db} has no tables in schema '{SCHEMA}': run `dbt build`")
            con.execute(f"create schema {SCHEMA}")
            for number, table in enumerate(tables, start=1):
                name = f"{SCHEMA}.{_quote(table)}"
                con.execute(f"create table {name} as select * from warehouse.{name}")
                counts[table] = con.execute(f"select count(*) from {name}").fetchall()[0][0]
                say(f"[{number}/{len(tables)}] {table}: {counts[table]:,} rows")
            con.execute(
                f"create table {SCHEMA}.{PUBLICATION_TABLE} as select "
                "cast(? as varchar) as source_database, "
                "cast(current_timestamp as timestamp) as published_at, "
                "cast(? as integer) as count_tables",
                [str(db), len(tables)],
            )
            con.execute("detach warehouse")
            describe(con, {**mart_descriptions(manifest),
                           PUBLICATION_TABLE: PUBLICATION_DESCRIPTION})
            con.execute("checkpoint")
        finally:
            con.close()
        if with_pii:
            # before the serving file: an export that sees the new marts sees the new pii
            publish_pii(db, target)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
        staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmart.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("warehouse/segmart.duckdb"),
                        help="the warehouse dbt built (read only)")
    parser.add_argument("--to", type=Path, default=Path("serving/segmart.duckdb"),
                        help="the serving file BI tools open read-only")
    parser.add_argument("--manifest", type=Path, default=default_manifest(),
                        help="dbt's manifest, for the descriptions (default: "
                             "$DBT_TARGET_PATH/manifest.json, else target/manifest.json)")
    parser.add_argument("--quiet", action="store_true", help="no per-table progress")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not args.manifest.exists():
        print(f"segmart publish: no dbt manifest at {args.manifest}, so the tables go without "
              "their descriptions (pass --manifest)", file=sys.stderr)
    try:
        counts = publish(args.db, args.to, progress=None if args.quiet else print,
                         manifest=args.manifest)
    except PublishError as exc:
        print(f"segmart publish: {exc}", file=sys.stderr)
        return 1
    print(f"published {len(counts)} mart tables ({sum(counts.values()):,} rows) "
          f"to {args.to} in {time.perf_counter() - started:.1f} s; "
          f"BI tools open it read-only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
