"""The demo data generator: contract, determinism, planted archetypes and noise."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from segmart.activation.normalise import phone_e164
from segmart.generate import (
    ARCHETYPE_SEGMENTS,
    Config,
    Generator,
    expected_segments,
    main,
)
from segmart.generate_contacts import FIRST_NAMES, LAST_NAMES, phone_for
from segmart.generate_identities import other_phone_format, typo

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


# -- planted CRM identities (issue 27) ------------------------------------------------------

IDENTITY_SHARES = {"crm_duplicate_share": 0.2, "crm_near_miss_share": 0.1}


@pytest.fixture(scope="module")
def identities(tmp_path_factory) -> tuple[Path, dict, pd.DataFrame, pd.DataFrame]:
    """2,000 persons with many planted identities, and the same without any."""
    root = tmp_path_factory.mktemp("identities")
    cfg = {"users": 2000, "seed": 4, "chunk_users": 800, "deletion_rate": 0.01}
    manifest = Generator(Config(**cfg, **IDENTITY_SHARES), root / "on", progress=False).run()
    Generator(Config(**cfg, crm_duplicate_share=0.0, crm_near_miss_share=0.0), root / "off",
              progress=False).run()
    customers = _read(root / "on" / "customers")
    truth = _read(root / "on" / "_ground_truth" / "crm_identities")
    return root, manifest, customers, truth


def _pairs(customers: pd.DataFrame, truth: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Each planted record of ``kind`` beside the original it copies or nearly misses."""
    current = customers[customers["city"] != "Oldtown"].drop_duplicates("user_id")
    planted = truth[truth["record_kind"] == kind].copy()
    planted["original"] = planted["near_miss_of"].fillna(planted["person_id"])
    pairs = (planted[["user_id", "original"]]
             .merge(current, on="user_id")
             .merge(current, left_on="original", right_on="user_id", suffixes=("", "_orig")))
    assert len(pairs) == len(planted) > 0, kind
    return pairs


def test_planted_identities_are_counted_by_kind(identities):
    _, manifest, customers, truth = identities
    planted = manifest["planted"]
    kinds = truth["record_kind"].value_counts()
    duplicates = ["email_case", "name_typo_same_phone", "guest_checkout", "migration"]
    assert planted["crm_duplicates_planted"] == kinds[duplicates].sum()
    assert planted["crm_near_misses_planted"] == kinds[["namesake", "family_member"]].sum()
    for kind in [*duplicates, "namesake", "family_member"]:
        assert planted[f"crm_planted_{kind}"] == kinds[kind]
    originals = kinds["original"] - truth["is_deleted"].sum()
    assert 0.15 < planted["crm_duplicates_planted"] / originals < 0.25
    assert 0.06 < planted["crm_near_misses_planted"] / originals < 0.14
    # about equally common (a customer without a valid phone has no same-phone duplicate)
    assert kinds[duplicates].min() > 0.6 * kinds[duplicates].max()
    assert kinds["namesake"] > 0.6 * kinds["family_member"]
    assert kinds["family_member"] > 0.6 * kinds["namesake"]
    assert manifest["rows"]["customers"] == len(customers)


def test_planted_ids_are_new_unique_and_pass_staging(identities):
    _, _, customers, truth = identities
    assert truth["user_id"].is_unique
    # every written CRM id is in the truth, once, and nothing else is
    assert set(truth["user_id"]) == set(customers["user_id"])
    planted = truth[truth["record_kind"] != "original"]
    assert planted["user_id"].str.fullmatch(r"[gm]\d{8}").all()
    assert truth.loc[truth["record_kind"] == "original", "user_id"].str.fullmatch(
        r"u\d{8}").all()
    # a duplicate's person is its original, a near-miss is a person of its own
    is_near = planted["record_kind"].isin(["namesake", "family_member"])
    assert (planted.loc[is_near, "person_id"] == planted.loc[is_near, "user_id"]).all()
    assert planted.loc[~is_near, "near_miss_of"].isna().all()
    originals = set(truth.loc[truth["record_kind"] == "original", "user_id"])
    assert set(planted.loc[~is_near, "person_id"]) <= originals
    assert set(planted.loc[is_near, "near_miss_of"]) <= originals
    # erased customers are listed and flagged, and nothing is planted from them
    erased = set(truth.loc[truth["is_deleted"], "user_id"])
    assert erased
    assert not erased & (set(planted["person_id"]) | set(planted["near_miss_of"].dropna()))
    assert not truth.loc[truth["record_kind"] != "original", "is_deleted"].any()


def test_planted_records_have_no_events_or_orders(identities):
    root, _, _, truth = identities
    planted = set(truth.loc[truth["record_kind"] != "original", "user_id"])
    assert not planted & set(_read(root / "on" / "events")["user_id"].dropna())
    assert not planted & set(_read(root / "on" / "orders")["user_id"].dropna())


def test_without_shares_nothing_else_changes(identities):
    root, _, customers, _ = identities
    on, off = root / "on", root / "off"
    for table in ("events", "orders", "deletion_requests", "campaign_outcomes"):
        files = sorted(p.name for p in (off / table).glob("*.parquet"))
        assert files == sorted(p.name for p in (on / table).glob("*.parquet"))
        for name in files:
            assert (on / table / name).read_bytes() == (off / table / name).read_bytes()
    for path in sorted((off / "_ground_truth").glob("*.parquet")):
        assert path.read_bytes() == (on / "_ground_truth" / path.name).read_bytes()
    # the CRM records written without the feature come first, unchanged, in every part
    for path in sorted((off / "customers").glob("*.parquet")):
        before = pq.read_table(path)
        after = pq.read_table(on / "customers" / path.name)
        assert after.slice(0, before.num_rows).equals(before)
        assert not any(u.startswith("u") for u in
                       after["user_id"].slice(before.num_rows).to_pylist())
    truth_off = _read(off / "_ground_truth" / "crm_identities")
    assert set(truth_off["record_kind"]) == {"original"}
    assert set(truth_off["user_id"]) == set(_read(off / "customers")["user_id"])
    assert len(customers) > len(_read(off / "customers"))


def test_email_case_duplicates_differ_raw_but_not_normalised(identities):
    _, _, customers, truth = identities
    pairs = _pairs(customers, truth, "email_case")
    assert (pairs["email"] != pairs["email_orig"]).all()
    assert (pairs["email"].str.strip().str.lower() == pairs["email_orig"].str.lower()).all()
    assert (pairs["email"] != pairs["email"].str.strip()).mean() > 0.5
    for column in ("first_name", "last_name", "birth_year", "country", "timezone"):
        assert (pairs[column] == pairs[f"{column}_orig"]).all(), column
    # the phone in the other format, or missing
    has_phone = pairs["phone"].notna()
    assert 0.3 < has_phone.mean() < 0.9
    assert (pairs.loc[has_phone, "phone"] != pairs.loc[has_phone, "phone_orig"]).all()
    assert (_digits(pairs.loc[has_phone, "phone"]).str[-6:]
            == _digits(pairs.loc[has_phone, "phone_orig"]).str[-6:]).all()


def _digits(phones: pd.Series) -> pd.Series:
    return phones.str.replace(r"\D", "", regex=True)


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_name_typo_duplicates_keep_the_phone_and_the_address(identities):
    _, _, customers, truth = identities
    pairs = _pairs(customers, truth, "name_typo_same_phone")
    edits = [_edit_distance(f"{a}|{b}", f"{c}|{d}") for a, b, c, d in zip(
        pairs["first_name"], pairs["last_name"], pairs["first_name_orig"],
        pairs["last_name_orig"], strict=True)]
    assert set(edits) == {1}
    assert (pairs["phone"] != pairs["phone_orig"]).all()
    assert (_digits(pairs["phone"]).str[-6:] == _digits(pairs["phone_orig"]).str[-6:]).all()
    assert (pairs["email"].str.lower() != pairs["email_orig"].str.lower()).all()
    for column in ("postal_code", "city", "birth_year", "country", "timezone"):
        assert (pairs[column] == pairs[f"{column}_orig"]).all(), column


def test_guest_checkouts_share_the_email_and_state_no_consent(identities):
    _, _, customers, truth = identities
    pairs = _pairs(customers, truth, "guest_checkout")
    assert (pairs["email"].str.strip().str.lower() == pairs["email_orig"].str.lower()).all()
    assert pairs["first_name"].notna().all() and pairs["last_name"].notna().all()
    assert (pairs["phone"].isna() | (pairs["phone"] == pairs["phone_orig"])).all()
    assert pairs["phone"].isna().any()
    assert (pairs["signup_at"] >= pairs["signup_at_orig"]).all()
    for column in ("marketing_consent", "consent_email_marketing", "consent_ad_user_data",
                   "consent_ad_personalization"):
        assert pairs[column].isna().all(), column


def test_migrations_are_equal_but_for_whitespace_and_a_later_update(identities):
    _, _, customers, truth = identities
    pairs = _pairs(customers, truth, "migration")
    for column in ("email", "first_name", "last_name", "city"):
        assert (pairs[column].str.strip() == pairs[f"{column}_orig"]).all(), column
    for column in ("phone", "postal_code", "birth_year", "signup_at", "country", "timezone",
                   "marketing_consent", "consent_ad_user_data"):
        same = (pairs[column] == pairs[f"{column}_orig"]) | (
            pairs[column].isna() & pairs[f"{column}_orig"].isna())
        assert same.all(), column
    assert (pairs["updated_at"] > pairs["updated_at_orig"]).all()


def test_namesakes_share_the_name_and_nothing_that_identifies(identities):
    _, _, customers, truth = identities
    pairs = _pairs(customers, truth, "namesake")
    assert (pairs["first_name"] == pairs["first_name_orig"]).all()
    assert (pairs["last_name"] == pairs["last_name_orig"]).all()
    for column in ("city", "postal_code", "email", "phone"):
        assert (pairs[column] != pairs[f"{column}_orig"]).all(), column
    assert (pairs["birth_year"] != pairs["birth_year_orig"]).mean() > 0.75


def test_family_members_share_the_address_and_the_last_name_only(identities):
    _, _, customers, truth = identities
    pairs = _pairs(customers, truth, "family_member")
    for column in ("last_name", "postal_code", "city"):
        assert (pairs[column] == pairs[f"{column}_orig"]).all(), column
    for column in ("first_name", "email", "phone"):
        assert (pairs[column] != pairs[f"{column}_orig"]).all(), column


def test_planted_emails_and_phones_are_never_shared_across_persons(identities):
    """A near-miss's or a typo duplicate's own address is nobody else's."""
    _, _, customers, truth = identities
    personal = customers[customers["user_id"].str.fullmatch(r"[gm]\d{8}")
                         & ~customers["email"].str.contains("example.com", case=False)]
    assert len(personal) > 0
    assert personal["email"].str.lower().is_unique
    assert not set(personal["email"].str.lower()) & set(
        customers.loc[customers["user_id"].str.startswith("u"), "email"].str.lower())
    assert set(truth["record_kind"]) == {"original", "email_case", "name_typo_same_phone",
                                         "guest_checkout", "migration", "namesake",
                                         "family_member"}


def test_phones_are_shared_only_by_records_of_one_person(identities):
    """Every customer has their own number: a shared phone would join strangers."""
    _, _, customers, truth = identities
    e164 = pd.Series([phone_e164(phone, country) for phone, country
                      in zip(customers["phone"], customers["country"], strict=True)])
    persons = customers["user_id"].map(truth.set_index("user_id")["person_id"])
    shared = pd.DataFrame({"e164": e164, "person": persons}).dropna().drop_duplicates()
    assert len(shared) > 1000
    assert shared["e164"].is_unique


@pytest.mark.parametrize("flag", ["--crm-duplicate-share", "--crm-near-miss-share"])
def test_identity_shares_are_checked(flag, capsys, tmp_path):
    with pytest.raises(SystemExit):
        main([flag, "1.5", "--out", str(tmp_path)])
    assert f"{flag} must be in [0, 1]" in capsys.readouterr().err


def test_a_typo_is_one_edit_of_every_name():
    rng = np.random.default_rng(0)
    for name in [*FIRST_NAMES, *LAST_NAMES]:
        for _ in range(30):
            changed = typo(str(name), rng)
            assert _edit_distance(changed, str(name)) == 1, (name, changed)
            assert changed[0] == name[0]


def test_the_other_phone_format_is_the_same_number():
    for country in ("GB", "US", "DE", "IN", "AU", "JP", "BR"):
        for number in (0, 1, 12_345, 999_999):
            national, e164 = phone_for(country, number)
            assert other_phone_format(national, country) == e164
            assert other_phone_format(e164, country) == national
    assert other_phone_format(None, "GB") is None
    assert other_phone_format("n/a", "GB") is None
