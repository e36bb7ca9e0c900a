"""Real data end to end: the UCI Online Retail data set through the adapter and `dbt build`.

The expectations are computed from the source file with pandas, independently of the
adapter's and the models' SQL; the BTYD columns are checked against lifetimes, whose own
documentation uses this very data set.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_ROOT, run_dbt
from segmart.online_retail import DBT_VARS, AdapterError, convert

pytestmark = pytest.mark.e2e

SOURCE = PROJECT_ROOT.parent / "shared" / "data" / "online_retail.parquet"
EVENT_RULES = {"cart_abandoners", "high_value_cart_abandoners", "high_intent",
               "highly_active_users", "infrequent_evening_browsers", "repeat_product_viewers"}


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    assert SOURCE.exists(), f"the real data set is expected at {SOURCE} (../shared/data)"
    return pd.read_parquet(SOURCE)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    work = tmp_path_factory.mktemp("online_retail")
    raw = work / "raw"
    counts = convert(SOURCE, raw)
    db = work / "online_retail.duckdb"
    result = run_dbt(["build", "--vars", json.dumps(DBT_VARS)], raw, db, work)
    assert result.returncode == 0, result.stdout[-6000:]
    return raw, db, counts


def _query(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _valid_lines(source: pd.DataFrame) -> pd.DataFrame:
    """The order lines the contract keeps, derived from the source with pandas."""
    lines = source[source["CustomerID"].notna() & (source["UnitPrice"] >= 0)]
    return lines.drop_duplicates()


def test_the_adapter_lands_every_source_line(real, source):
    raw, _, counts = real
    assert counts["source"] == counts["orders"] == len(source)
    orders = pd.read_parquet(raw / "orders")
    # UK local time to UTC: a summer invoice (BST) moves one hour back, a winter one not
    summer = source[source["InvoiceDate"].dt.month == 7].iloc[0]
    landed = orders[(orders["order_id"] == summer["InvoiceNo"])]["ordered_at"].iloc[0]
    assert landed == pd.Timestamp(summer["InvoiceDate"]).tz_localize("UTC") - pd.Timedelta("1h")
    winter = source[source["InvoiceDate"].dt.month == 1].iloc[0]
    landed = orders[(orders["order_id"] == winter["InvoiceNo"])]["ordered_at"].iloc[0]
    assert landed == pd.Timestamp(winter["InvoiceDate"]).tz_localize("UTC")
    statuses = orders["status"].value_counts().to_dict()
    assert statuses["cancelled"] == source["InvoiceNo"].str.startswith("C").sum()
    assert (orders["quantity"] > 0).all()


def test_row_counts_reconcile_and_rejects_follow_the_source(real, source):
    _, db, _ = real
    raw_rows, staged, duplicates, rejected, reconciles = _query(db, """
        select raw_rows, staged_rows, duplicate_rows, rejected_rows, reconciles
        from marts.data_quality_row_counts where source_table = 'orders'""")[0]
    assert raw_rows == len(source) == staged + duplicates + rejected and reconciles
    reasons = dict(_query(db, "select reject_reason, count(*) from "
                              "staging.stg_shop__order_lines_rejected group by 1"))
    with_customer = source[source["CustomerID"].notna()]
    assert reasons["missing_user_id"] == source["CustomerID"].isna().sum()
    assert "zero_unit_price" not in reasons
    assert reasons.get("negative_unit_price", 0) == (with_customer["UnitPrice"] < 0).sum()
    valid = _valid_lines(source)
    assert reasons["duplicate_order_line"] == (
        len(source[source["CustomerID"].notna() & (source["UnitPrice"] >= 0)]) - len(valid))
    assert staged == len(valid)
    # a free item is a purchase worth nothing, flagged on the line and counted on the person
    free = _query(db, "select count(*) from staging.stg_shop__order_lines where is_free_item")
    assert free[0][0] == (valid["UnitPrice"] == 0).sum() > 0
    counted = _query(db, "select sum(count_free_items_lifetime) from marts.user_features")[0][0]
    completed = valid[~valid["InvoiceNo"].str.startswith("C") & (valid["Quantity"] > 0)]
    assert counted == (completed["UnitPrice"] == 0).sum()
    persons = _query(db, "select count(*) from marts.user_profiles")[0][0]
    assert persons == source["CustomerID"].nunique()


def test_btyd_columns_match_lifetimes(real, source):
    from lifetimes.utils import summary_data_from_transaction_data

    _, db, _ = real
    valid = _valid_lines(source)
    completed = valid[~valid["InvoiceNo"].str.startswith("C") & (valid["Quantity"] > 0)]
    completed = completed.assign(
        user_id="c" + completed["CustomerID"].astype(int).astype(str),
        revenue=completed["Quantity"] * completed["UnitPrice"],
        ordered_at=completed["InvoiceDate"].dt.tz_localize("Europe/London").dt.tz_convert(None))
    orders = completed.groupby("InvoiceNo").agg(user_id=("user_id", "min"),
                                                ordered_at=("ordered_at", "min"),
                                                revenue=("revenue", "sum"))
    expected = summary_data_from_transaction_data(
        orders, "user_id", "ordered_at", monetary_value_col="revenue",
        observation_period_end=pd.Timestamp(DBT_VARS["as_of"]), freq="D").sort_index()
    with duckdb.connect(str(db), read_only=True) as con:
        actual = con.execute(
            "select user_id, btyd_frequency, btyd_recency, btyd_t, btyd_monetary_value "
            "from marts.user_features where btyd_frequency is not null order by user_id"
        ).df().set_index("user_id")
    assert len(expected) > 4000
    assert list(actual.index) == list(expected.index)
    np.testing.assert_array_equal(actual["btyd_frequency"], expected["frequency"])
    np.testing.assert_allclose(actual["btyd_recency"], expected["recency"])
    np.testing.assert_allclose(actual["btyd_t"], expected["T"])
    np.testing.assert_allclose(actual["btyd_monetary_value"], expected["monetary_value"],
                               rtol=1e-9, atol=1e-9)


def test_customer_value_fits_or_skips_with_a_reason(real):
    """Real data: both CLV models are fitted or skipped with a reason, never a failed build;
    a clean fit agrees with lifetimes' on the same summary."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    _, db, _ = real
    with duckdb.connect(str(db), read_only=True) as con:
        fits = con.execute("select * from marts.clv_model_fit order by model").df()
        summary = con.execute(
            "select btyd_frequency, btyd_recency, btyd_t, btyd_monetary_value "
            "from marts.user_features where btyd_frequency is not null").df()
        scored = con.execute("select count(*) from marts.customer_value").fetchone()[0]
    assert scored == len(summary) > 4000
    assert list(fits["model"]) == ["bg_nbd", "gamma_gamma"]
    for fit in fits.to_dict("records"):
        assert fit["status"] in ("fitted", "skipped")
        assert fit["status"] == "fitted" or fit["reason"], fit
    bg, gg = (fits.set_index("model").loc[m] for m in ("bg_nbd", "gamma_gamma"))
    if bg["status"] == "fitted" and pd.isna(bg["reason"]):
        reference = BetaGeoFitter().fit(summary["btyd_frequency"], summary["btyd_recency"],
                                        summary["btyd_t"])
        for name in ("r", "alpha", "a", "b"):
            assert bg[name] == pytest.approx(reference.params_[name], rel=1e-3), name
    if gg["status"] == "fitted" and pd.isna(gg["reason"]):
        repeat = summary[(summary["btyd_frequency"] > 0) & (summary["btyd_monetary_value"] > 0)]
        reference = GammaGammaFitter().fit(repeat["btyd_frequency"],
                                           repeat["btyd_monetary_value"])
        for name in ("p", "q", "v"):
            assert gg[name] == pytest.approx(reference.params_[name], rel=1e-3), name


def test_propensity_on_a_real_shop_is_fitted_and_beats_chance_or_says_why(real):
    """Real data, orders only: each target is fitted and ranks the later period better than
    chance, or is skipped with a reason; its segment has members only when fitted."""
    _, db, _ = real
    quality = pd.DataFrame(_query(db, "select target, status, reason, auc, "
                                      "baseline_recency_auc from marts.propensity_model_quality"),
                           columns=["target", "status", "reason", "auc", "recency_auc"])
    assert sorted(quality["target"]) == ["churn", "purchase"]
    sizes = dict(_query(db, "select segment, count(*) from marts.segment_memberships "
                            "group by 1"))
    for row in quality.itertuples():
        segment = "likely_buyers" if row.target == "purchase" else "likely_churners"
        if row.status == "fitted":
            assert row.auc > 0.6, row
            assert sizes.get(segment, 0) > 0
        else:
            assert row.reason and segment not in sizes
    assert (quality["status"] == "fitted").any()


def test_order_based_rules_run_and_event_rules_are_empty(real):
    _, db, _ = real
    sizes = dict(_query(db, "select segment, count_members from marts.segment_summary"))
    for segment in ("dormant_users", "churn_risk"):
        assert sizes[segment] > 0, segment
    assert {s for s in EVENT_RULES if sizes[s] > 0} == set()


def test_every_named_rfm_segment_has_members(real):
    _, db, _ = real
    sizes = dict(_query(db, "select segment, count_members from marts.segment_summary "
                            "where segment like 'rfm_%'"))
    named = {f"rfm_{name}" for (name,) in _query(
        db, "select distinct rfm_segment from reference.rfm_segments")}
    assert len(named) == 10
    assert {s: sizes.get(s, 0) for s in named if sizes.get(s, 0) == 0} == {}
    # the buyers with one order (a third of them here) share the lowest frequency score
    one_order = _query(db, "select min(f_score), max(f_score) from marts.user_features "
                           "where count_orders_lifetime = 1")[0]
    assert one_order == (1, 1)


def test_orders_only_data_clusters_with_the_default_settings(real):
    """No clickstream: the constant features are left out, named in clustering_quality and
    data_quality, and every cluster is big enough and stable by the recorded criterion."""
    _, db, _ = real
    dropped = {r[0].split(":")[0] for r in _query(
        db, "select detail from marts.data_quality "
            "where check_name = 'clustering_features_dropped'")}
    assert dropped == {"count_sessions_30d", "count_events_30d", "count_product_views_30d",
                       "count_add_to_carts_30d", "share_sessions_evening_30d"}
    (warning,) = {r[0] for r in _query(db, "select distinct warning "
                                           "from marts.clustering_quality")}
    assert all(feature in warning for feature in dropped)
    features = {r[0] for r in _query(db, "select distinct feature from marts.cluster_profiles")}
    assert features == {"recency_days", "count_orders_90d", "total_revenue_90d",
                        "avg_order_value", "share_orders_morning_90d"}

    eligible = _query(db, "select max(count_eligible) from marts.clustering_quality")[0][0]
    sizes = _query(db, "select cluster_id, cluster_label, count(*) from marts.user_clusters "
                       "group by 1, 2")
    assert eligible > 2000 and len(sizes) > 2
    assert min(size for _, _, size in sizes) >= 0.01 * eligible
    assert len({label for _, label, _ in sizes}) == len(sizes)  # labels tell them apart
    chosen = _query(db, "select stage, k, min_stability from marts.clustering_quality "
                        "where is_chosen")
    assert {stage for stage, _, _ in chosen} == {"dormant", "buyers"}
    assert all(stability >= 0.75 for _, k, stability in chosen if k > 1)


def test_a_missing_source_names_the_path(tmp_path):
    with pytest.raises(AdapterError, match="online_retail.parquet"):
        convert(tmp_path / "online_retail.parquet", tmp_path / "raw")
