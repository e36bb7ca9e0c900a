"""user_features' BTYD columns equal lifetimes' summary_data_from_transaction_data.

The reference side starts from the raw order files and applies the orders contract with
pandas (its own code, not the project's SQL), then asks lifetimes for the summary with daily
periods and the observation end at the as_of date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

lifetimes_utils = pytest.importorskip("lifetimes.utils")

pytestmark = pytest.mark.e2e


def _reference_orders(built) -> pd.DataFrame:
    lines = pd.concat(pd.read_parquet(p)
                      for p in sorted((built.raw_dir / "orders").glob("*.parquet")))
    erased = set(pd.concat(pd.read_parquet(p) for p in
                           (built.raw_dir / "deletion_requests").glob("*.parquet"))["user_id"])
    as_of = pd.Timestamp(built.as_of, tz="UTC")
    valid = lines.dropna(subset=["order_id", "user_id", "ordered_at", "line_number"])
    valid = valid[(valid["quantity"] > 0) & (valid["unit_price"] >= 0)
                  & valid["status"].isin(["completed", "cancelled", "refunded"])]
    valid = valid.drop_duplicates(["order_id", "line_number"])
    completed = valid[(valid["status"] == "completed") & ~valid["user_id"].isin(erased)]
    completed = completed.assign(revenue=completed["quantity"] * completed["unit_price"])
    orders = completed.groupby("order_id").agg(user_id=("user_id", "min"),
                                               ordered_at=("ordered_at", "min"),
                                               revenue=("revenue", "sum")).reset_index()
    orders = orders[orders["ordered_at"] <= as_of]
    orders["ordered_at"] = orders["ordered_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    return orders


def test_btyd_summary_matches_lifetimes(built):
    orders = _reference_orders(built)
    as_of_date = pd.Timestamp(built.as_of).normalize()
    expected = lifetimes_utils.summary_data_from_transaction_data(
        orders, "user_id", "ordered_at", monetary_value_col="revenue",
        observation_period_end=as_of_date, freq="D",
    ).sort_index()
    actual = built.frame(
        "select user_id, btyd_frequency, btyd_recency, btyd_t, btyd_monetary_value "
        "from marts.user_features where btyd_frequency is not null order by user_id"
    ).set_index("user_id")
    assert len(expected) > 500
    assert list(actual.index) == list(expected.index)
    np.testing.assert_array_equal(actual["btyd_frequency"].to_numpy(),
                                  expected["frequency"].to_numpy())
    np.testing.assert_allclose(actual["btyd_recency"], expected["recency"], rtol=1e-12)
    np.testing.assert_allclose(actual["btyd_t"], expected["T"], rtol=1e-12)
    np.testing.assert_allclose(actual["btyd_monetary_value"], expected["monetary_value"],
                               rtol=1e-9, atol=1e-9)
