"""The bad-input catalogue: every kind of bad input the landing zone can deliver, fed into a
real `dbt build`, with its outcome.

Row-level defects end in a `_rejected` model with their reason (or are counted as
duplicates), and row counts still reconcile. A file that cannot be read or does not fit the
contract is quarantined whole (landing_files_rejected) and the rest of the load builds.
Defects of the whole landing zone or of the build's settings stop the build with a message
that names the folder or var.

Each row-level case is tagged with its name in product_id (events, order lines) or user_id
(customers), so a failure names the case.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import generate, run_dbt

pytestmark = pytest.mark.e2e

AS_OF = "2025-01-10 00:00:00"
ts = pd.Timestamp


def _event(case: str, **overrides) -> dict:
    row = {"event_id": f"e_{case}", "event_type": "page_view",
           "occurred_at": ts("2025-01-05 10:00:00"), "user_id": f"u_{case}",
           "anonymous_id": None, "page_path": "/", "product_id": case, "price": None,
           "quantity": 1, "channel": "direct"}
    return {**row, **overrides}


# (case, outcome in staging): "staged", "duplicate" or the reject reason
EVENT_CASES = [
    ("valid", "staged"),
    ("duplicate_same_payload", "duplicate"),
    ("duplicate_other_payload", "duplicate"),
    ("missing_event_id", "missing_event_id"),
    ("no_identity", "missing_identity"),
    ("blocked_identity", "missing_identity"),
    ("unknown_event_type", "unknown_event_type"),
    ("missing_time", "missing_occurred_at"),
    ("unparseable_time", "unparseable_occurred_at"),
    ("far_future_time", "occurred_in_future"),
    ("negative_price", "negative_price"),
    ("zero_quantity", "invalid_quantity"),
    ("price_as_castable_text", "staged"),
    ("price_as_uncastable_text", "unparseable_price"),
    ("extra_column", "staged"),
    ("missing_optional_column", "staged"),
]

ORDER_CASES = [
    ("valid_line", "staged"),
    ("missing_order_id", "missing_order_id"),
    ("missing_user_id", "missing_user_id"),
    ("unknown_status", "unknown_status"),
    ("negative_unit_price", "negative_unit_price"),
    ("free_item", "staged"),
    ("zero_quantity_line", "invalid_quantity"),
    ("unit_price_as_castable_text", "staged"),
    ("unit_price_as_uncastable_text", "unparseable_unit_price"),
    ("unparseable_order_time", "unparseable_ordered_at"),
]


def _write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / f"{name}.parquet", index=False)


def _landing(raw: Path) -> None:
    # events, file 1: typed as the contract says
    typed = [
        _event("valid"),
        _event("duplicate_same_payload"),
        _event("duplicate_other_payload"),
        _event("missing_event_id", event_id=None),
        _event("no_identity", user_id=None),
        _event("blocked_identity", user_id="undefined", anonymous_id="0"),
        _event("unknown_event_type", event_type="teleport"),
        _event("missing_time", occurred_at=None),
        _event("far_future_time", occurred_at=ts("2099-01-01")),
        _event("negative_price", event_type="add_to_cart", price=-5.0),
        _event("zero_quantity", event_type="add_to_cart", price=5.0, quantity=0),
    ]
    _write(raw / "events", "part-1-typed", pd.DataFrame(typed))
    # events, file 2: a producer that sends times and prices as text, and an extra column
    text = [
        _event("unparseable_time", occurred_at="last tuesday"),
        _event("price_as_castable_text", event_type="add_to_cart", price="12.50"),
        _event("price_as_uncastable_text", event_type="add_to_cart", price="twelve"),
        _event("extra_column"),
    ]
    frame = pd.DataFrame(text)
    frame["occurred_at"] = [str(v) for v in frame["occurred_at"]]
    frame["price"] = [None if v is None or v != v else str(v) for v in frame["price"]]
    frame["favourite_colour"] = "teal"
    _write(raw / "events", "part-2-text", frame)
    # events, file 3: a later load re-delivers two events (one with another payload) and
    # lacks the optional page_path column
    redelivered = pd.DataFrame([
        _event("duplicate_same_payload"),
        _event("duplicate_other_payload", channel="email"),
        _event("missing_optional_column"),
    ]).drop(columns=["page_path"])
    _write(raw / "events", "part-3-redelivery", redelivered)

    def line(case: str, **overrides) -> dict:
        row = {"order_id": f"o_{case}", "line_number": 1, "user_id": "u_valid",
               "ordered_at": ts("2025-01-06 10:00:00", tz="UTC"), "product_id": case,
               "category": "c", "quantity": 1, "unit_price": 10.0, "status": "completed"}
        return {**row, **overrides}

    lines = [
        line("valid_line"),
        line("missing_order_id", order_id=None),
        line("missing_user_id", user_id=None),
        line("unknown_status", status="lost_in_the_post"),
        line("negative_unit_price", unit_price=-1.0),
        line("free_item", unit_price=0.0),
        line("zero_quantity_line", quantity=0),
    ]
    _write(raw / "orders", "part-1-typed", pd.DataFrame(lines))
    text_lines = pd.DataFrame([
        line("unit_price_as_castable_text", unit_price="9.99"),
        line("unit_price_as_uncastable_text", unit_price="free"),
        line("unparseable_order_time", ordered_at="yesterday-ish"),
        line("valid_line"),  # the same line delivered again in a later file
    ])
    text_lines["ordered_at"] = [str(v) for v in text_lines["ordered_at"]]
    text_lines["unit_price"] = [str(v) for v in text_lines["unit_price"]]
    _write(raw / "orders", "part-2-text", text_lines)

    def customer(user: str, **overrides) -> dict:
        row = {"user_id": user, "email": f"{user}@example.com", "signup_at": ts("2024-06-01"),
               "timezone": "Europe/Paris", "marketing_consent": True,
               "updated_at": ts("2024-06-01")}
        return {**row, **overrides}

    _write(raw / "customers", "part-1", pd.DataFrame([
        customer("u_valid"),
        customer("u_listed_twice", email="old@example.com"),
        customer("u_listed_twice", email="new@example.com", updated_at=ts("2024-09-01"),
                 marketing_consent=False),
        customer("u_unknown_time_zone", timezone="Mars/Olympus_Mons"),
        customer(None),
    ]))


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    work = tmp_path_factory.mktemp("catalogue")
    raw = work / "raw"
    _landing(raw)
    db = work / "catalogue.duckdb"
    # a dozen hand-made persons are too few to cluster: leave the ml models out
    result = run_dbt(["build", "--exclude", "path:models/marts/ml",
                      "--vars", json.dumps({"as_of": AS_OF})], raw, db, work)
    assert result.returncode == 0, result.stdout[-6000:]
    return raw, db


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _outcome(db: Path, model: str, case: str) -> tuple[int, list[str]]:
    """Rows of a case staged in `model`, and the reasons of its rows in `model`_rejected."""
    staged = _query(db, f"select count(*) from staging.{model} where product_id = '{case}'")
    reasons = _query(db, f"select reject_reason from staging.{model}_rejected "
                         f"where product_id = '{case}'")
    return staged[0][0], [r[0] for r in reasons]


@pytest.mark.parametrize(("case", "outcome"), EVENT_CASES)
def test_event_case(catalogue, case, outcome):
    expected = (1, []) if outcome in ("staged", "duplicate") else (0, [outcome])
    assert _outcome(catalogue[1], "stg_tracking__events", case) == expected


@pytest.mark.parametrize(("case", "outcome"), ORDER_CASES)
def test_order_line_case(catalogue, case, outcome):
    expected = (1, []) if outcome == "staged" else (0, [outcome])
    if case == "valid_line":  # delivered twice: the repeat is rejected
        expected = (1, ["duplicate_order_line"])
    assert _outcome(catalogue[1], "stg_shop__order_lines", case) == expected


def test_a_free_item_is_a_purchase_flagged_and_counted(catalogue):
    _, db = catalogue
    assert _query(db, "select is_free_item, line_revenue from staging.stg_shop__order_lines "
                      "where product_id = 'free_item'") == [(True, 0)]
    # the free line is an order of its own, worth nothing
    assert _query(db, "select count_orders_lifetime, count_free_items_lifetime, "
                      "total_revenue_lifetime from marts.user_features "
                      "where user_id = 'u_valid'") == [(3, 1, 19.99)]


def test_a_repeated_order_line_is_rejected_after_its_first_delivery(catalogue):
    _, db = catalogue
    assert _query(db, "select source_file from staging.stg_shop__order_lines_rejected "
                      "where reject_reason = 'duplicate_order_line'")[0][0].endswith(
        "part-2-text.parquet")


def test_text_values_that_cast_keep_their_value(catalogue):
    _, db = catalogue
    assert _query(db, "select price from staging.stg_tracking__events "
                      "where product_id = 'price_as_castable_text'") == [(12.5,)]
    assert _query(db, "select unit_price from staging.stg_shop__order_lines "
                      "where product_id = 'unit_price_as_castable_text'") == [(9.99,)]


def test_the_first_delivery_of_a_duplicate_wins(catalogue):
    _, db = catalogue
    channel, source = _query(db, "select channel, source_file from staging.stg_tracking__events "
                                 "where event_id = 'e_duplicate_other_payload'")[0]
    assert channel == "direct" and source.endswith("part-1-typed.parquet")


def test_a_customer_listed_twice_keeps_the_latest_version(catalogue):
    _, db = catalogue
    rows = _query(db, "select email, has_marketing_consent from pii.pii_customers "
                      "inner join staging.stg_crm__customers using (user_id) "
                      "where user_id = 'u_listed_twice'")
    assert rows == [("new@example.com", False)]
    assert _query(db, "select reject_reason from staging.stg_crm__customers_rejected") == [
        ("missing_user_id",)]


def test_an_unknown_time_zone_is_kept_flagged_and_counted(catalogue):
    _, db = catalogue
    assert _query(db, "select time_zone, has_unknown_time_zone from marts.user_profiles "
                      "where user_id = 'u_unknown_time_zone'") == [(None, True)]
    assert _query(db, "select detail, observed from marts.data_quality "
                      "where check_name = 'unknown_time_zones'") == [("Mars/Olympus_Mons", 1.0)]


def test_row_counts_reconcile_and_every_reject_is_counted_by_reason_and_day(catalogue):
    raw, db = catalogue
    counts = {r[0]: r[1:] for r in _query(db, """
        select source_table, raw_rows, staged_rows, duplicate_rows, rejected_rows, reconciles
        from marts.data_quality_row_counts""")}
    landed = {table: sum(len(pd.read_parquet(p)) for p in (raw / table).glob("*.parquet"))
              for table in ("events", "orders", "customers")}
    event_rejects = sum(o not in ("staged", "duplicate") for _, o in EVENT_CASES)
    order_rejects = sum(o != "staged" for _, o in ORDER_CASES) + 1  # + the repeated line
    assert counts["events"] == (landed["events"], 6, 2, event_rejects, True)
    assert counts["orders"] == (landed["orders"], 3, 0, order_rejects, True)
    assert counts["customers"] == (landed["customers"], 3, 1, 1, True)
    by_reason = dict(_query(db, """
        select source_table || ':' || detail, sum(observed) from marts.data_quality
        where check_name = 'rejected_rows' group by 1"""))
    for table, cases in (("events", EVENT_CASES), ("orders", ORDER_CASES)):
        for outcome in {o for _, o in cases} - {"staged", "duplicate"}:
            expected = sum(o == outcome for _, o in cases)
            assert by_reason.pop(f"{table}:{outcome}") == expected, outcome
    assert by_reason == {"customers:missing_user_id": 1, "orders:duplicate_order_line": 1}
    days = _query(db, "select observed_date from marts.data_quality "
                      "where check_name = 'rejected_rows' and detail = 'negative_price'")
    assert [str(d[0]) for d in days] == ["2025-01-05"]


# --- file-level defects: the file is quarantined whole, the rest of the load builds ------

# (file under events/, reason in landing_files_rejected)
FILE_CASES = [
    ("part-5-truncated.parquet", "truncated"),       # an upload still in progress
    ("part-6-no-columns.parquet", "no_columns"),     # a producer that wrote an empty batch
    ("stray.csv", "not_parquet"),
    ("part-7-nested.parquet", "incompatible_type:price"),
    ("part-8-empty.parquet", "empty_file"),
    ("part-9-upload.parquet.tmp", "not_parquet"),    # renamed to .parquet after the upload
]
# integer epochs (seconds, milliseconds, microseconds, nanoseconds since 1970) in a file of
# their own, beside files whose occurred_at is a timestamp (part-1) and text (part-2)
EPOCH_CASES = [
    ("epoch_seconds", 1736071200, "staged"),
    ("epoch_milliseconds", 1736071200000, "staged"),
    ("epoch_microseconds", 1736071200000000, "staged"),
    ("epoch_nanoseconds", 1736071200000000000, "staged"),
    ("epoch_out_of_range", 42, "out_of_range_occurred_at"),
]
EPOCH_AT = ts("2025-01-05 10:00:00")


def _file_cases(raw: Path) -> None:
    events = raw / "events"
    _write(events, "part-4-epoch", pd.DataFrame(
        [_event(case, occurred_at=value) for case, value, _ in EPOCH_CASES]))
    whole = (events / "part-1-typed.parquet").read_bytes()
    (events / "part-5-truncated.parquet").write_bytes(whole[: len(whole) // 2])
    pq.write_table(pa.table({}), events / "part-6-no-columns.parquet")
    (events / "stray.csv").write_text("event_id,occurred_at\ne_csv,2025-01-05\n")
    pq.write_table(pa.table({"event_id": ["e_nested"], "occurred_at": [EPOCH_AT],
                             "price": pa.array([{"amount": 1.0}])}),
                   events / "part-7-nested.parquet")
    (events / "part-8-empty.parquet").write_bytes(b"")
    pd.DataFrame([_event("renamed_after_upload")]).to_parquet(
        events / "part-9-upload.parquet.tmp", index=False)
    # not landed files: ignored, as Spark and Hadoop ignore them
    (events / "_SUCCESS").write_bytes(b"")
    (events / ".part-1-typed.parquet.crc").write_bytes(b"crc")
    # orders and customers with integer times (milliseconds, seconds), one out of range
    _write(raw / "orders", "part-3-epoch", pd.DataFrame([
        {"order_id": "o_epoch", "line_number": 1, "user_id": "u_valid",
         "ordered_at": 1736157600000, "product_id": "epoch_line", "category": "c",
         "quantity": 1, "unit_price": 10.0, "status": "completed"},
        {"order_id": "o_epoch_bad", "line_number": 1, "user_id": "u_valid",
         "ordered_at": -5, "product_id": "epoch_line_out_of_range", "category": "c",
         "quantity": 1, "unit_price": 10.0, "status": "completed"},
    ]))
    _write(raw / "customers", "part-2-epoch", pd.DataFrame([
        {"user_id": "u_epoch", "email": "e@example.com", "signup_at": 1717200000,
         "timezone": "Europe/Paris", "marketing_consent": True, "updated_at": 1717200000},
        {"user_id": "u_epoch_bad", "email": "b@example.com", "signup_at": 1717200000,
         "timezone": "Europe/Paris", "marketing_consent": True, "updated_at": 99},
    ]))


@pytest.fixture(scope="module")
def file_catalogue(catalogue, tmp_path_factory):
    """The catalogue's landing zone plus every file-level case, built twice: the second
    build after the upload was renamed to .parquet, with segmart_rejected_file_max_hours 0
    (every rejected file is then overdue: an error)."""
    work = tmp_path_factory.mktemp("file_catalogue")
    raw = work / "raw"
    shutil.copytree(catalogue[0], raw)
    _file_cases(raw)
    db = work / "files.duckdb"
    build = ["build", "--exclude", "path:models/marts/ml"]
    first = run_dbt([*build, "--vars", json.dumps({"as_of": AS_OF})], raw, db, work)
    assert first.returncode == 0, first.stdout[-6000:]
    before = _query(db, "select file, reason, checked_at "
                        "from main.segmart_landing_file_checks where table_name = 'events'")
    first_db = work / "first.duckdb"
    shutil.copy(db, first_db)
    (raw / "events" / "part-9-upload.parquet.tmp").rename(raw / "events" / "part-9-upload.parquet")
    second = run_dbt([*build, "--vars", json.dumps(
        {"as_of": AS_OF, "segmart_rejected_file_max_hours": 0})], raw, db, work)
    return {"raw": raw, "first": first_db, "db": db, "second": second,
            "checks_before": {file: (reason, at) for file, reason, at in before}}


def test_every_bad_file_is_quarantined_with_its_reason(file_catalogue):
    rejected = _query(file_catalogue["first"], "select source_table, file, reject_reason "
                                               "from staging.landing_files_rejected")
    assert sorted(rejected) == sorted(("events", f, r) for f, r in FILE_CASES)


def test_the_other_files_rows_are_staged_and_reconcile(file_catalogue, catalogue):
    _, plain = catalogue
    for db in (file_catalogue["first"], file_catalogue["db"]):
        counts = {r[0]: r[1:] for r in _query(db, """
            select source_table, staged_rows, reconciles, count_rejected_files
            from marts.data_quality_row_counts""")}
        plain_counts = dict(_query(plain, "select source_table, staged_rows "
                                          "from marts.data_quality_row_counts"))
        epoch_staged = sum(o == "staged" for _, _, o in EPOCH_CASES)
        renamed = int(db == file_catalogue["db"])
        assert counts["events"] == (plain_counts["events"] + epoch_staged + renamed, True,
                                    len(FILE_CASES) - renamed)
        assert counts["orders"] == (plain_counts["orders"] + 1, True, 0)
        assert counts["customers"] == (plain_counts["customers"] + 1, True, 0)
    # every event case of the catalogue is still staged or rejected as before
    for case, outcome in EVENT_CASES:
        expected = (1, []) if outcome in ("staged", "duplicate") else (0, [outcome])
        assert _outcome(file_catalogue["first"], "stg_tracking__events", case) == expected


@pytest.mark.parametrize(("case", "value", "outcome"), EPOCH_CASES)
def test_an_integer_time_is_read_by_its_magnitude(file_catalogue, case, value, outcome):
    db = file_catalogue["first"]
    if outcome == "staged":
        assert _query(db, "select occurred_at from staging.stg_tracking__events "
                          f"where product_id = '{case}'") == [(EPOCH_AT.to_pydatetime(),)]
    else:
        assert _outcome(db, "stg_tracking__events", case) == (0, [outcome])
        assert _query(db, "select occurred_at_raw from staging.stg_tracking__events_rejected "
                          f"where product_id = '{case}'") == [(str(value),)]


def test_integer_times_of_orders_and_customers(file_catalogue):
    db = file_catalogue["first"]
    assert _query(db, "select ordered_at from staging.stg_shop__order_lines "
                      "where order_id = 'o_epoch'") == [(ts("2025-01-06 10:00").to_pydatetime(),)]
    assert _outcome(db, "stg_shop__order_lines", "epoch_line_out_of_range") == (
        0, ["out_of_range_ordered_at"])
    assert _query(db, "select signup_at from staging.stg_crm__customers "
                      "where user_id = 'u_epoch'") == [(ts("2024-06-01").to_pydatetime(),)]
    assert _query(db, "select reject_reason from staging.stg_crm__customers_rejected "
                      "where user_id = 'u_epoch_bad'") == [("out_of_range_updated_at",)]


def test_rejected_files_are_a_warning_listed_in_data_quality(file_catalogue):
    rows = _query(file_catalogue["first"], "select detail, is_flagged, expected "
                                            "from marts.data_quality "
                                            "where check_name = 'rejected_files'")
    assert sorted(rows) == sorted((f"{r}: {f}", True, 24.0) for f, r in FILE_CASES)


def test_a_renamed_upload_is_staged_and_leaves_the_quarantine(file_catalogue):
    db = file_catalogue["db"]
    assert _query(db, "select source_file from staging.stg_tracking__events "
                      "where product_id = 'renamed_after_upload'") == [("part-9-upload.parquet",)]
    rejected = {f for f, in _query(db, "select file from staging.landing_files_rejected")}
    assert rejected == {f for f, _ in FILE_CASES} - {"part-9-upload.parquet.tmp"}


def test_a_file_rejected_past_the_threshold_fails_the_build(file_catalogue):
    second = file_catalogue["second"]
    assert second.returncode != 0
    assert "data_quality_no_file_stays_rejected_too_long" in second.stdout
    assert "ERROR=1" in second.stdout  # that test only: everything else built


def test_an_accepted_file_is_checked_once_a_rejected_one_every_build(file_catalogue):
    before = file_catalogue["checks_before"]
    after = {file: (reason, at) for file, reason, at in _query(
        file_catalogue["db"], "select file, reason, checked_at "
                              "from main.segmart_landing_file_checks "
                              "where table_name = 'events'")}
    for file, (reason, checked_at) in before.items():
        if reason is None:
            assert after[file] == (None, checked_at), file
        elif file in after:
            assert after[file][1] > checked_at, file


# --- defects of the whole landing zone or of the settings stop the build ------------------

def test_missing_landing_folder_names_the_path(tmp_path):
    result = run_dbt(["build"], tmp_path / "nowhere", tmp_path / "x.duckdb", tmp_path)
    assert result.returncode != 0
    assert f"{tmp_path / 'nowhere'}/events" in result.stdout
    assert "SEGMART_RAW_DIR" in result.stdout


def test_empty_landing_folder_names_the_path(tmp_path):
    raw = tmp_path / "raw"
    generate(raw, users=100)
    for part in (raw / "orders").glob("*.parquet"):
        part.unlink()
    result = run_dbt(["build"], raw, tmp_path / "x.duckdb", tmp_path)
    assert result.returncode != 0
    assert f"{raw}/orders" in result.stdout


def test_unparseable_as_of_names_the_var(catalogue, tmp_path):
    raw, _ = catalogue
    result = run_dbt(["build", "--vars", "{as_of: '2025-02-30'}"], raw,
                     tmp_path / "x.duckdb", tmp_path)
    assert result.returncode != 0
    assert "var 'as_of' must be 'latest' or a UTC timestamp" in result.stdout
    assert "2025-02-30" in result.stdout


@pytest.mark.parametrize(("override", "message"), [
    ({"segmart_dormant_days": -3}, "var 'segmart_dormant_days' must be a whole number >= 1"),
    ({"segmart_evening_browsers_min_share": 1.5},
     "var 'segmart_evening_browsers_min_share' must be a number from 0 to 1"),
    # a product rule may not look further back than the person-product-days are kept
    ({"segmart_repeat_viewers_window_days": 45},
     "var 'segmart_repeat_viewers_window_days' is 45 days, but "
     "int_user_product_days_aggregated keeps only the last 30"),
    ({"segmart_product_days_window_days": 20},
     "var 'segmart_product_days_window_days' must be a whole number >= 30"),
])
def test_bad_rule_var_names_the_var(catalogue, tmp_path, override, message):
    raw, _ = catalogue
    result = run_dbt(["compile", "-s", "tag:segment", "--vars", json.dumps(override)],
                     raw, tmp_path / "x.duckdb", tmp_path)
    assert result.returncode != 0
    assert message in result.stdout
