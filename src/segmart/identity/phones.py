"""pii_phone_numbers: every CRM phone in E.164, parsed once.

phonenumbers is the slow part of a build that changes nothing (tens of microseconds a
phone, a CRM of a million records). Each row keeps `phone_key`, a hash of the phone and
country as delivered, so the next build parses only the pairs it has not seen.
"""

from __future__ import annotations

import csv
import sys
from importlib import metadata

import duckdb
import pandas as pd
import phonenumbers

from segmart.activation.normalise import phone_e164

#: raise when phone_e164 parses otherwise: the key changes, so every phone is parsed again
PARSE_VERSION = 1
#: DuckDB expression of phone_key over the columns phone and country. chr(31) is in neither,
#: so two pairs never give one text; the phonenumbers version is in it, so an upgrade, whose
#: metadata may parse a number otherwise, parses every phone again.
PHONE_KEY_SQL = (f"sha256('{PARSE_VERSION}/{metadata.version('phonenumbers')}' || chr(31)"
                 " || coalesce(upper(trim(country)), '') || chr(31) || phone)")
COLUMNS = ("user_id", "phone_key", "phone_e164", "has_invalid_phone")


def previous_table(connection: duckdb.DuckDBPyConnection, relation: str) -> pd.DataFrame | None:
    """The previous build's rows, or None on the first build (no table yet)."""
    try:
        return connection.execute(f"select * from {relation}").df()
    except duckdb.CatalogException:
        return None


def phone_numbers_table(customers: pd.DataFrame,
                        previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer (columns user_id, phone, country, phone_key) with its phone in
    E.164, null when invalid. A phone_key found in `previous` (an earlier result) takes
    its stored parse; only the other distinct (phone, country) pairs are parsed."""
    known = pd.DataFrame({"phone_key": pd.Series(dtype="string"),
                          "phone_e164": pd.Series(dtype="string")})
    if previous is not None and set(COLUMNS) <= set(previous.columns):
        known = previous[["phone_key", "phone_e164"]].drop_duplicates("phone_key")
    # one merge finds both the known parses and the keys to parse (isin on text is slower)
    out = customers[["user_id", "phone_key", "phone", "country"]].merge(
        known.astype({"phone_key": "string"}), on="phone_key", how="left", indicator=True)
    unseen = out["_merge"] == "left_only"
    todo = out.loc[unseen, ["phone_key", "phone", "country"]].drop_duplicates("phone_key")
    parsed = dict(zip(todo["phone_key"], (phone_e164(phone, country) for phone, country
                                          in zip(todo["phone"], todo["country"], strict=True)),
                      strict=True))
    out["phone_e164"] = out["phone_e164"].astype("object")
    out.loc[unseen, "phone_e164"] = out.loc[unseen, "phone_key"].map(parsed)
    out["has_invalid_phone"] = out["phone_e164"].isna()
    # typed, so that a CRM without phones still gives text columns, not untyped ones
    return out[list(COLUMNS)].astype({"user_id": "string", "phone_key": "string",
                                      "phone_e164": "string", "has_invalid_phone": "bool"})


CALLING_CODE_COLUMNS = ("country", "calling_code", "national_prefix")


def calling_code_rows() -> list[tuple[str, str, str]]:
    """Per region phonenumbers knows: its calling code and trunk prefix ('' when its
    national numbers have none). The rows of seeds/country_calling_codes.csv, so that SQL
    can read a nationally written phone of a known country internationally."""
    rows = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        found = phonenumbers.PhoneMetadata.metadata_for_region(region)
        rows.append((region, str(found.country_code), found.national_prefix or ""))
    return rows


def write_calling_codes(out) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CALLING_CODE_COLUMNS)
    writer.writerows(calling_code_rows())


if __name__ == "__main__":
    # python -m segmart.identity.phones > seeds/country_calling_codes.csv
    write_calling_codes(sys.stdout)
