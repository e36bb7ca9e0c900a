"""The demo data generator: contract, determinism, planted archetypes and noise."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmart.generate import (
    ARCHETYPE_SEGMENTS,
    Config,
    Generator,
    expected_segments,
    main,
)

EVENT_COLUMNS = {
    "event_id", "event_type", "occurred_at", "anonymous_id", "user_id", "page_path",
    "product_id", "category", "price", "quantity", "device_type", "channel", "country",
    "engagement_ms",
}
ORDER_COLUMNS = {"order_id", "line_number", "user_id", "ordered_at", "product_id", "category",
                 "quantity", "unit_price", "status"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen")
    manifest = Generator(Config(users=1200, seed=3, chunk_users=500), out, progress=False).run()
    return out, manifest


def _read(folder: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))],
                     ignore_index=True)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.parquet")):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(pd.read_parquet(path).to_csv(index=False).encode())
    return h.hexdigest()


def test_writes_every_landing_table_in_chunks(landing):
    out, manifest = landing
    for table in ("events", "orders", "customers", "deletion_requests"):
        files = sorted((out / table).glob("part-*.parquet"))
        assert len(files) == 3, table  # 1,200 persons in chunks of 500
        assert manifest["rows"][table] == sum(len(pd.read_parquet(f)) for f in files)
    assert (out / "_ground_truth" / "manifest.json").exists()


def test_events_and_orders_follow_the_raw_contract(landing):
    out, _ = landing
    events = _read(out / "events")
    orders = _read(out / "orders")
    assert set(events.columns) >= EVENT_COLUMNS
    assert set(orders.columns) >= ORDER_COLUMNS
    assert set(events["event_type"].dropna()) <= {
        "page_view", "search", "product_view", "add_to_cart", "begin_checkout", "purchase",
        "pageview_v2"}
    assert set(orders["status"]) <= {"completed", "cancelled", "refunded", "pending_review"}
    assert (orders.groupby("order_id")["user_id"].nunique(dropna=False) <= 1).all()


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 5), (b, 5), (c, 6)):
        Generator(Config(users=300, seed=seed), out, progress=False).run()
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_noise_is_planted_at_the_configured_rates(landing):
    out, manifest = landing
    events = _read(out / "events")
    planted = manifest["planted"]
    duplicated = events["event_id"].dropna().duplicated().sum()
    assert duplicated == planted["events_duplicates"]
    assert events["event_id"].isna().sum() == planted["events_bad_missing_event_id"]
    assert (events["occurred_at"] > pd.Timestamp("2100-01-01")).sum() == planted[
        "events_bad_occurred_in_future"]
    rate = planted["events_duplicates"] / (manifest["rows"]["events"] - planted[
        "events_duplicates"])
    assert 0.005 < rate < 0.02


def test_anonymous_browsing_before_login_and_several_devices(landing):
    out, _ = landing
    events = _read(out / "events")
    events = events[events["anonymous_id"].str.startswith("a", na=False)]
    logged_out = events[events["user_id"].isna()]
    # some devices browse logged out and later log in: stitching has work to do
    later_login = set(logged_out["anonymous_id"]) & set(events.loc[events["user_id"].notna(),
                                                                   "anonymous_id"])
    assert len(later_login) > 50
    devices = events.dropna(subset=["user_id"]).groupby("user_id")["anonymous_id"].nunique()
    assert (devices > 1).mean() > 0.2


def test_ground_truth_lists_every_archetype(landing):
    out, manifest = landing
    truth = _read(out / "_ground_truth")
    assert len(truth) == 1200
    counts = truth["archetype"].value_counts()
    for archetype in ARCHETYPE_SEGMENTS:
        assert counts[archetype] == manifest["archetypes"][archetype] == 48
    expected = expected_segments(truth)
    assert set(expected["segment"]) == {s for segs in ARCHETYPE_SEGMENTS.values() for s in segs}


def _regulars_last_activity(out: Path, manifest: dict) -> tuple[pd.Series, pd.Series]:
    truth = _read(out / "_ground_truth")
    # the predictive cohort buys and drops out by its own process (its own test below)
    regulars = set(truth.loc[(truth["archetype"] == "regular")
                             & truth["orders_after_end"].isna(), "user_id"])
    events = _read(out / "events").dropna(subset=["user_id", "occurred_at"])
    events = events[events["user_id"].isin(regulars)]
    end = pd.Timestamp(manifest["as_of"], tz="UTC").tz_localize(None)
    occurred = pd.to_datetime(events["occurred_at"]).dt.tz_localize(None)
    events, occurred = events[occurred <= end], occurred[occurred <= end]
    days_since = (end - occurred.groupby(events["user_id"]).max()).dt.days
    # a cart in the last six days with no purchase after it: left behind
    is_cart = (events["event_type"] == "add_to_cart") & (occurred > end - pd.Timedelta(days=6))
    last_cart = occurred[is_cart].groupby(events["user_id"][is_cart]).max()
    is_buy = events["event_type"] == "purchase"
    last_buy = occurred[is_buy].groupby(events["user_id"][is_buy]).max()
    left = last_cart[~(last_buy.reindex(last_cart.index) >= last_cart)]
    return days_since, left.index.to_series()


def _first_seen(out: Path, manifest: dict) -> pd.Series:
    """Days since each person's first event, logged in or on one of their devices before
    login (device a<person>-<n> belongs to u<person>)."""
    events = _read(out / "events").dropna(subset=["occurred_at"])
    person = ("u" + events["anonymous_id"].str.slice(1, 9)).fillna(events["user_id"])
    end = pd.Timestamp(manifest["as_of"], tz="UTC").tz_localize(None)
    occurred = pd.to_datetime(events["occurred_at"]).dt.tz_localize(None)
    return (end - occurred.groupby(person).min()).dt.days


def test_some_regular_customers_lapse_leave_a_cart_or_are_new(landing):
    out, manifest = landing
    days_since, recent_carts = _regulars_last_activity(out, manifest)
    lapsed = (days_since >= 35).mean()
    assert 0.02 < lapsed < 0.09  # a quarter of the default background_rule_share of 0.2
    assert len(recent_carts) > 0.02 * len(days_since)
    new = (days_since.index.to_series().map(_first_seen(out, manifest)) < 7).mean()
    assert 0.02 < new < 0.09


def test_without_background_share_no_regular_lapses_or_leaves_a_recent_cart(tmp_path):
    out = tmp_path / "raw"
    manifest = Generator(Config(users=600, seed=3, background_rule_share=0.0), out,
                         progress=False).run()
    days_since, recent_carts = _regulars_last_activity(out, manifest)
    assert days_since.max() < 30
    assert recent_carts.empty
    assert days_since.index.to_series().map(_first_seen(out, manifest)).min() >= 7


def test_the_predictive_cohort_drops_out_and_its_future_is_in_the_ground_truth(landing):
    out, _ = landing
    truth = _read(out / "_ground_truth")
    cohort = truth[truth["orders_after_end"].notna()]
    regulars = truth[truth["archetype"] == "regular"]
    assert 0.15 < len(cohort) / len(regulars) < 0.35  # 0.3 of the 0.8 not drifting into a rule
    assert set(cohort["archetype"]) == {"regular"}
    assert cohort["is_active_after_end"].notna().all()
    # some buy after the end, some are gone
    assert 0.05 < (cohort["orders_after_end"] > 0).mean() < 0.8
    assert 0.05 < (~cohort["is_active_after_end"].astype(bool)).mean() < 0.8


def test_a_share_of_order_lines_are_free_items(landing):
    out, manifest = landing
    orders = _read(out / "orders")
    free = int((orders["unit_price"] == 0).sum())
    assert free == manifest["planted"]["orders_free_item_lines"] > 0
    assert 0.003 < free / len(orders) < 0.03


def test_morning_buyers_order_in_their_local_morning(landing):
    out, manifest = landing
    truth = _read(out / "_ground_truth")
    customers = _read(out / "customers").drop_duplicates("user_id")
    orders = _read(out / "orders")
    buyers = set(truth.loc[truth["archetype"] == "morning_buyer", "user_id"])
    end = pd.Timestamp(manifest["as_of"], tz="UTC")
    recent = orders[orders["user_id"].isin(buyers) & (orders["status"] == "completed")
                    & (orders["ordered_at"] > end - pd.Timedelta(days=7))]
    recent = recent.merge(customers[["user_id", "timezone"]], on="user_id")
    hours = [ts.tz_convert(tz).hour + ts.tz_convert(tz).minute / 60
             for ts, tz in zip(recent["ordered_at"], recent["timezone"], strict=True)]
    assert len(hours) >= 3 * len(buyers) * 0.9
    assert all(6 <= h < 9 for h in hours)
    # half-hour offsets are among the zones
    assert {"Asia/Kolkata", "Australia/Adelaide"} <= set(customers["timezone"])


def test_persons_are_written_chunk_by_chunk(tmp_path):
    """Memory stays bounded: each chunk is written before the next is planned."""
    out = tmp_path / "raw"
    Generator(Config(users=600, seed=1, chunk_users=100), out, progress=False).run()
    sizes = [len(pd.read_parquet(p)) for p in sorted((out / "events").glob("*.parquet"))]
    assert len(sizes) == 6
    assert np.std(sizes) / np.mean(sizes) < 0.5


@pytest.mark.parametrize(("argv", "message"), [
    (["--users", "0"], "--users must be at least 1"),
    (["--days", "30"], "--days must be at least 40"),
    (["--duplicate-rate", "1.5"], "--duplicate-rate must be in [0, 1)"),
    (["--end", "yesterday"], "--end must be an ISO timestamp"),
])
def test_bad_arguments_give_a_clear_message(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_prints_a_summary(tmp_path, capsys):
    assert main(["--users", "200", "--out", str(tmp_path / "raw")]) == 0
    printed = capsys.readouterr()
    assert "Wrote" in printed.out and "events" in printed.out
    assert "chunk 1/1" in printed.err
