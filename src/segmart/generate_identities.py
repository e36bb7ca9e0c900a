"""The generator's planted CRM identities (issue 27): extra records of existing customers,
and near-misses that must stay apart, drawn from their own random stream so that adding
them changes nothing else the generator writes.

Duplicates (new id ``g<original number>``, one kind each, about equally common):
``email_case`` (the e-mail in another case with whitespace, the phone in the other format or
missing), ``name_typo_same_phone`` (one edit in a name, the same phone in the other format,
a personal e-mail, same address), ``guest_checkout`` (the e-mail, maybe in another case, the
names, no phone or the same one, a later sign-up, no consent stated) and ``migration`` (every
field equal up to whitespace, a later update). Near-misses (new id ``m<original number>``):
``namesake`` (the same names in another city and postal code, another e-mail and phone,
mostly another birth year) and ``family_member`` (the same last name and address, another
first name, e-mail and phone). None of them has events or orders.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa

from segmart.generate_contacts import BAD_PHONES, FIRST_NAMES, phone_for

DUPLICATE_KINDS = ("email_case", "name_typo_same_phone", "guest_checkout", "migration")
NEAR_MISS_KINDS = ("namesake", "family_member")
RECORD_KINDS = ("original",) + DUPLICATE_KINDS + NEAR_MISS_KINDS
CITIES = ("Springfield", "Riverside", "Lakeside", "Hillview", "Portside")
#: the demo's GB customers all live at SW1A 1AA; a namesake elsewhere in GB gets one of these
GB_POSTCODES = ("M1 1AE", "EH1 1YZ", "B33 8TH", "CR2 6XH", "LS1 4AP", "CF10 1EP")
MAIL_DOMAINS = ("mail.example", "post.example", "inbox.example")
CONSENT_COLUMNS = ("marketing_consent", "consent_updated_at",
                   "consent_email_marketing", "consent_email_marketing_updated_at",
                   "consent_ad_user_data", "consent_ad_user_data_updated_at",
                   "consent_ad_personalization", "consent_ad_personalization_updated_at")


def other_phone_format(phone: str | None, country: str) -> str | None:
    """The same number written the other way (national <-> E.164); None when it is no
    valid number (missing, or one of the CRM's bad values)."""
    if phone is None or phone in BAD_PHONES:
        return None
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    wanted = (phonenumbers.PhoneNumberFormat.NATIONAL if phone.startswith("+")
              else phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(number, wanted)


def typo(name: str, rng: np.random.Generator) -> str:
    """One edit (swap two neighbours, drop or replace a letter) after the first letter, so
    the name stays capitalised; always different from ``name``."""
    letters = [i for i in range(1, len(name)) if name[i].isalpha()]
    if not letters:
        return name + "e"
    for _ in range(20):
        i = int(rng.choice(letters))
        edit = int(rng.integers(0, 3))
        if edit == 0 and i + 1 < len(name) and name[i + 1].isalpha():
            out = name[:i] + name[i + 1] + name[i] + name[i + 2:]
        elif edit == 1 and len(name) > 2:
            out = name[:i] + name[i + 1:]
        else:
            out = name[:i] + chr(ord("a") + int(rng.integers(0, 26))) + name[i + 1:]
        if out != name:
            return out
    return name[:-1] if len(name) > 2 else name + "e"


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def personal_email(first: str, last: str, number: int, rng: np.random.Generator,
                   initial: bool = False) -> str:
    """A personal address, never one of the shop's ``u<number>@example.com``. The person
    number makes it unique; near-misses write the first name as an initial (``initial``),
    so a namesake's address never equals a duplicate's."""
    given = _slug(first)[:1] if initial else _slug(first) + "."
    return f"{given}{_slug(last)}{number}@{rng.choice(MAIL_DOMAINS)}"


def recase(email: str, rng: np.random.Generator) -> str:
    """The e-mail in another case (always at least one letter upper-cased)."""
    style = int(rng.integers(0, 3))
    if style == 0:
        return email.upper()
    if style == 1:
        local, _, domain = email.partition("@")
        return local.capitalize() + ("@" + domain.capitalize() if domain else "")
    out = "".join(c.upper() if rng.random() < 0.4 else c for c in email)
    return out if out != email else email.capitalize()


def pad(text: str, rng: np.random.Generator) -> str:
    """Whitespace around a value, as a hand-typed or exported field has."""
    return " " * int(rng.integers(0, 3)) + text + " " * int(rng.integers(1, 3))


def _other_number(number: int, country: str, rng: np.random.Generator) -> str:
    """Another human's phone, in either format, that no customer has."""
    national, e164 = phone_for(country, number, other=True)
    return national if rng.random() < 0.6 else e164


def _other_postcode(postcode: str | None, country: str, rng: np.random.Generator) -> str:
    """A postal code that is not ``postcode``."""
    if country == "GB":
        return str(rng.choice(GB_POSTCODES))
    code = postcode
    while code == postcode:
        code = f"{int(rng.integers(10000, 99999)):05d}"
    return code


def _later(start: pd.Timestamp, end: pd.Timestamp, rng: np.random.Generator) -> pd.Timestamp:
    """A time between ``start`` and ``end`` (``end`` excluded), to the millisecond."""
    span = max(int((end - start) / pd.Timedelta(milliseconds=1)), 1)
    return start + pd.Timedelta(milliseconds=int(rng.integers(1, span + 1)) - 1)


def identity_records(seed: int, chunk_key: int, originals: pa.Table, numbers: np.ndarray,
                     eligible: np.ndarray, duplicate_share: float, near_miss_share: float,
                     end: pd.Timestamp) -> tuple[pa.Table, pa.Table]:
    """The planted records for one chunk (same schema as ``originals``) and their truth.

    ``originals`` holds one current record per customer, ``numbers`` their person numbers;
    only ``eligible`` customers (not erased) get a duplicate or a near-miss. The truth has
    one row per planted record: user_id, person_id, record_kind, near_miss_of.
    """
    rng = np.random.default_rng([seed, 27, chunk_key])
    n = originals.num_rows
    duplicated = eligible & (rng.random(n) < duplicate_share)
    near = eligible & (rng.random(n) < near_miss_share)
    kind_draw = rng.integers(0, 12, n)
    truth_columns = ("user_id", "person_id", "record_kind", "near_miss_of")
    if not (duplicated | near).any():
        return originals.slice(0, 0), _truth_table([], truth_columns)
    chosen = np.flatnonzero(duplicated | near)
    rows, truth = [], []
    for i, source in zip(chosen, originals.take(pa.array(chosen)).to_pylist(), strict=True):
        country = str(source["country"])
        same_phone = other_phone_format(source["phone"], country)
        if duplicated[i]:
            # a customer without a valid phone cannot be a same-phone duplicate
            kinds = DUPLICATE_KINDS if same_phone else tuple(
                k for k in DUPLICATE_KINDS if k != "name_typo_same_phone")
            kind = kinds[kind_draw[i] % len(kinds)]
            rows.append(_duplicate(kind, source, same_phone, int(numbers[i]), end, rng))
            truth.append((rows[-1]["user_id"], source["user_id"], kind, None))
        if near[i]:
            kind = NEAR_MISS_KINDS[kind_draw[i] % 2]
            rows.append(_near_miss(kind, source, int(numbers[i]), end, rng))
            truth.append((rows[-1]["user_id"], rows[-1]["user_id"], kind, source["user_id"]))
    table = pa.Table.from_pylist(rows, schema=originals.schema)
    return table, _truth_table(truth, truth_columns)


def _truth_table(rows: list[tuple], columns: tuple[str, ...]) -> pa.Table:
    return pa.table({name: pa.array([row[k] for row in rows], pa.string())
                     for k, name in enumerate(columns)})


def _duplicate(kind: str, source: dict, same_phone: str | None, number: int,
               end: pd.Timestamp, rng: np.random.Generator) -> dict:
    record = dict(source, user_id=f"g{number:08d}")
    signup = pd.Timestamp(source["signup_at"])
    if kind == "migration":
        # the old shop's record carried over: the sign-up is kept, the update is new
        for column in ("email", "first_name", "last_name", "city"):
            if record[column] is not None and rng.random() < 0.3:
                record[column] = pad(record[column], rng)
        record["updated_at"] = _later(pd.Timestamp(source["updated_at"]), end, rng)
        return record
    record["signup_at"] = record["updated_at"] = _later(signup, end, rng)
    for column in CONSENT_COLUMNS:
        if column.endswith("_updated_at"):
            record[column] = record["signup_at"]
    if kind == "email_case":
        record["email"] = pad(recase(source["email"], rng), rng)
        record["phone"] = same_phone if rng.random() < 0.6 else None
    elif kind == "name_typo_same_phone":
        column = "first_name" if rng.random() < 0.5 else "last_name"
        record[column] = typo(source[column], rng)
        record["phone"] = same_phone
        record["email"] = personal_email(record["first_name"], record["last_name"], number, rng)
    elif kind == "guest_checkout":
        if rng.random() < 0.5:
            record["email"] = recase(source["email"], rng)
        record["phone"] = None if rng.random() < 0.5 else source["phone"]
        for column in CONSENT_COLUMNS:
            record[column] = None
        record["income_band"] = record["occupation"] = None
    return record


def _near_miss(kind: str, source: dict, number: int, end: pd.Timestamp,
               rng: np.random.Generator) -> dict:
    """Another human who shares names or an address with ``source``."""
    country = str(source["country"])
    record = dict(source, user_id=f"m{number:08d}")
    record["phone"] = _other_number(number, country, rng)
    record["signup_at"] = _later(end - pd.Timedelta(days=365), end, rng)
    for column in ("updated_at", "consent_updated_at", "consent_email_marketing_updated_at",
                   "consent_ad_user_data_updated_at", "consent_ad_personalization_updated_at"):
        record[column] = record["signup_at"]
    record["gender"] = str(rng.choice(["female", "male"]))
    # their own consent, stated when they signed up
    record["marketing_consent"] = bool(rng.random() < 0.7)
    record["consent_email_marketing"] = "granted" if record["marketing_consent"] else "denied"
    for purpose in ("consent_ad_user_data", "consent_ad_personalization"):
        record[purpose] = "granted" if rng.random() < 0.7 else "denied"
    birth_year = int(source["birth_year"])
    if kind == "namesake":
        record["city"] = str(rng.choice([c for c in CITIES if c != source["city"]]))
        record["postal_code"] = _other_postcode(source["postal_code"], country, rng)
        if rng.random() < 0.9:
            birth_year = int(rng.choice([y for y in range(1950, 2006) if y != birth_year]))
    else:
        record["first_name"] = str(rng.choice(
            [f for f in FIRST_NAMES if f != source["first_name"]]))
        # a partner of about the same age, or a child or parent a generation apart
        offset = int(rng.choice([-30, -28, -25, -3, -1, 2, 4, 26, 29]))
        birth_year = min(max(birth_year + offset, 1930), 2008)
    record["birth_year"] = birth_year
    record["email"] = personal_email(record["first_name"], record["last_name"], number, rng,
                                     initial=True)
    return record
