"""segmart.landing_checks: what a landed file is rejected for, from its first and last bytes
and its Parquet footer only."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segmart.landing_checks import check_landing_file, check_landing_file_json

CONTRACT = {"event_id": "text", "occurred_at": "timestamp", "price": "number"}


def _good(path) -> None:
    pd.DataFrame({"event_id": ["e1"], "occurred_at": [pd.Timestamp("2025-01-01")],
                  "price": [1.5], "extra": [[1, 2]]}).to_parquet(path, index=False)


def test_a_good_file_passes_with_the_kind_of_every_column(tmp_path):
    path = tmp_path / "part-1.parquet"
    _good(path)
    assert check_landing_file(str(path), CONTRACT) == {
        "reason": None,
        # a nested column outside the contract passes through
        "kinds": {"event_id": "text", "occurred_at": "timestamp", "price": "float",
                  "extra": "nested"}}


@pytest.mark.parametrize(("name", "write", "reason"), [
    ("stray.csv", lambda p: p.write_text("a,b\n1,2\n"), "not_parquet"),
    ("upload.parquet.tmp", _good, "not_parquet"),
    ("renamed-csv.parquet", lambda p: p.write_text("a,b\n1,2\n"), "not_parquet"),
    ("empty.parquet", lambda p: p.write_bytes(b""), "empty_file"),
    ("tiny.parquet", lambda p: p.write_bytes(b"PAR1"), "truncated"),
    ("no-columns.parquet", lambda p: pq.write_table(pa.table({}), p), "no_columns"),
    ("nested.parquet", lambda p: pq.write_table(
        pa.table({"event_id": ["e1"], "price": pa.array([{"amount": 1.0}])}), p),
     "incompatible_type:price"),
    ("float-time.parquet", lambda p: pq.write_table(
        pa.table({"occurred_at": pa.array([1.7e9])}), p), "incompatible_type:occurred_at"),
])
def test_a_bad_file_is_rejected_with_its_reason(tmp_path, name, write, reason):
    path = tmp_path / name
    write(path)
    assert check_landing_file(str(path), CONTRACT)["reason"] == reason


def test_an_upload_in_progress_is_truncated_and_passes_once_complete(tmp_path):
    whole = tmp_path / "whole.parquet"
    _good(whole)
    data = whole.read_bytes()
    partial = tmp_path / "partial.parquet"
    partial.write_bytes(data[: len(data) // 2])
    assert check_landing_file(str(partial), CONTRACT)["reason"] == "truncated"
    partial.write_bytes(data)
    assert check_landing_file(str(partial), CONTRACT)["reason"] is None


def test_a_corrupt_footer_is_unreadable(tmp_path):
    path = tmp_path / "corrupt.parquet"
    _good(path)
    data = bytearray(path.read_bytes())
    data[-40:-8] = b"\xff" * 32  # inside the footer, the magic bytes kept
    path.write_bytes(bytes(data))
    assert check_landing_file(str(path), CONTRACT)["reason"] == "unreadable"


def test_integer_and_text_times_are_accepted(tmp_path):
    path = tmp_path / "epoch.parquet"
    pd.DataFrame({"occurred_at": [1735120800], "price": ["12.5"]}).to_parquet(path)
    assert check_landing_file(str(path), CONTRACT)["reason"] is None


def test_a_file_gone_before_its_check_is_unreadable(tmp_path):
    assert check_landing_file(str(tmp_path / "gone.parquet"), CONTRACT)["reason"] == (
        "unreadable")


def test_the_sql_function_takes_every_tables_contract_as_json(tmp_path):
    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"price": pa.array([{"amount": 1.0}])}), path)
    contracts = json.dumps({"events": CONTRACT, "orders": {"unit_price": "number"}})
    assert json.loads(check_landing_file_json(str(path), "events", contracts))["reason"] == (
        "incompatible_type:price")
    # a table without that column in its contract takes the file
    assert json.loads(check_landing_file_json(str(path), "orders", contracts))["reason"] is None
