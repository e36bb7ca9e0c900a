"""segmart.activation on a hand-made serving file: every reason a member is left out, the
state across runs, settings. No dbt build: these run in a second."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from segmart.activation import normalise
from segmart.activation.audiences import ActivationError, export_destinations, read_state
from segmart.activation.settings import Settings, SettingsError, load_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# user, email, phone, country, email_marketing, ad_user_data, ad_personalization
PEOPLE = [
    ("u_ok", "Ann.Lee@GMail.com", "020 7946 0000", "GB", "granted", "granted", "granted"),
    ("u_us_unstated", "bob@example.com", "(201) 555-0123", "US", "granted", None, None),
    ("u_de_unstated", "cleo@example.de", None, "DE", "granted", None, "granted"),
    ("u_denied", "dan@example.com", None, "US", "denied", "denied", "granted"),
    ("u_unknown", "eve@example.com", None, "US", "granted", "granted", "unknown"),
    ("u_bad_email", "fay.example.com", None, "US", "granted", "granted", "granted"),
    ("u_bad_email_phone", "gus.example.com", "+1 201 555 0124", "US", "granted", "granted",
     "granted"),
    ("u_bad_phone", None, "12", "US", "granted", "granted", "granted"),
    ("u_control", "hal@example.com", None, "US", "granted", "granted", "granted"),
]


def _serving(path: Path, extra_member: str | None = None, erased: str | None = None) -> None:
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema pii")
        con.execute("create table marts.segment_summary (segment varchar)")
        con.execute("insert into marts.segment_summary values ('winback'), ('offer'), "
                    "('empty')")
        members = [(s, p[0]) for p in PEOPLE for s in ("winback",) if p[0] != erased]
        members += [("offer", "u_ok"), ("offer", "u_visitor")]
        if extra_member:
            members.append(("offer", extra_member))
        con.execute("create table marts.segment_memberships (segment varchar, user_id varchar)")
        con.executemany("insert into marts.segment_memberships values (?, ?)", members)
        con.execute("create table marts.segment_holdouts as select segment, user_id, "
                    "case when user_id = 'u_control' then 'control' else 'treatment' end "
                    "as holdout_group from marts.segment_memberships")
        con.execute("""create table pii.pii_customers (user_id varchar, email varchar,
            has_invalid_email boolean, phone varchar, first_name varchar, last_name varchar,
            postal_code varchar, city varchar, region varchar, country varchar,
            consent_email_marketing varchar, consent_ad_user_data varchar,
            consent_ad_personalization varchar)""")
        for user, email, phone, country, c_email, c_data, c_pers in PEOPLE:
            if user == erased:
                continue
            # no names for the bad ones: Google would match them on name + country + zip
            first, last = (None, None) if user.startswith("u_bad") else ("Zoë", "O'Brien")
            con.execute("insert into pii.pii_customers values (?, ?, ?, ?, ?, ?, "
                        "'SW1A 1AA', 'London', null, ?, ?, ?, ?)",
                        [user, email, email is not None and not normalise.is_valid_email(email),
                         phone, first, last, country, c_email, c_data, c_pers])


def _manifest(out: Path, destination: str) -> dict[str, dict[str, str]]:
    with (out / destination / "_manifest.csv").open() as handle:
        return {r["segment"]: r for r in csv.DictReader(handle)}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_reason_to_leave_a_member_out(tmp_path):
    serving = tmp_path / "serving.duckdb"
    _serving(serving)
    out = tmp_path / "out"
    export_destinations(serving, out, ["google_customer_match", "email"],
                        Settings(min_audience_size=1))
    google = _manifest(out, "google_customer_match")["winback"]
    assert google["left_out_reasons"] == (
        "consent_ad_personalization_unknown=1; consent_ad_user_data_denied=1; "
        "consent_ad_user_data_missing=1; invalid_email=1; invalid_phone=1")
    assert (google["count_members"], google["count_held_out"], google["count_left_out_consent"],
            google["count_left_out_identifiers"], google["count_exportable"]) == (
        "9", "1", "3", "2", "3")
    rows = _csv(out / "google_customer_match" / "winback.csv")
    assert {r["Email"] for r in rows} == {
        normalise.sha256_hex("annlee@gmail.com"), normalise.sha256_hex("bob@example.com"), ""}
    gus = next(r for r in rows if not r["Email"])  # invalid e-mail, matched by phone
    assert gus["Phone"] == normalise.sha256_hex("+12015550124")
    assert gus["Country"] == "US" and gus["Zip"] == "SW1A 1AA" and gus["First Name"] == ""
    ann = next(r for r in rows if r["Email"] == normalise.sha256_hex("annlee@gmail.com"))
    assert ann["First Name"] == normalise.sha256_hex("zoë")
    assert ann["Last Name"] == normalise.sha256_hex("obrien")
    assert ann["Phone"] == normalise.sha256_hex("+442079460000")
    email = _manifest(out, "email")["winback"]
    assert email["left_out_reasons"] == ("consent_email_marketing_denied=1; invalid_email=2; "
                                         "no_identifier=1")
    assert {r["email"] for r in _csv(out / "email" / "winback.csv")} == {
        "ann.lee@gmail.com", "bob@example.com", "cleo@example.de", "eve@example.com"}
    offer = _manifest(out, "email")["offer"]
    assert offer["left_out_reasons"] == "not_a_customer=1"
    assert _manifest(out, "email")["empty"]["status"] == "below_minimum"


def test_state_deltas_erasure_and_a_failed_run(tmp_path):
    serving, out = tmp_path / "serving.duckdb", tmp_path / "out"
    settings = Settings(min_audience_size=1)
    _serving(serving)
    export_destinations(serving, out, ["meta_custom_audience"], settings)
    bob = normalise.sha256_hex("bob@example.com")
    assert bob.encode() in (out / "_state.duckdb").read_bytes()
    # bob is erased, u_de_unstated joins offer (left out there too: DE, unstated)
    _serving(serving, extra_member="u_de_unstated", erased="u_us_unstated")
    export_destinations(serving, out, ["meta_custom_audience"], settings)
    removed = _csv(out / "meta_custom_audience" / "winback.removed.csv")
    assert [r["email"] for r in removed] == [bob]
    assert removed[0]["phone"] == normalise.sha256_hex("12015550123")  # as it was sent
    assert bob.encode() not in (out / "_state.duckdb").read_bytes()
    assert _csv(out / "meta_custom_audience" / "winback.added.csv") == []
    # nothing changed
    export_destinations(serving, out, ["meta_custom_audience"], settings)
    for path in (out / "meta_custom_audience").glob("*.*ed.csv"):
        assert _csv(path) == [], path.name
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(ActivationError, match="simulated"):
        export_destinations(serving, out, ["meta_custom_audience"], settings,
                            _fail_after_files=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert set(read_state(out / "_state.duckdb")) == {("meta_custom_audience", "winback"),
                                                     ("meta_custom_audience", "offer")}


def test_below_the_minimum_only_removals_go_out(tmp_path):
    serving, out = tmp_path / "serving.duckdb", tmp_path / "out"
    _serving(serving)
    export_destinations(serving, out, ["email"], Settings(min_audience_size=1))
    _serving(serving, erased="u_ok")
    export_destinations(serving, out, ["email"], Settings(min_audience_size=50))
    row = _manifest(out, "email")["winback"]
    assert row["status"] == "below_minimum" and "minimum audience size 50" in row["reason"]
    assert not (out / "email" / "winback.csv").exists()
    assert [r["email"] for r in _csv(out / "email" / "winback.removed.csv")] == [
        "ann.lee@gmail.com"]
    assert _csv(out / "email" / "winback.added.csv") == []
    assert row["count_in_state"] == "3"  # the others stay where the platform has them


def test_settings_file_and_its_errors(tmp_path):
    settings = load_settings(PROJECT_ROOT / "activation.yml")
    assert settings.min_size("meta_custom_audience") == 100
    assert settings.min_size("email") == 1
    assert settings.priority_of()["cart_abandoners"] == ("cart_recovery", 2)
    assert load_settings(tmp_path / "missing.yml") == Settings()
    bad = tmp_path / "bad.yml"
    for text, message in (
            ("min_audience_size: 0\n", "whole number >= 1"),
            ("priority_lists: {a: [x, y], b: [y]}\n", "one list each"),
            ("priority_list: {}\n", "unknown keys"),
            ("priority_lists: {a: x}\n", "must be a list")):
        bad.write_text(text)
        with pytest.raises(SettingsError, match=message):
            load_settings(bad)


def test_priority_list_over_two_segments(tmp_path):
    serving, out = tmp_path / "serving.duckdb", tmp_path / "out"
    _serving(serving)
    export_destinations(serving, out, ["email"], Settings(
        min_audience_size=1, priority_lists={"p": ("offer", "winback")}))
    assert _manifest(out, "email")["winback"]["count_left_out_priority"] == "1"
    assert "ann.lee@gmail.com" not in {r["email"] for r in _csv(out / "email" / "winback.csv")}
    assert [r["email"] for r in _csv(out / "email" / "offer.csv")] == ["ann.lee@gmail.com"]
