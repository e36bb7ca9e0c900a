"""Activation end to end: build, publish, export every destination; then withdraw a
person's consent, erase another, add a member, rebuild and export again: the deltas are
exactly those; a third run with nothing changed sends nothing; a failed run changes
nothing; priority lists and the minimum audience size hold."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_dbt
from segmart.activation import consent, normalise
from segmart.activation.audiences import ActivationError, export_destinations, read_state
from segmart.activation.settings import Settings
from segmart.export import main as export_main
from segmart.holdouts import is_control
from segmart.publish import publish

pytestmark = pytest.mark.e2e

DESTINATIONS = ["google_customer_match", "meta_custom_audience", "email"]
ANY = Settings(min_audience_size=1)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _manifest(out: Path, destination: str) -> dict[str, dict[str, str]]:
    return {r["segment"]: r for r in _rows(out / destination / "_manifest.csv")}


def _deltas(out: Path, destination: str, kind: str) -> set[tuple[str, str]]:
    """(segment, identifying value) of every row of <segment>.<kind>.csv."""
    column = {"google_customer_match": "Email", "meta_custom_audience": "email",
              "email": "email"}[destination]
    found = set()
    for path in (out / destination).glob(f"*.{kind}.csv"):
        segment = path.name[: -len(f".{kind}.csv")]
        found |= {(segment, row[column]) for row in _rows(path)}
    return found


def _key(destination: str, email: str) -> str:
    if destination == "google_customer_match":
        return normalise.sha256_hex(normalise.email_google(email))
    if destination == "meta_custom_audience":
        return normalise.sha256_hex(normalise.email_meta(email))
    return normalise.email_plain(email)


def _contacts(db: Path) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from pii.pii_customers").df().set_index("user_id")


def _treatment(serving: Path) -> pd.DataFrame:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("""
            select m.segment, m.user_id from marts.segment_memberships as m
            inner join marts.segment_holdouts as h using (segment, user_id)
            where h.holdout_group = 'treatment'""").df()


def _may(contact, destination: str) -> bool:
    purposes = (("email_marketing",) if destination == "email"
                else ("ad_user_data", "ad_personalization"))
    states = {p: (None if pd.isna(contact[f"consent_{p}"]) else contact[f"consent_{p}"])
              for p in consent.PURPOSES}
    return consent.may_export(purposes, states, contact["country"])[0]


@pytest.fixture(scope="module")
def activation(built, tmp_path_factory):
    work = tmp_path_factory.mktemp("activation")
    raw = work / "raw"
    shutil.copytree(built.raw_dir, raw)
    db = work / "warehouse.duckdb"
    shutil.copy(built.db_path, db)
    serving = work / "serving" / "segmart.duckdb"
    publish(db, serving)
    out = work / "exports"
    first = export_destinations(serving, out, DESTINATIONS, ANY)
    return {"work": work, "raw": raw, "db": db, "serving": serving, "out": out,
            "first": first, "as_of": built.as_of}


def test_first_export_files_columns_consent_and_holdout(activation):
    out, serving, db = activation["out"], activation["serving"], activation["db"]
    contacts = _contacts(db)
    treatment = _treatment(serving)
    headers = {"google_customer_match": "Email,Phone,First Name,Last Name,Country,Zip",
               "meta_custom_audience": "email,phone,fn,ln,zip,ct,st,country",
               "email": "email,first_name,segment"}
    for destination in DESTINATIONS:
        manifest = _manifest(out, destination)
        assert manifest, destination
        for segment, row in manifest.items():
            c = {k: int(v) for k, v in row.items() if k.startswith("count_")}
            assert c["count_members"] == (
                c["count_left_out_priority"] + c["count_held_out"] + c["count_left_out_consent"]
                + c["count_left_out_identifiers"] + c["count_exportable"]), (destination, row)
            assert c["count_in_state"] == (c["count_previous"] + c["count_added"]
                                           - c["count_removed"])
            if row["status"] == "written":
                rows = _rows(out / destination / f"{segment}.csv")
                assert len(rows) == c["count_written"] == c["count_exportable"] == c["count_added"]
                assert (out / destination / f"{segment}.csv").read_text().splitlines()[0] == (
                    headers[destination])
            # who may be exported, by the rules written out here once more
            expected = {
                _key(destination, contacts.loc[u, "email"])
                for u in treatment[treatment["segment"] == segment]["user_id"]
                if u in contacts.index and _may(contacts.loc[u], destination)
                and not contacts.loc[u, "has_invalid_email"]
                and isinstance(contacts.loc[u, "email"], str)}
            got = {v for s, v in _deltas(out, destination, "added") if s == segment and v}
            assert got == expected, (destination, segment)
    google = "".join(p.read_text() for p in (out / "google_customer_match").glob("*.csv"))
    meta = "".join(p.read_text() for p in (out / "meta_custom_audience").glob("*.csv"))
    assert "@" not in google + meta, "ad platforms get hashes only"
    assert sum(int(r["count_held_out"]) for r in _manifest(out, "email").values()) > 0
    assert sum(int(r["count_left_out_consent"])
               for r in _manifest(out, "google_customer_match").values()) > 0


def test_deltas_after_a_withdrawal_an_erasure_and_a_new_member(activation):
    work, raw, db, serving, out = (activation[k] for k in ("work", "raw", "db", "serving", "out"))
    contacts = _contacts(db)
    before_members = _treatment(serving)
    sent = {d: _deltas(out, d, "added") for d in DESTINATIONS}
    exported_everywhere = sorted(
        u for u in contacts.index if isinstance(contacts.loc[u, "email"], str)
        and any(v == _key("google_customer_match", contacts.loc[u, "email"])
                for _, v in sent["google_customer_match"])
        and any(v == _key("email", contacts.loc[u, "email"]) for _, v in sent["email"]))
    withdrawn, erased = exported_everywhere[0], exported_everywhere[1]

    # a new cart abandoner: an add_to_cart one minute after their last event, same session
    with duckdb.connect(str(db), read_only=True) as con:
        candidates = con.execute("""
            select e.user_id, max(e.occurred_at) as last_at
            from intermediate.int_events_stitched as e
            group by e.user_id
            having max(e.occurred_at) between ?::timestamp - interval 6 day
                and ?::timestamp - interval 2 hour
        """, [activation["as_of"], activation["as_of"]]).fetchall()
        last_order = dict(con.execute(
            "select user_id, max(ordered_at) from intermediate.int_orders_aggregated "
            "group by 1").fetchall())
    in_cart = set(before_members[before_members["segment"] == "cart_abandoners"]["user_id"])
    new_member = next(
        u for u, last_at in sorted(candidates)
        if u in contacts.index and u not in in_cart and u not in (withdrawn, erased)
        and not is_control("cart_abandoners", u)
        and contacts.loc[u, "consent_ad_user_data"] == "granted"
        and contacts.loc[u, "consent_ad_personalization"] == "granted"
        and contacts.loc[u, "consent_email_marketing"] == "granted"
        and not contacts.loc[u, "has_invalid_email"]
        and (u not in last_order or last_order[u] < last_at))
    last_at = dict(candidates)[new_member]
    events = pd.concat(pd.read_parquet(p) for p in (raw / "events").glob("*.parquet"))
    template = events[(events["user_id"] == new_member)].sort_values("occurred_at").iloc[-1:]
    template = template.assign(event_id="e_added_to_cart_22", event_type="add_to_cart",
                               occurred_at=pd.Timestamp(last_at) + timedelta(minutes=1),
                               loaded_at=pd.Timestamp(last_at) + timedelta(minutes=2),
                               product_id="p00001", category="cat_01", price=1.0, quantity=1,
                               page_path="/product")
    schema = pq.read_schema(next((raw / "events").glob("*.parquet")))
    pq.write_table(pa.Table.from_pandas(template, schema=schema, preserve_index=False),
                   raw / "events" / "part-99999-added.parquet")

    # a later CRM row withdraws ad_user_data (an older record version otherwise)
    customers = pd.concat(pd.read_parquet(p) for p in (raw / "customers").glob("*.parquet"))
    row = customers[customers["user_id"] == withdrawn].sort_values("updated_at").iloc[-1:]
    row = row.assign(consent_ad_user_data="denied",
                     consent_ad_user_data_updated_at=pd.Timestamp(activation["as_of"]),
                     updated_at=row["updated_at"] - timedelta(days=1))
    schema = pq.read_schema(next((raw / "customers").glob("*.parquet")))
    pq.write_table(pa.Table.from_pandas(row, schema=schema, preserve_index=False),
                   raw / "customers" / "part-99999-withdrawal.parquet")
    # an erasure request
    requested = pa.array([datetime(2024, 12, 31)], pa.timestamp("us"))
    pq.write_table(pa.table({"user_id": [erased], "requested_at": requested}),
                   raw / "deletion_requests" / "part-99999-erase.parquet")

    result = run_dbt(["build", "--exclude-resource-type", "unit_test",
                      "--vars", json.dumps({"as_of": activation["as_of"]})], raw, db, work)
    assert result.returncode == 0, result.stdout[-4000:]
    publish(db, serving)
    after_members = _treatment(serving)
    export_destinations(serving, out, DESTINATIONS, ANY)

    # what changed in the memberships (treatment groups): the new member joined, the erased
    # person left; a person's leaving can move score boundaries (RFM), so every change counts
    joined = (set(map(tuple, after_members.values)) - set(map(tuple, before_members.values)))
    left = (set(map(tuple, before_members.values)) - set(map(tuple, after_members.values)))
    assert ("cart_abandoners", new_member) in joined
    assert erased not in set(after_members["user_id"])
    assert {s for s, u in left if u == erased} == set(
        before_members[before_members["user_id"] == erased]["segment"])
    contacts_after = _contacts(db)
    assert erased not in contacts_after.index
    email_of = {u: contacts.loc[u, "email"] for u in (withdrawn, erased, new_member)}
    for destination in DESTINATIONS:
        def key_of(user, contacts=contacts, destination=destination):
            return _key(destination, contacts.loc[user, "email"])

        def has_email(user, frame):
            return (user in frame.index and isinstance(frame.loc[user, "email"], str)
                    and not frame.loc[user, "has_invalid_email"])

        expected_removed = {(s, key_of(u)) for s, u in left if has_email(u, contacts)
                            } & sent[destination]
        if destination != "email":  # only ad_user_data was withdrawn
            expected_removed |= {(s, v) for s, v in sent[destination]
                                 if v == key_of(withdrawn)}
        expected_added = {(s, key_of(u, contacts_after)) for s, u in joined
                          if has_email(u, contacts_after)
                          and _may(contacts_after.loc[u], destination)}
        # the planted changes are there, and nothing else
        assert ("cart_abandoners", key_of(new_member)) in expected_added
        assert {(s, v) for s, v in sent[destination] if v == key_of(erased)} <= expected_removed
        assert _deltas(out, destination, "removed") - {(s, "") for s, _ in left} == (
            expected_removed), destination
        assert _deltas(out, destination, "added") - {(s, "") for s, _ in joined} == (
            expected_added), destination
        manifest = _manifest(out, destination)
        removed_rows = sum(len(_rows(p)) for p in (out / destination).glob("*.removed.csv"))
        assert sum(int(r["count_removed"]) for r in manifest.values()) == removed_rows
    # the erased person's removal went out once; the state keeps no trace of them
    state_bytes = (out / "_state.duckdb").read_bytes()
    for destination in DESTINATIONS:
        assert _key(destination, email_of[erased]).encode() not in state_bytes
    assert email_of[erased].encode() not in state_bytes
    assert all(email_of[erased] not in row for members in read_state(out / "_state.duckdb")
               .values() for row in members.values())
    assert _key("google_customer_match", email_of[new_member]).encode() in state_bytes

    # nothing changed: empty deltas
    export_destinations(serving, out, DESTINATIONS, ANY)
    for destination in DESTINATIONS:
        assert _deltas(out, destination, "added") == set()
        assert _deltas(out, destination, "removed") == set()

    # a failed run leaves the state and the folders as they were
    snapshot = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(ActivationError, match="simulated failure"):
        export_destinations(serving, out, DESTINATIONS, Settings(min_audience_size=10**6),
                            _fail_after_files=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot


def test_priority_list_exports_a_person_to_the_first_segment_only(activation, tmp_path):
    serving = activation["serving"]
    with duckdb.connect(str(serving), read_only=True) as con:
        overlap = con.execute("""
            select count(*) from marts.segment_memberships as a
            inner join marts.segment_memberships as b using (user_id)
            where a.segment = 'cart_abandoners'
              and b.segment = 'high_value_cart_abandoners'""").fetchone()[0]
    assert overlap > 0
    settings = Settings(min_audience_size=1, priority_lists={
        "offers": ("high_value_cart_abandoners", "cart_abandoners")})
    manifests = export_destinations(serving, tmp_path / "out", ["email"], settings,
                                    pii=activation["serving"].with_name("segmart.pii.duckdb"))
    rows = {r["segment"]: r for r in manifests["email"]}
    assert rows["cart_abandoners"]["count_left_out_priority"] == overlap
    assert rows["high_value_cart_abandoners"]["count_left_out_priority"] == 0
    assert rows["rfm_at_risk"]["count_left_out_priority"] == 0
    out = tmp_path / "out" / "email"
    first = {r["email"] for r in _rows(out / "high_value_cart_abandoners.csv")}
    second = {r["email"] for r in _rows(out / "cart_abandoners.csv")}
    assert first and second and not first & second


def test_a_small_audience_is_not_written_and_says_why(activation, tmp_path):
    out = tmp_path / "out"
    code = export_main(["--destination", "meta_custom_audience", "--db",
                        str(activation["serving"]), "--out", str(out),
                        "--config", str(tmp_path / "none.yml")])
    assert code == 0
    manifest = _manifest(out, "meta_custom_audience")
    small = [r for r in manifest.values() if int(r["count_exportable"]) < 100]
    assert small, "the 1,500-person fixture has audiences under Meta's 100"
    for row in small:
        assert row["status"] == "below_minimum" and "minimum audience size 100" in row["reason"]
        assert not (out / "meta_custom_audience" / f"{row['segment']}.csv").exists()
        assert (out / "meta_custom_audience" / f"{row['segment']}.removed.csv").exists()
    with pytest.raises(ActivationError, match="--destination must be"):
        export_destinations(activation["serving"], out, ["tiktok"], ANY)
