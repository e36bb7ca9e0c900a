"""dbt build end to end on generated data: invariants of the whole pipeline."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from conftest import columns_holding, generate, run_dbt

pytestmark = pytest.mark.e2e

MART_TABLES = ("user_profiles", "user_features", "data_quality_row_counts", "product_interest",
               "segment_memberships", "segment_summary", "segment_overlap")
STABLE_TABLES = tuple(f"marts.{t}" for t in MART_TABLES) + (
    "marts.segment_membership_history", "marts.segment_changes",
    "marts.user_clusters", "marts.cluster_profiles", "marts.clustering_quality",
    "intermediate.int_user_days_aggregated")


def test_row_counts_reconcile_with_what_was_landed(built):
    rows = {r[0]: r[1:] for r in built.query(
        "select source_table, raw_rows, staged_rows, duplicate_rows, rejected_rows, "
        "erased_rows, reconciles from marts.data_quality_row_counts")}
    planted = built.manifest["planted"]
    for table, (raw, staged, duplicates, rejected, erased, reconciles) in rows.items():
        assert raw == built.manifest["rows"][table]
        assert raw == staged + duplicates + rejected + erased
        assert reconciles
    assert rows["events"][4] > 0 and rows["customers"][4] > 0  # erased persons' raw rows
    assert rows["events"][2] == planted["events_duplicates"]
    bad_events = sum(v for k, v in planted.items() if k.startswith("events_bad_"))
    assert rows["events"][3] == bad_events
    bad_orders = sum(v for k, v in planted.items() if k.startswith("orders_bad_"))
    assert rows["orders"][3] == bad_orders
    assert rows["customers"][2] == planted["customers_superseded_versions"]


def test_every_planted_bad_row_is_quarantined_with_its_reason(built):
    reasons = dict(built.query(
        "select reject_reason, count(*) from staging.stg_tracking__events_rejected group by 1"))
    planted = built.manifest["planted"]
    assert reasons["missing_event_id"] == planted["events_bad_missing_event_id"]
    assert reasons["unknown_event_type"] == planted["events_bad_unknown_event_type"]
    assert reasons["missing_occurred_at"] == planted["events_bad_missing_occurred_at"]
    assert reasons["occurred_in_future"] == planted["events_bad_occurred_in_future"]
    assert reasons["invalid_quantity"] == planted["events_bad_invalid_quantity"]
    # blocked ids ('undefined', '0') leave no identity at all
    assert reasons["missing_identity"] == (planted["events_bad_missing_identity"]
                                           + planted["events_bad_blocked_identity"])
    order_reasons = dict(built.query(
        "select reject_reason, count(*) from staging.stg_shop__order_lines_rejected group by 1"))
    for kind in ("missing_order_id", "missing_user_id", "invalid_quantity",
                 "negative_unit_price", "unknown_status", "duplicate_order_line"):
        assert order_reasons.get(kind, 0) == planted.get(f"orders_bad_{kind}", 0), kind


def test_nothing_after_as_of_is_visible(built):
    as_of = datetime.fromisoformat(built.as_of)
    for table, column in (("intermediate.int_events_stitched", "occurred_at"),
                          ("intermediate.int_orders_aggregated", "ordered_at"),
                          ("marts.user_profiles", "last_activity_at"),
                          ("marts.user_features", "last_order_at")):
        latest = built.query(f"select max({column}) from {table}")[0][0]
        assert latest <= as_of, table


def test_erased_persons_leave_no_row_in_any_relation(built):
    """Every relation and text column of the warehouse is scanned for the erased persons'
    ids, their devices' ids and their salted e-mail hashes; only the suppression lists
    (the deletion requests and the records erased with them) may name them."""
    import hashlib

    erased = [r[0] for r in built.query("select user_id from staging.stg_crm__deletion_requests")]
    assert len(erased) >= 3, "the fixture plants erasure requests"
    devices = [f"a{u[1:]}-{d}" for u in erased for d in range(3)]
    hashes = [hashlib.sha256(f"segmart-development-salt{u}@example.com".encode()).hexdigest()
              for u in erased]
    needles = erased + devices + hashes
    assert columns_holding(built, needles) == []


def test_one_person_per_human(built):
    """Every customer's devices stitch to them: persons = customers + anonymous visitors."""
    truth = pd.concat(pd.read_parquet(p)
                      for p in (built.raw_dir / "_ground_truth").glob("*.parquet"))
    expected = truth[~truth["is_deleted"]]["user_id"]
    persons = {r[0] for r in built.query("select user_id from marts.user_profiles")}
    assert persons == set(expected)


def test_no_direct_identifier_reaches_any_mart(built):
    """Every text column of every relation in the marts schema is scanned for the landed
    e-mail addresses (and for anything shaped like one); only salted hashes may be there."""
    emails = sorted({e for p in (built.raw_dir / "customers").glob("*.parquet")
                     for e in pd.read_parquet(p, columns=["email"])["email"].dropna()})
    assert len(emails) > 500
    needles = emails + [e.upper() for e in emails]
    columns = built.query("""
        select table_name, column_name from information_schema.columns
        where table_schema = 'marts' and data_type = 'VARCHAR'
    """)
    assert len({t for t, _ in columns}) >= 20
    for table, column in columns:
        hits = built.query(
            f'select count(*) from marts."{table}" '
            f'where list_contains(?, "{column}") or "{column}" like \'%_@_%._%\'',
            [needles])[0][0]
        assert hits == 0, f"marts.{table}.{column} holds an e-mail address"
    hashes = built.query("select count(*), count(email_sha256) from marts.user_profiles "
                         "where is_customer")[0]
    assert hashes[0] == hashes[1] > 0


def test_pii_hashes_use_the_salt_from_the_environment(built, tmp_path):
    import hashlib

    db_copy = tmp_path / "salted.duckdb"
    shutil.copy(built.db_path, db_copy)
    result = run_dbt(["run", "-s", "user_profiles"], built.raw_dir, db_copy, tmp_path,
                     extra_env={"SEGMART_PII_SALT": "a-production-salt"})
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(db_copy), read_only=True) as con:
        user, digest = con.execute("select user_id, email_sha256 from marts.user_profiles "
                                   "where email_sha256 is not null limit 1").fetchall()[0]
        email = con.execute("select email from pii.pii_customers where user_id = ?",
                            [user]).fetchall()[0][0]
    assert digest == hashlib.sha256(f"a-production-salt{email}".encode()).hexdigest()
    default = built.query("select email_sha256 from marts.user_profiles where user_id = ?",
                          [user])[0][0]
    assert default != digest


def test_features_agree_with_the_daily_table(built):
    mismatches = built.query("""
        with daily as (
            select user_id,
                sum(count_sessions_started) filter (where days_before_as_of < 30) as sessions_30d,
                sum(count_orders) as orders
            from intermediate.int_user_days_aggregated group by 1
        )
        select count(*) from marts.user_features as f
        left join daily as d on f.user_id = d.user_id
        where f.count_sessions_30d != coalesce(d.sessions_30d, 0)
           or f.count_orders_lifetime != coalesce(d.orders, 0)
    """)
    assert mismatches[0][0] == 0
    orders = built.query("select count(*) from intermediate.int_orders_aggregated")[0][0]
    assert built.query("select sum(count_orders_lifetime) from marts.user_features")[0][0] == orders


def test_a_second_build_changes_nothing(built, tmp_path):
    db_copy = tmp_path / "again.duckdb"
    shutil.copy(built.db_path, db_copy)
    # stale fingerprints, so the Python models fit again rather than keep their rows: the
    # second build must repeat every fit, not only read it back
    with duckdb.connect(str(db_copy)) as con:
        kept = con.execute("select table_schema || '.' || table_name from "
                           "information_schema.columns where column_name = "
                           "'inputs_fingerprint'").fetchall()
        assert len(kept) >= 4, kept
        for (table,) in kept:
            con.execute(f"update {table} set inputs_fingerprint = 'stale'")
    result = run_dbt(["build", "--vars", json.dumps({"as_of": built.as_of})], built.raw_dir,
                     db_copy, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    for table in STABLE_TABLES:
        frames = []
        for path in (built.db_path, db_copy):
            with duckdb.connect(str(path), read_only=True) as con:
                frame = con.execute(f"select * from {table}").df()
            frames.append(frame.sort_values(list(frame.columns)).reset_index(drop=True))
        pd.testing.assert_frame_equal(*frames, obj=table)


def test_default_as_of_is_the_latest_valid_activity(built, tmp_path):
    """as_of 'latest' ignores the far-future rows the generator plants."""
    db_copy = tmp_path / "latest.duckdb"
    shutil.copy(built.db_path, db_copy)
    result = run_dbt(["run", "-s", "int_as_of_resolved"], built.raw_dir, db_copy, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(db_copy), read_only=True) as con:
        as_of, source = con.execute(
            "select as_of, as_of_source from intermediate.int_as_of_resolved").fetchone()
        latest = con.execute("select max(occurred_at) from staging.stg_tracking__events").fetchone()
    assert source == "latest_activity"
    assert as_of == latest[0]
    assert as_of < datetime.fromisoformat(built.as_of)


def test_missing_optional_columns_and_deletion_folder(tmp_path):
    """A landing zone without optional columns and without deletion_requests still builds."""
    raw = tmp_path / "raw"
    generate(raw, users=150)
    for part in (raw / "events").glob("*.parquet"):
        frame = pd.read_parquet(part).drop(columns=["page_path", "engagement_ms", "country"])
        frame["extra_column"] = "ignored"
        frame.to_parquet(part)
    shutil.rmtree(raw / "deletion_requests")
    result = run_dbt(["build", "--vars", "{as_of: '2025-01-01'}"], raw, tmp_path / "x.duckdb",
                     tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]


def test_direct_identifiers_live_only_in_the_pii_schema(built, tmp_path):
    """The landed e-mails, phones and names are found in schema pii and in no other schema of
    the warehouse, and the serving file has no pii schema at all."""
    from segmart.publish import publish

    landed = pd.concat(pd.read_parquet(p) for p in (built.raw_dir / "customers").glob("*.parquet"))
    needles = sorted(set(landed["email"].dropna()) | set(landed["phone"].dropna())
                     | {f"{f} {ln}" for f, ln in zip(landed["first_name"], landed["last_name"],
                                                    strict=True)})
    assert len(needles) > 500
    columns = built.query("""
        select table_schema, table_name, column_name from information_schema.columns
        where data_type = 'VARCHAR'
    """)
    found: dict[str, int] = {}
    for schema, table, column in columns:
        hits = built.query(
            f'select count(*) from "{schema}"."{table}" where list_contains(?, "{column}")',
            [needles])[0][0]
        if hits:
            found[f"{schema}.{table}.{column}"] = hits
    assert found, "the pii schema holds the identifiers"
    assert {key.split(".")[0] for key in found} == {"pii"}, found
    serving = tmp_path / "serving.duckdb"
    publish(built.db_path, serving)
    with duckdb.connect(str(serving), read_only=True) as con:
        schemas = {r[0] for r in con.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
    assert schemas == {"marts"}
