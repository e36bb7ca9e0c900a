"""Incremental builds replayed load by load equal a --full-refresh build of the same files.

Four loads land one after the other, each followed by `dbt build` at its as_of: the first
builds everything, the others run the event tables incrementally. The loads carry late events
(within the lookback), events re-delivered in a later file (same and different payload, and
a different copy in a file that sorts before the original but lands after it, for recent
events and for events older than the lookback), an event delivered for two persons of whom
the first is erased later, a first login on a device whose anonymous history is older than
the lookback (re-stitching), an erasure request, an event dated a century ahead, and an
upload still in progress (truncated) when a build starts, finished before the next one. The
third build runs at 13:37:05 (the hour of as_of is split), the others at midnight; between
the third and the fourth a person's add_to_cart leaves the 7-day window to the second,
another person's only activity leaves the 30-day window, and a CRM record changes (time zone
and consent). A guest who has shopped since the first load gets a CRM record in the third,
with a customer's e-mail in another case: from then on the guest's events are the
customer's. The intermediate tables and marts must then equal, row for row, a
`--full-refresh` build of the same landing zone at the same as_of, and no other person
changes its id from one build to the next.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from conftest import generate, run_dbt

pytestmark = pytest.mark.e2e

END = pd.Timestamp("2025-01-01")
# the third build at 13:37:05, so the hour of as_of is split; the others at midnight
AS_OFS = [END - pd.Timedelta(days=3), END - pd.Timedelta(days=2),
          END - pd.Timedelta(days=1) + pd.Timedelta("13:37:05"), END]
COMPARED = [
    "staging.base_tracking__events", "staging.stg_tracking__events",
    "intermediate.int_identity_map", "intermediate.int_identity_persons",
    "intermediate.int_events_stitched",
    "intermediate.int_events_sessionized", "intermediate.int_sessions_aggregated",
    "intermediate.int_user_hours_aggregated", "intermediate.int_user_days_aggregated",
    "intermediate.int_user_product_days_aggregated",
    "marts.user_profiles", "marts.user_features", "marts.product_interest",
    "marts.segment_memberships", "marts.segment_summary", "marts.segment_overlap",
    "marts.data_quality", "marts.data_quality_row_counts", "marts.data_quality_file_row_counts",
    "marts.person_identifiers", "marts.identity_merge_audit",
]
# the clustering needs more persons than this replay has; history models keep every as_of
BUILD = ["build", "--exclude", "path:models/marts/ml"]


def _frame(db, table: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute(f"select * from {table}").df()
    # when a build staged, stitched, sessionized or counted the row: the columns that must differ
    frame = frame.drop(columns=["staged_at", "stitched_at", "sessionized_at", "counted_at"],
                       errors="ignore")
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _as_of(ts: pd.Timestamp) -> str:
    # tests scoped to the load, as a scheduled build runs them: with 'full' every build would
    # count every landed file again (data_quality_file_row_counts), and the replay would not
    # see the daily path; the full refresh tests every row
    return json.dumps({"as_of": ts.strftime("%Y-%m-%d %H:%M:%S"), "segmart_test_scope": "load"})


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    work = tmp_path_factory.mktemp("incremental")
    source = work / "generated"
    generate(source, users=600, days=45, seed=5, deletion_rate=0.0, late_rate=0.0)
    events = pd.concat(pd.read_parquet(p) for p in sorted((source / "events").glob("*.parquet")))
    orders = pd.concat(pd.read_parquet(p) for p in sorted((source / "orders").glob("*.parquet")))
    events = events[events["occurred_at"].notna() & (events["occurred_at"] <= END)]
    orders = orders[orders["ordered_at"].notna()
                    & (orders["ordered_at"] <= pd.Timestamp(END, tz="UTC"))]

    # a device that never logged in, with events older than the lookback before the last
    # load: its first login comes in load 4 and must move all of them to the person
    anonymous = events.groupby("anonymous_id").agg(logins=("user_id", "count"),
                                                   first=("occurred_at", "min"))
    device = anonymous[(anonymous["logins"] == 0)
                       & (anonymous["first"] < AS_OFS[0] - timedelta(days=5))].index[0]
    login = events[events["anonymous_id"] == device].iloc[[0]].copy()
    login["event_id"] = "late-first-login"
    login["user_id"] = "u_late_login"
    login["occurred_at"] = AS_OFS[3] - timedelta(hours=2)
    # an erasure request in load 4 for a person whose events are all older
    erased_user = events[events["user_id"].notna()
                         & (events["occurred_at"] < AS_OFS[0] - timedelta(days=10))]
    erased_user = erased_user["user_id"].iloc[0]

    loads: list[dict[str, pd.DataFrame]] = []
    bounds = [pd.Timestamp("1900-01-01"), *AS_OFS]
    for number in range(4):
        lo, hi = bounds[number], bounds[number + 1]
        ev = events[(events["occurred_at"] > lo) & (events["occurred_at"] <= hi)]
        od = orders[(orders["ordered_at"] > pd.Timestamp(lo, tz="UTC"))
                    & (orders["ordered_at"] <= pd.Timestamp(hi, tz="UTC"))]
        loads.append({"events": ev, "orders": od})
    # late events: a quarter of each day's events land with the next load (inside the lookback)
    for number in (1, 2):
        late = loads[number]["events"].sample(frac=0.25, random_state=number)
        loads[number]["events"] = loads[number]["events"].drop(late.index)
        loads[number + 1]["events"] = pd.concat([loads[number + 1]["events"], late])
    # re-deliveries in a later file: the same event, and one with another payload
    again = loads[0]["events"].sample(n=40, random_state=1)
    changed = loads[1]["events"].sample(n=20, random_state=2).assign(page_path="/re-sent")
    loads[2]["events"] = pd.concat([loads[2]["events"], again, changed])
    # and copies in the daily file of build 2, which sorts last: that build counts that file
    # alone, so its duplicates are found by joining its keys to the stored ones
    loads[1]["events"] = pd.concat([loads[1]["events"],
                                    loads[0]["events"].sample(n=15, random_state=5)])
    # and a copy with another payload in a file whose name sorts first, landing after the
    # original: its copy wins now (first file by name), so every layer must take its values
    resent_first = loads[1]["events"].sample(n=20, random_state=3).assign(
        page_path="/re-sent-first", price=lambda frame: frame["price"] * 2)
    # the same for events long stored, older than the lookback when the copy lands: they are
    # not late (their id is stored), so the copy that wins must reach every layer too
    old_events = loads[0]["events"]
    old_events = old_events[old_events["occurred_at"] < AS_OFS[0] - timedelta(days=10)]
    resent_old = old_events.sample(n=20, random_state=4).assign(
        page_path="/re-sent-old", price=lambda frame: frame["price"] * 3)
    resent_first = pd.concat([resent_first, resent_old])
    extra_files = {3: {"events": ("load-0-resent.parquet", resent_first)}}
    # one event delivered for two persons: the copy in the earlier file (load 2) is the erased
    # person's and wins until the erasure request of load 4; then staging chooses the other
    # copy (load 3), stored long before, and every layer must take it in
    shared = events[events["occurred_at"] <= AS_OFS[1]].iloc[[-1]].copy()
    shared["event_id"] = "shared-event"
    shared["occurred_at"] = AS_OFS[1] - timedelta(hours=2)
    # a valid product view, whatever defect the generator gave the row it copies (same
    # column types, so the load files keep their schema)
    shared["event_type"] = "product_view"
    shared["price"] = 9.99
    shared["quantity"] = shared["quantity"].astype("int32") * 0 + 1
    shared["loaded_at"] = shared["occurred_at"]
    erased_copy = shared.assign(user_id=erased_user, anonymous_id="d-shared-erased")
    other_copy = shared.assign(user_id="u_shared_other", anonymous_id="d-shared-other")
    loads[1]["events"] = pd.concat([loads[1]["events"], erased_copy])
    loads[2]["events"] = pd.concat([loads[2]["events"], other_copy])
    loads[3]["events"] = pd.concat([loads[3]["events"], login])
    # window edges between builds 3 and 4: a person whose only activity (in load 1) leaves
    # the 30-day window, dormant at build 4 only; and one whose only add_to_cart is exactly 7
    # days before the last as_of (out of the window, to the second), a cart abandoner at
    # build 3 only, with a product view one second later (in the window)
    planted = shared.assign(event_id="leaves-30d", user_id="u_leaves_30d",
                            anonymous_id="d-leaves-30d", event_type="page_view",
                            occurred_at=END - timedelta(days=30, hours=1))
    planted["loaded_at"] = planted["occurred_at"]
    carted = shared.assign(event_id="edge-7d-cart", user_id="u_edge_7d",
                           anonymous_id="d-edge-7d", event_type="add_to_cart",
                           occurred_at=END - timedelta(days=7))
    viewed = carted.assign(event_id="edge-7d-view", event_type="product_view",
                           occurred_at=END - timedelta(days=7) + timedelta(seconds=1))
    for frame in (carted, viewed):
        frame["loaded_at"] = frame["occurred_at"]
    loads[0]["events"] = pd.concat([loads[0]["events"], planted, carted, viewed])
    # an event dated a century ahead (a device clock gone wrong) in load 2: rejected as
    # occurred_in_future, and its file must not come back in every later build
    far_future = shared.assign(event_id="far-future", user_id="u_far_future",
                               anonymous_id="d-far-future", event_type="page_view",
                               occurred_at=pd.Timestamp("2125-01-01"))
    far_future["loaded_at"] = far_future["occurred_at"]
    loads[1]["events"] = pd.concat([loads[1]["events"], far_future])
    customers = pd.concat(pd.read_parquet(p) for p in (source / "customers").glob("*.parquet"))
    loads[0]["customers"] = customers
    # a CRM change in load 3: a customer with events moves time zone and withdraws consent
    # (a newer version of the record), so their local times, sessions and days change
    changed_at = pd.Timestamp(AS_OFS[2]) - timedelta(hours=1)
    active = set(events.loc[events["occurred_at"] < AS_OFS[0], "user_id"].dropna())
    versions = customers.assign(version_at=customers["updated_at"].fillna(
        customers["consent_updated_at"]).fillna(customers["signup_at"]))
    newest = versions.groupby("user_id")["version_at"].max()
    candidates = set(newest[newest < changed_at].index) & active - {erased_user}
    moved = customers[customers["user_id"].isin(candidates) & customers["timezone"].notna()
                      ].sort_values("user_id").iloc[[0]].copy()
    moved["timezone"] = ("Pacific/Auckland" if moved["timezone"].iloc[0] != "Pacific/Auckland"
                         else "America/Los_Angeles")
    moved["marketing_consent"] = ~moved["marketing_consent"].fillna(False).astype(bool)
    moved["updated_at"] = pd.Series([changed_at], index=moved.index).astype(
        customers["updated_at"].dtype)
    # a guest (logins since load 1, on a device of their own) whose CRM record lands in load
    # 3 with a customer's e-mail in another case: the customer's person takes the guest in
    host = customers[customers["user_id"].isin(active - {erased_user, moved["user_id"].iloc[0]})
                     & customers["email"].str.contains("@", na=False)
                     ].sort_values("user_id").iloc[[0]].copy()
    guest_events = events[(events["user_id"] == host["user_id"].iloc[0])
                          & (events["occurred_at"] <= AS_OFS[0])].iloc[:3].copy()
    guest_events["event_id"] = [f"guest-{k}" for k in range(len(guest_events))]
    guest_events["user_id"] = "g_guest"
    guest_events["anonymous_id"] = "d-guest"
    guest_anonymous = guest_events.iloc[[0]].assign(event_id="guest-anonymous", user_id=None)
    loads[0]["events"] = pd.concat([loads[0]["events"], guest_events, guest_anonymous])
    guest = host.assign(user_id="g_guest", email=" " + host["email"].iloc[0].upper() + " ",
                        signup_at=pd.Series([changed_at], index=host.index).astype(
                            customers["signup_at"].dtype),
                        updated_at=pd.Series([changed_at], index=host.index).astype(
                            customers["updated_at"].dtype))
    loads[2]["customers"] = pd.concat([moved, guest])
    loads[3]["deletion_requests"] = pd.DataFrame(
        {"user_id": [erased_user], "requested_at": [pd.Timestamp(AS_OFS[2], tz="UTC")]})

    # an upload still in progress when build 2 starts (a truncated file: quarantined, the
    # build goes on), finished before build 3, which stages its events like a late file
    # (a fresh index: the copies concatenated above repeat their rows' labels, and dropping
    # by a repeated label would take those copies out of every file too)
    candidates = loads[1]["events"].reset_index(drop=True)
    uploading = candidates[candidates["event_id"] != "shared-event"].sample(n=30, random_state=6)
    loads[1]["events"] = candidates.drop(uploading.index)
    upload_name = "load-2-upload.parquet"

    raw, db = work / "raw", work / "incremental.duckdb"
    rejected_during_upload = []
    person_ids: list[dict[str, str]] = []
    file_counts: list[pd.DataFrame] = []
    for number, load in enumerate(loads, start=1):
        for table, frame in load.items():
            (raw / table).mkdir(parents=True, exist_ok=True)
            frame.to_parquet(raw / table / f"load-{number}.parquet", index=False)
        for table, (name, frame) in extra_files.get(number, {}).items():
            frame.to_parquet(raw / table / name, index=False)
        if number in (2, 3):
            uploading.to_parquet(raw / "events" / upload_name, index=False)
        if number == 2:
            whole = (raw / "events" / upload_name).read_bytes()
            (raw / "events" / upload_name).write_bytes(whole[: len(whole) // 3])
        result = run_dbt([*BUILD, "--vars", _as_of(AS_OFS[number - 1])], raw, db, work)
        assert result.returncode == 0, result.stdout[-6000:]
        with duckdb.connect(str(db), read_only=True) as con:
            file_counts.append(con.execute(
                "select source_table, source_file, counted_at, count_erased_records "
                "from marts.data_quality_file_row_counts").df())
        with duckdb.connect(str(db), read_only=True) as con:
            person_ids.append(dict(con.execute(
                "select user_id, person_id from intermediate.int_identity_persons").fetchall()))
        if number == 2:
            with duckdb.connect(str(db), read_only=True) as con:
                rejected_during_upload = con.execute(
                    "select file, reject_reason from staging.landing_files_rejected").fetchall()
    full = work / "full.duckdb"
    result = run_dbt([*BUILD, "--full-refresh", "--vars", _as_of(AS_OFS[-1])], raw, full, work)
    assert result.returncode == 0, result.stdout[-6000:]
    return {"work": work, "raw": raw, "db": db, "full": full, "device": device,
            "erased": erased_user, "rejected_during_upload": rejected_during_upload,
            "moved": (moved["user_id"].iloc[0], moved["timezone"].iloc[0]),
            "host": host["user_id"].iloc[0], "person_ids": person_ids,
            "file_counts": file_counts}


def test_an_upload_in_progress_is_quarantined_then_staged_once_complete(replay):
    assert replay["rejected_during_upload"] == [("load-2-upload.parquet", "truncated")]
    stored = []
    for db in (replay["db"], replay["full"]):
        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute("select count(*) from staging.landing_files_rejected"
                               ).fetchall() == [(0,)]
            stored.append(con.execute(
                "select event_id, reject_reason from staging.base_tracking__events "
                "where source_file = 'load-2-upload.parquet' order by all").fetchall())
    # the file's rows are stored as the full refresh stores them
    assert len(stored[0]) >= 25 and stored[0] == stored[1]


def test_the_other_copy_of_an_erased_persons_event_reaches_every_layer(replay):
    with duckdb.connect(str(replay["db"]), read_only=True) as con:
        for table in ("staging.stg_tracking__events", "intermediate.int_events_stitched",
                      "intermediate.int_events_sessionized"):
            owners = con.execute(f"select user_id from {table} "
                                 "where event_id = 'shared-event'").fetchall()
            assert owners == [("u_shared_other",)], table


def test_the_copy_that_wins_for_an_event_older_than_the_lookback_reaches_every_layer(replay):
    with duckdb.connect(str(replay["db"]), read_only=True) as con:
        rows = con.execute(
            "select staged.event_id, staged.price, sessionized.price, "
            "stitched.staged_at = staged.staged_at "
            "from staging.stg_tracking__events as staged "
            "left join intermediate.int_events_stitched as stitched using (event_id) "
            "left join intermediate.int_events_sessionized as sessionized using (event_id) "
            "where staged.page_path = '/re-sent-old'").fetchall()
    # (a copied row the generator made invalid, or a copy of the erased person, is not staged)
    assert len(rows) >= 10
    assert any(staged_price is not None for _, staged_price, _, _ in rows)
    for event_id, staged_price, sessionized_price, same_copy in rows:
        assert same_copy, event_id
        assert sessionized_price == staged_price, event_id


@pytest.mark.parametrize("table", COMPARED)
def test_incremental_builds_equal_a_full_refresh(replay, table):
    incremental, full = _frame(replay["db"], table), _frame(replay["full"], table)
    assert len(full) > 0, table
    pd.testing.assert_frame_equal(incremental, full, obj=table)


def test_the_late_first_login_restitched_the_old_anonymous_events(replay):
    with duckdb.connect(str(replay["db"]), read_only=True) as con:
        # the device's events as staged (int_events_sessionized keeps the person, not the
        # device id)
        device_events = ("select event_id from staging.stg_tracking__events "
                         "where anonymous_id = ?")
        owners = con.execute("select distinct user_id from intermediate.int_events_sessionized "
                             f"where event_id in ({device_events})",
                             [replay["device"]]).fetchall()
        count = con.execute("select count(*) from intermediate.int_events_sessionized "
                            f"where event_id in ({device_events})",
                            [replay["device"]]).fetchall()[0][0]
    assert owners == [("u_late_login",)] and count > 1


def test_the_erasure_request_of_a_later_load_reaches_the_incremental_tables(replay):
    with duckdb.connect(str(replay["db"]), read_only=True) as con:
        for table in ("intermediate.int_events_stitched", "intermediate.int_events_sessionized"):
            hits = con.execute(f"select count(*) from {table} where user_id = ?",
                               [replay["erased"]]).fetchall()[0][0]
            assert hits == 0, table


def test_the_window_edges_and_the_crm_change_are_where_the_rules_put_them(replay):
    person, zone = replay["moved"]
    for db in (replay["db"], replay["full"]):
        with duckdb.connect(str(db), read_only=True) as con:
            members = set(con.execute(
                "select segment, user_id from marts.segment_memberships "
                "where user_id in ('u_leaves_30d', 'u_edge_7d')").fetchall())
            zones = con.execute("select distinct time_zone from "
                                "intermediate.int_events_stitched where user_id = ?",
                                [person]).fetchall()
        # the only activity is 30 days and an hour old: dormant; the add_to_cart is exactly 7
        # days old: no longer a cart abandoner, while the view a second later is in the window
        assert ("dormant_users", "u_leaves_30d") in members
        assert ("cart_abandoners", "u_edge_7d") not in members
        assert zones == [(zone,)]


def test_a_guest_joined_to_a_customer_takes_their_history_along(replay):
    """From the third build the guest's logins and device are the customer's person, and
    the incremental tables rewrote the guest's old events (a full refresh agrees above)."""
    host, ids = replay["host"], replay["person_ids"]
    assert [build.get("g_guest") for build in ids] == [None, None, host, host]
    with duckdb.connect(str(replay["db"]), read_only=True) as con:
        persons = con.execute(
            "select distinct user_id from intermediate.int_events_stitched"
            " where event_id like 'guest-%'").fetchall()
        profiles = con.execute(
            "select count_crm_records, merged_user_ids from marts.user_profiles"
            " where user_id = ?", [host]).fetchall()
        guests = con.execute(
            "select count(*) from marts.user_profiles where user_id = 'g_guest'").fetchone()
    assert persons == [(host,)]
    assert profiles == [(2, "g_guest")]
    assert guests == (0,)


def test_person_ids_do_not_change_from_one_load_to_the_next(replay):
    """Only the guest, whom the CRM joined to an older record, changes its person."""
    ids = replay["person_ids"]
    for before, after in zip(ids, ids[1:], strict=False):
        changed = {record for record in before.keys() & after.keys()
                   if before[record] != after[record]}
        assert changed <= {"g_guest"}
    assert len(ids[-1]) > 100


def _staged_files(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select source_file, count(*), min(staged_at), max(staged_at) "
                           "from staging.base_tracking__events group by 1 order by 1"
                           ).fetchall()


def test_a_build_without_new_data_changes_nothing(replay, tmp_path):
    again = tmp_path / "again.duckdb"
    shutil.copy(replay["db"], again)
    result = run_dbt([*BUILD, "--vars", _as_of(AS_OFS[-1])], replay["raw"], again, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    for table in COMPARED:
        pd.testing.assert_frame_equal(_frame(again, table), _frame(replay["db"], table),
                                      obj=table)
    # and no file was read again: not even load 2, which holds a row dated 2125
    assert _staged_files(again) == _staged_files(replay["db"])


def test_a_future_row_is_judged_again_once_its_time_has_come(replay, tmp_path):
    """A tolerance that reaches 2125 stands for the day the row is due: its file is read
    again and the row staged, the other files stay as they were stored. That a file whose
    future rows are not due stays too is test_a_build_without_new_data_changes_nothing's."""
    db = tmp_path / "due.duckdb"
    shutil.copy(replay["db"], db)
    before = {row[0]: row for row in _staged_files(db)}
    due = json.dumps({"as_of": AS_OFS[-1].strftime("%Y-%m-%d %H:%M:%S"),
                      "segmart_future_tolerance_hours": 1_000_000})
    # without the unit tests, whose fixtures assume the default tolerance
    result = run_dbt([*BUILD, "--exclude-resource-type", "unit_test", "--vars", due],
                     replay["raw"], db, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_tracking__events "
                           "where event_id = 'far-future'").fetchall()[0][0] == 1
        assert con.execute("select count(*) from staging.base_tracking__events where "
                           "reject_reason = 'occurred_in_future'").fetchall()[0][0] == 0
    after = {row[0]: row for row in _staged_files(db)}
    reread = {name for name in after if after[name] != before.get(name)}
    assert reread == {"load-2.parquet"}


def test_an_event_later_than_the_lookback_waits_for_the_full_refresh(replay, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(replay["raw"], raw)
    db = tmp_path / "late.duckdb"
    shutil.copy(replay["db"], db)
    with duckdb.connect(str(db), read_only=True) as con:
        person = con.execute("select user_id from marts.user_profiles where is_customer "
                             "order by user_id limit 1").fetchall()[0][0]
    late = pd.DataFrame([{"event_id": "too-late", "event_type": "page_view",
                          "occurred_at": AS_OFS[-1] - timedelta(days=9), "user_id": person,
                          "anonymous_id": None, "page_path": "/", "quantity": 1}])
    late.to_parquet(raw / "events" / "load-5.parquet", index=False)
    result = run_dbt([*BUILD, "--vars", _as_of(AS_OFS[-1])], raw, db, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select observed from marts.data_quality "
                           "where check_name = 'events_awaiting_full_refresh'").fetchall() == [
            (1.0,)]
        assert con.execute("select count(*) from intermediate.int_events_stitched "
                           "where event_id = 'too-late'").fetchall()[0][0] == 0
    result = run_dbt([*BUILD, "--full-refresh", "--vars", _as_of(AS_OFS[-1])], raw, db,
                     tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from intermediate.int_events_stitched "
                           "where event_id = 'too-late'").fetchall()[0][0] == 1
        assert con.execute("select count(*) from marts.data_quality "
                           "where check_name = 'events_awaiting_full_refresh'"
                           ).fetchall()[0][0] == 0


def test_a_device_first_seen_logging_in_as_an_erased_person_is_erased_whole(replay, tmp_path):
    """A device whose stored events are all anonymous logs in, in a later file, as a person
    erased before: the login is dropped on the way in, and the device's stored events must
    go too, in every layer and in the row counts, as a full refresh of the same files has it."""
    raw = tmp_path / "raw"
    shutil.copytree(replay["raw"], raw)
    db = tmp_path / "device.duckdb"
    shutil.copy(replay["db"], db)
    with duckdb.connect(str(db), read_only=True) as con:
        device = con.execute(
            "select anonymous_id from staging.stg_tracking__events group by anonymous_id "
            "having count(user_id) = 0 and count(*) > 1 order by anonymous_id limit 1"
        ).fetchall()[0][0]
    login = pd.DataFrame([{"event_id": "erased-device-login", "event_type": "page_view",
                           "occurred_at": AS_OFS[-1] - timedelta(hours=1),
                           "user_id": replay["erased"], "anonymous_id": device,
                           "page_path": "/", "quantity": 1}])
    login.to_parquet(raw / "events" / "load-5.parquet", index=False)
    result = run_dbt([*BUILD, "--vars", _as_of(AS_OFS[-1])], raw, db, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    full = tmp_path / "full.duckdb"
    result = run_dbt([*BUILD, "--full-refresh", "--vars", _as_of(AS_OFS[-1])], raw, full,
                     tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    with duckdb.connect(str(db), read_only=True) as con:
        for table in ("staging.base_tracking__events", "staging.stg_tracking__events",
                      "intermediate.int_events_stitched"):
            hits = con.execute(f"select count(*) from {table} where anonymous_id = ?",
                               [device]).fetchall()[0][0]
            assert hits == 0, table
    for table in COMPARED:
        pd.testing.assert_frame_equal(_frame(db, table), _frame(full, table), obj=table)


def _unique_event_id_status(db, raw, work, scope: str) -> str:
    result = run_dbt(["test", "--select", "stg_tracking__events",
                      "--vars", json.dumps({"segmart_test_scope": scope})], raw, db, work)
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: r["status"] for r in results}
    assert status, result.stdout[-3000:]
    return status["unique_stg_tracking__events_event_id"]


def test_load_scoped_tests_read_the_newest_load_and_full_scope_everything(replay, tmp_path):
    db = tmp_path / "scoped.duckdb"
    shutil.copy(replay["db"], db)
    # a duplicate of an event written by the first build: a defect of an earlier load
    with duckdb.connect(str(db)) as con:
        con.execute("insert into staging.stg_tracking__events select * from "
                    "staging.stg_tracking__events where staged_at = "
                    "(select min(staged_at) from staging.stg_tracking__events) limit 1")
    assert _unique_event_id_status(db, replay["raw"], tmp_path, "load") == "pass"
    assert _unique_event_id_status(db, replay["raw"], tmp_path, "full") == "fail"
    # the same defect in the newest load is caught by the load-scoped test
    with duckdb.connect(str(db)) as con:
        con.execute("update staging.stg_tracking__events set staged_at = "
                    "(select max(staged_at) from staging.stg_tracking__events) where event_id = "
                    "(select event_id from staging.stg_tracking__events group by event_id "
                    "having count(*) > 1)")
    assert _unique_event_id_status(db, replay["raw"], tmp_path, "load") == "fail"


def test_a_daily_build_counts_the_event_files_from_the_first_new_one_by_name(replay):
    """data_quality_file_row_counts: build 2 counts its own event file and keeps build 1's
    count. Build 3 lands a copy in a file whose name sorts before every counted one: a key
    it shares is now first held there, so the duplicates of the later files change, and it
    counts every event file from it on (here every one). The small tables are counted every
    build; build 4, which takes in an erasure request, counts every file again. Each build's
    assert_row_counts_reconcile checks the duplicates these counts add up to."""
    counts = replay["file_counts"]
    built = [frame["counted_at"].max() for frame in counts]

    def events(frame: pd.DataFrame) -> dict:
        return frame[frame["source_table"] == "events"].set_index("source_file")[
            "counted_at"].to_dict()

    assert events(counts[1]) == {"load-1.parquet": built[0], "load-2.parquet": built[1]}
    assert (counts[1].loc[counts[1]["source_table"] != "events", "counted_at"]
            == built[1]).all()
    assert events(counts[2]) == {name: built[2] for name in (
        "load-0-resent.parquet", "load-1.parquet", "load-2.parquet", "load-2-upload.parquet",
        "load-3.parquet")}
    third, fourth = counts[2], counts[3]
    assert fourth["count_erased_records"].min() > third["count_erased_records"].max()
    assert (fourth["counted_at"] == built[3]).all()
