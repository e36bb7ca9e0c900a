"""pii_phone_numbers' table: E.164 per customer, a known phone and country not parsed again."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd
import phonenumbers

from segmart.identity import phones
from segmart.identity.phones import PHONE_KEY_SQL, phone_numbers_table, previous_table


def _customers(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "phone", "country"], dtype="object")
    with duckdb.connect() as con:
        con.register("frame", frame)
        return con.execute(f"select *, {PHONE_KEY_SQL} as phone_key from frame").df()


def _e164(table: pd.DataFrame) -> list[str | None]:
    return [None if pd.isna(value) else value for value in table["phone_e164"]]


def test_known_phones_take_their_stored_parse_and_new_ones_are_parsed(monkeypatch):
    first = _customers([("a", "020 7946 0000", "GB"), ("b", "not a phone", "GB"),
                        ("c", "020 7946 0000", "gb ")])
    built = phone_numbers_table(first)
    assert _e164(built) == ["+442079460000", None, "+442079460000"]
    assert built["has_invalid_phone"].tolist() == [False, True, False]
    # the same phone of the same country is one key, however the country is written
    assert built.loc[0, "phone_key"] == built.loc[2, "phone_key"]

    parsed = []
    real = phones.phone_e164
    monkeypatch.setattr(phones, "phone_e164",
                        lambda phone, country: parsed.append(phone) or real(phone, country))
    later = _customers([("a", "020 7946 0000", "GB"), ("b", "020 7946 0001", "GB"),
                        ("d", "020 7946 0000", "GB"), ("e", "020 7946 0000", "FR")])
    again = phone_numbers_table(later, previous=built)
    # b changed its phone and e has the number in another country: only those are parsed
    assert parsed == ["020 7946 0001", "020 7946 0000"]
    assert again["user_id"].tolist() == ["a", "b", "d", "e"]
    assert _e164(again) == ["+442079460000", "+442079460001",
                                            "+442079460000", None]


def test_a_previous_table_without_keys_or_none_at_all_parses_everything():
    customers = _customers([("a", "+44 20 7946 0000", None)])
    old = pd.DataFrame({"user_id": ["a"], "phone_e164": ["+440000000000"],
                        "has_invalid_phone": [False]})
    assert _e164(phone_numbers_table(customers, previous=old)) == [
        "+442079460000"]
    with duckdb.connect() as con:
        assert previous_table(con, "pii.pii_phone_numbers") is None
        con.execute("create table t as select 1 as x")
        assert previous_table(con, "t")["x"].tolist() == [1]


def test_no_phones_give_typed_empty_columns():
    empty = phone_numbers_table(_customers([]))
    assert empty.empty
    assert str(empty["phone_e164"].dtype) == "string" and empty["has_invalid_phone"].dtype == bool


def test_the_calling_code_seed_is_the_installed_phonenumbers_metadata():
    """The erasure reads national phones with seeds/country_calling_codes.csv; a phonenumbers
    upgrade that changes a code or trunk prefix must regenerate it."""
    seed = Path(__file__).resolve().parents[2] / "seeds" / "country_calling_codes.csv"
    expected = io.StringIO()
    phones.write_calling_codes(expected)
    assert seed.read_text() == expected.getvalue(), (
        "seeds/country_calling_codes.csv differs from phonenumbers' metadata; regenerate it: "
        "python -m segmart.identity.phones > seeds/country_calling_codes.csv")


def test_dropping_the_trunk_prefix_gives_the_parsers_e164_in_almost_every_region():
    """The rule of national_phone_e164 (the calling code, then the digits without the trunk
    prefix; the macro itself is checked by assert_macros_behave) against phonenumbers' E.164
    for the national form of each region's example mobile: docs/personal-data.md names the
    regions where it falls short."""
    rows = []
    for country, code, prefix in phones.calling_code_rows():
        example = phonenumbers.example_number_for_type(
            country, phonenumbers.PhoneNumberType.MOBILE)
        if example is None:
            continue
        national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
        e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        rows.append((country, national, e164, code, prefix or None))
    frame = pd.DataFrame(rows, columns=["country", "phone", "e164", "code", "prefix"])
    digits = "regexp_replace(trim(phone), '[^0-9]', '', 'g')"
    with duckdb.connect() as con:
        con.register("frame", frame)
        read = con.execute(f"""
            select country, e164, '+' || code || case
                when prefix <> '' and {digits} like prefix || '%'
                    then substr({digits}, length(prefix) + 1)
                else {digits} end as read
            from frame""").df()
    wrong = read[read["read"] != read["e164"]]
    assert len(read) > 200
    assert set(wrong["country"]) == {"AR", "BY"}, wrong
