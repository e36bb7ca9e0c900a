"""Identity end to end: generated CRM duplicates and near-misses (their truth in
_ground_truth/crm_identities) built with `dbt build`. CRM records are joined into persons
with pairwise precision >= 0.98 and recall >= 0.9, near-misses stay apart, every mart
counts a person once, and erasing one record of a person erases all of them."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import Build, columns_holding, generate, run_dbt
from segmart.generate_contacts import phone_for

pytestmark = pytest.mark.e2e


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    """The unordered pairs of records that share a person."""
    found = set()
    for ids in frame.groupby("person_id")["user_id"].apply(sorted):
        found |= {(a, b) for k, a in enumerate(ids) for b in ids[k + 1:]}
    return found


TRIO = ("trio0", "trio1", "trio2")
TRIO_EMAILS = ("trio-a@example.org", "trio-a@example.org", "trio-c@example.org")


def _page_views(events: pd.DataFrame, as_of: str, days_before: int, **columns
                ) -> pd.DataFrame:
    """Page views `days_before` days before as_of, one per event_id, copied from the first
    events with the columns given (a value per row, or one for all)."""
    rows = events.iloc[:len(columns["event_id"])].copy()
    rows["event_type"] = "page_view"
    rows["occurred_at"] = pd.Timestamp(as_of) - pd.Timedelta(days=days_before)
    for name, values in columns.items():
        rows[name] = values
    return rows


@pytest.fixture(scope="module")
def identities(tmp_path_factory) -> tuple[Build, pd.DataFrame, str, str, dict[str, str]]:
    """2,500 persons, a tenth with a planted duplicate and a twentieth with a near-miss, and
    an erasure request for one original that has a duplicate."""
    work = tmp_path_factory.mktemp("identity")
    raw = work / "raw"
    manifest = generate(raw, users=2500, days=60, seed=27, crm_duplicate_share=0.1,
                        crm_near_miss_share=0.05)
    truth = pd.read_parquet(raw / "_ground_truth" / "crm_identities")
    duplicated = truth[truth["record_kind"] == "email_case"].sort_values("user_id").iloc[0]
    erased, erased_duplicate = duplicated["person_id"], duplicated["user_id"]
    pd.DataFrame({"user_id": [erased], "requested_at": [pd.Timestamp(manifest["as_of"])]}
                 ).to_parquet(raw / "deletion_requests" / "zz-identity-test.parquet")
    # logged-out events that carry identifiers: a newsletter click with an original's e-mail
    # (other case, spaces) and a checkout with another's phone, written internationally
    events = pd.read_parquet(next(iter(sorted((raw / "events").glob("*.parquet")))))
    customers = pd.concat(pd.read_parquet(p) for p in (raw / "customers").glob("*.parquet"))
    originals = truth[(truth["record_kind"] == "original") & ~truth["is_deleted"]
                      & (truth["person_id"] != erased)]["user_id"].sort_values()
    with_phone = customers[customers["user_id"].isin(originals)
                           & customers["phone"].str.startswith("+", na=False)]
    clicker, buyer = originals.iloc[5], with_phone["user_id"].sort_values().iloc[0]
    phone = with_phone.loc[with_phone["user_id"] == buyer, "phone"].iloc[0]
    as_of = manifest["as_of"]
    carried = _page_views(events, as_of, 1, event_id=["newsletter-click", "guest-checkout"],
                          anonymous_id=["d-newsletter", "d-checkout"], user_id=None,
                          email=[f"  {clicker.upper()}@EXAMPLE.COM ", None],
                          phone=[None, f"{phone[:3]} {phone[3:7]} {phone[7:]}"])
    # logged-in events with identifiers: a new e-mail of its own, and the clicker's e-mail
    logged_in = _page_views(events, as_of, 2,
                            event_id=["login-new-email", "login-foreign-email"],
                            anonymous_id=["d-login-new", "d-login-foreign"],
                            user_id=[originals.iloc[6], originals.iloc[7]],
                            email=["Fresh.Reader@Example.NET", f"{clicker}@example.com"],
                            phone=None)
    # logged-in events of living persons with the e-mail of a record erased now (the
    # requested original's) and of one erased by a later request (trio2's), and with the
    # phone that a version of the requested original has in national form: cleared, kept
    national, international = phone_for("GB", 600_000)
    foreign = _page_views(events, as_of, 2,
                          event_id=["login-erased-email", "login-trio-email",
                                    "login-erased-phone"],
                          anonymous_id=["d-login-erased", "d-login-trio", "d-login-phone"],
                          user_id=[originals.iloc[8], originals.iloc[9], originals.iloc[10]],
                          email=[f" {erased.upper()}@example.com", TRIO_EMAILS[2], None],
                          phone=[None, None, f"{international[:3]} {international[3:]}"])
    version = customers[customers["user_id"] == erased].iloc[:1].copy()
    version["phone"], version["country"] = national, "GB"
    version.to_parquet(raw / "customers" / "zz-identity-erased-phone.parquet")
    # logged-out events whose values cannot be hashed: kept, counted in data_quality; a
    # placeholder e-mail is ignored, not invalid
    unusable = _page_views(
        events, as_of, 3, event_id=["bad-email", "bad-phone", "bad-both", "placeholder-email"],
        anonymous_id=["d-bad-email", "d-bad-phone", "d-bad-both", "d-placeholder"],
        user_id=None, email=["reader.example.com", None, "two@@example.com", "noreply@shop.test"],
        phone=[None, "07700 900123", "+44 12", "  "])
    pd.concat([carried, logged_in, foreign, unusable]).to_parquet(
        raw / "events" / "zz-identity-test.parquet")
    # seven records chained by shared e-mails and phones, each value on two of them: one
    # component of seven, over the limit of five CRM records per person
    chain = customers[customers["user_id"].isin(originals)].iloc[:7].copy()
    chain["user_id"] = [f"chain{k}" for k in range(7)]
    chain["email"] = [f"chain{k - k % 2}@example.org" for k in range(7)]
    chain["phone"] = [phone_for("GB", 400_000 + k - (k + 1) % 2)[1] for k in range(7)]
    chain["country"] = "GB"
    chain["first_name"] = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus"]
    chain["last_name"] = ["Ames", "Birch", "Cole", "Dunn", "Eyre", "Frost", "Gale"]
    chain.to_parquet(raw / "customers" / "zz-identity-chain.parquet")
    # three records of one person: trio0 and trio1 share an e-mail, trio1 and trio2 a phone
    trio = customers[customers["user_id"].isin(originals)].iloc[7:10].copy()
    trio["user_id"] = list(TRIO)
    trio["email"] = list(TRIO_EMAILS)
    trio["phone"] = [phone_for("GB", 500_000 + k)[1] for k in (0, 1, 1)]
    trio["country"] = "GB"
    trio["first_name"] = ["Hal", "Ivy", "Jo"]
    trio["last_name"] = ["Hart", "Inch", "Jude"]
    trio.to_parquet(raw / "customers" / "zz-identity-trio.parquet")
    db = work / "identity.duckdb"
    result = run_dbt(["build", "--exclude", "path:models/marts/ml",
                      "--vars", json.dumps({"as_of": manifest["as_of"]})], raw, db, work)
    assert result.returncode == 0, result.stdout[-6000:]
    build = Build(raw_dir=raw, db_path=db, manifest=manifest, as_of=manifest["as_of"])
    kept = truth[~truth["is_deleted"] & (truth["person_id"] != erased)]
    carried = {"newsletter-click": clicker, "guest-checkout": buyer,
               "login-new-email": originals.iloc[6], "login-foreign-email": originals.iloc[7]}
    return build, kept, erased, erased_duplicate, carried


def test_records_are_joined_with_the_precision_and_recall_asked(identities):
    build, truth, *_ = identities
    # the planted trio is a person the generator does not know of
    ours = build.frame("select user_id, person_id from intermediate.int_identity_persons"
                       " where user_id not like 'trio%'")
    expected, found = _pairs(truth), _pairs(ours)
    assert len(expected) > 150
    hits = len(expected & found)
    assert hits / len(found) >= 0.98
    assert hits / len(expected) >= 0.9


def test_near_misses_stay_persons_of_their_own(identities):
    build, truth, *_ = identities
    persons = build.frame(
        "select user_id, person_id from intermediate.int_identity_persons"
    ).set_index("user_id")["person_id"]
    near = truth[truth["near_miss_of"].notna() & truth["near_miss_of"].isin(persons.index)]
    assert len(near) > 50
    assert set(near["record_kind"]) == {"namesake", "family_member"}
    assert (persons[near["user_id"]].to_numpy()
            != persons[near["near_miss_of"]].to_numpy()).all()


def test_a_component_over_the_user_id_limit_is_not_merged(identities):
    """The seven chained records stay seven persons, and each of their six links is in the
    audit as refused by the limit of five."""
    build, *_ = identities
    persons = build.frame("select user_id, person_id, count_component_user_ids, is_over_limit"
                          " from intermediate.int_identity_persons where user_id like 'chain%'")
    assert len(persons) == 7
    assert (persons["user_id"] == persons["person_id"]).all()
    assert (persons["count_component_user_ids"] == 7).all() and persons["is_over_limit"].all()
    refused = build.query("select outcome, limit_type, limit_value, count(*)"
                          " from marts.identity_merge_audit where user_id like 'chain%'"
                          " and identifier_type = 'user_id' group by all")
    assert refused == [("refused", "user_id", 5, 6)]


def test_each_mart_counts_a_person_once(identities):
    """A merged record is no person of its own anywhere; its person lists it."""
    build, truth, *_ = identities
    merged = build.frame("select user_id, person_id from intermediate.int_identity_persons"
                         " where user_id != person_id")
    assert len(merged) > 150
    for table in ("user_profiles", "user_features", "segment_memberships"):
        hits = build.query(f"select count(*) from marts.{table} where list_contains(?, user_id)",
                           [list(merged["user_id"])])[0][0]
        assert hits == 0, table
    listed = build.frame("select user_id, merged_user_ids, count_crm_records"
                         " from marts.user_profiles where merged_user_ids is not null")
    members = listed.assign(member=listed["merged_user_ids"].str.split(",")).explode("member")
    assert set(members["member"]) == set(merged["user_id"])
    assert (listed["count_crm_records"]
            == listed["merged_user_ids"].str.count(",") + 2).all()


def test_person_identifiers_hold_every_record_and_hashes_only(identities):
    build, truth, *_ = identities
    records = build.frame("select person_id, identifier_value as user_id"
                          " from marts.person_identifiers where identifier_type = 'user_id'")
    persons = build.frame("select user_id, person_id from intermediate.int_identity_persons")
    assert set(map(tuple, records[["user_id", "person_id"]].to_numpy())) >= set(
        map(tuple, persons[["user_id", "person_id"]].to_numpy()))
    emails = build.frame("select identifier_value from marts.person_identifiers"
                         " where identifier_type in ('email', 'phone')")["identifier_value"]
    assert len(emails) > 1000
    assert emails.str.fullmatch(r"[0-9a-f]{64}").all()
    audit = build.frame("select outcome, merge_rule from marts.identity_merge_audit")
    assert {"merged"} <= set(audit["outcome"])
    assert (audit["outcome"] == "merged").sum() >= len(_pairs(truth)) * 0.9 / 2


def test_an_identifier_on_a_logged_out_event_names_its_person(identities):
    """The click's device is the e-mail's person, the checkout's the phone's."""
    build, *_, carried = identities
    stitched = dict(build.query(
        "select event_id, user_id from intermediate.int_events_stitched"
        " where event_id in ('newsletter-click', 'guest-checkout')"))
    persons = dict(build.query(
        "select user_id, person_id from intermediate.int_identity_persons"))
    assert stitched == {event: persons[carried[event]]
                        for event in ("newsletter-click", "guest-checkout")}
    matched = dict(build.query("select anonymous_id, matched_by from intermediate.int_identity_map"
                               " where anonymous_id in ('d-newsletter', 'd-checkout')"))
    assert matched == {"d-newsletter": "email", "d-checkout": "phone"}


def test_an_unusable_identifier_on_an_event_is_counted_not_dropped_silently(identities):
    """The events are staged with no hash; data_quality counts each unusable value once, on
    the event's date, and neither a placeholder nor a blank value."""
    build, *_ = identities
    staged = build.frame("""
        select event_id, email_sha256, phone_sha256, has_invalid_email, has_invalid_phone
        from staging.stg_tracking__events
        where event_id in ('bad-email', 'bad-phone', 'bad-both', 'placeholder-email')
        order by event_id""").set_index("event_id")
    assert list(staged.index) == ["bad-both", "bad-email", "bad-phone", "placeholder-email"]
    assert staged[["email_sha256", "phone_sha256"]].isna().all().all()
    assert staged["has_invalid_email"].to_dict() == {
        "bad-both": True, "bad-email": True, "bad-phone": False, "placeholder-email": False}
    assert staged["has_invalid_phone"].to_dict() == {
        "bad-both": True, "bad-email": False, "bad-phone": True, "placeholder-email": False}
    counted = dict(build.query("""
        select detail, sum(observed) from marts.data_quality
        where check_name = 'invalid_contact_values' and source_table = 'events'
        group by detail"""))
    assert counted == {"invalid_email": 2, "invalid_phone": 2}


def test_erasing_one_record_erases_the_whole_person(identities):
    """The request names the original; its duplicate (same e-mail in another case) goes too,
    from every relation but the suppression lists, with its e-mail's salted hash, also from
    a living person's login that carried it, and the hash of a phone one of its versions
    has in national form, from a login that carried it internationally."""
    build, _, erased, duplicate, _ = identities
    erased_records = dict(build.query(
        "select user_id, erased_because from staging.stg_crm__erased_records"))
    assert erased_records[erased] == "requested"
    assert erased_records[duplicate] == "same_person"
    email, phone = f"{erased}@example.com", phone_for("GB", 600_000)[1]
    needles = [erased, duplicate,
               *(hashlib.sha256(f"segmart-development-salt{value}".encode()).hexdigest()
                 for value in (email, phone))]
    assert columns_holding(build, needles) == []
    # living persons' logins that carried the erased e-mail or phone are kept, without them
    assert build.query("select event_id, user_id is not null, email_sha256, phone_sha256"
                       " from staging.stg_tracking__events"
                       " where event_id in ('login-erased-email', 'login-erased-phone')"
                       " order by event_id") == [("login-erased-email", True, None, None),
                                                 ("login-erased-phone", True, None, None)]


def _with_trio_request(build: Build, work: Path) -> tuple[Path, Path, Build]:
    """A copy of the build's landing zone and warehouse with a request for trio0 landed."""
    raw, db = work / "raw", work / "identity.duckdb"
    shutil.copytree(build.raw_dir, raw)
    shutil.copy(build.db_path, db)
    pd.DataFrame({"user_id": [TRIO[0]], "requested_at": [pd.Timestamp(build.as_of)]}
                 ).to_parquet(raw / "deletion_requests" / "zz-trio.parquet")
    return raw, db, Build(raw_dir=raw, db_path=db, manifest=build.manifest, as_of=build.as_of)


def test_a_person_joined_by_the_previous_build_is_erased_whole(identities, tmp_path):
    """A request for trio0 after a build that joined trio0-trio1-trio2: trio2 shares nothing
    with trio0, so only the previous build's person names it. All three go, with their
    e-mails' hashes (trio2's also from a living person's stored login), and stay gone after
    a --full-refresh (the suppression list is only appended to)."""
    build, *_ = identities
    persons = dict(build.query("select user_id, person_id from intermediate.int_identity_persons"
                               " where user_id like 'trio%'"))
    assert len(set(persons.values())) == 1 and set(persons) == set(TRIO)
    raw, db, later = _with_trio_request(build, tmp_path)
    needles = [*TRIO, *(hashlib.sha256(f"segmart-development-salt{email}".encode()).hexdigest()
                        for email in set(TRIO_EMAILS))]
    for extra in ([], ["--full-refresh"]):
        result = run_dbt(["build", "--exclude", "path:models/marts/ml", *extra,
                          "--vars", json.dumps({"as_of": build.as_of})], raw, db, tmp_path)
        assert result.returncode == 0, result.stdout[-6000:]
        erased = dict(later.query("select user_id, erased_because"
                                  " from staging.stg_crm__erased_records"
                                  " where user_id like 'trio%'"))
        assert erased == {"trio0": "requested", "trio1": "same_person",
                          "trio2": "same_person"}
        assert columns_holding(later, needles) == []
        # trio2's e-mail on a living person's login, stored before: cleared, the event kept
        assert later.query("select email_sha256 from staging.stg_tracking__events"
                           " where event_id = 'login-trio-email'") == [(None,)]


def test_a_base_model_built_without_the_list_still_drops_a_new_request(identities, tmp_path):
    """A request lands and only base_crm__customers is built: the suppression list does not
    hold it yet, so the base model reads the landed request and its e-mail mate itself
    (trio0, trio1; trio2 is named only by the previous build's person, through the list).
    Once a full build has listed all three, the base model built alone reads the list."""
    build, *_ = identities
    raw, db, later = _with_trio_request(build, tmp_path)
    alone = ["run", "--select", "base_crm__customers", "--vars",
             json.dumps({"as_of": build.as_of})]
    stored = "select distinct user_id from pii.base_crm__customers where user_id like 'trio%'"
    result = run_dbt(alone, raw, db, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert sorted(later.query(stored)) == [("trio2",)]
    result = run_dbt(["build", "--exclude", "path:models/marts/ml", "--vars",
                      json.dumps({"as_of": build.as_of})], raw, db, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    result = run_dbt(alone, raw, db, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert later.query(stored) == []


def test_an_identifier_on_a_logged_in_event_is_its_persons_unless_another_holds_it(identities):
    """The new e-mail joins the login's person (matched_by login); the clicker's e-mail on
    another person's login is refused (event_login) and stays the clicker's only."""
    build, *_, carried = identities
    persons = dict(build.query("select user_id, person_id from intermediate.int_identity_persons"))
    new, foreign = persons[carried["login-new-email"]], persons[carried["login-foreign-email"]]
    fresh, clickers = "fresh.reader@example.net", f"{carried['newsletter-click']}@example.com"
    salted = {email: hashlib.sha256(f"segmart-development-salt{email}".encode()).hexdigest()
              for email in (fresh, clickers)}
    holders = build.query("select identifier_value, person_id, matched_by"
                          " from marts.person_identifiers"
                          " where list_contains(?, identifier_value)", [list(salted.values())])
    assert sorted(holders) == sorted([
        (salted[fresh], new, "login"),
        (salted[clickers], persons[carried["newsletter-click"]], "crm"),
    ])
    refused = build.query("select person_id, merge_rule, matched_by, limit_type, limit_value"
                          " from marts.identity_merge_audit where identifier_value = ?",
                          [salted[clickers]])
    assert refused == [(foreign, "event_login", "login", "user_id", 1)]
