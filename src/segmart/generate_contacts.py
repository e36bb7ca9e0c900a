"""The generator's CRM contact and consent columns (issue 22), drawn from their own random
stream so that adding them changes nothing else the generator writes.

Per customer: a phone (national or international format, valid for the country), first and
last names (some with accents and punctuation), a postal code, a region for US customers,
and consent per purpose (`granted` / `denied`, some never stated) with its time. About
`bad_rate` of them get a phone that is no number, an e-mail without `@`, or a consent value
that means nothing: the CRM's real mistakes, which the build keeps and flags.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import phonenumbers

FIRST_NAMES = np.array(["Anna", "José", "Zoë", "Mary-Jane", "Björn", "Léa", "Tom", "Priya",
                        "Yuki", "João", "Sean", "Chloé"])
LAST_NAMES = np.array(["Smith", "Müller", "O'Brien", "García", "Nguyen", "Sato", "da Silva",
                       "Kowalski", "Jones", "Dubois"])
US_STATES = np.array(["CA", "NY", "TX", "WA", "IL"])
BAD_PHONES = np.array(["12", "n/a", "+999 123", "000000"])
UNKNOWN_CONSENT = "maybe"


@cache
def _number_plan(country: str) -> tuple[str, str, int]:
    """The country's example mobile number (national and E.164 text) and how many of its
    last digits can vary freely: the most, up to 7, for which every sampled variant is a
    valid number."""
    example = phonenumbers.example_number_for_type(
        country, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    check = np.random.default_rng(22)
    for free in range(min(7, len(national) - 2), 1, -1):
        tails = check.integers(0, 10 ** free, 40)
        if all(phonenumbers.is_valid_number(phonenumbers.parse(
                f"+{example.country_code}{national[:-free]}{tail:0{free}d}")) for tail in tails):
            break
    return (phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL),
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164), free)


def _with_tail(text: str, tail: str) -> str:
    """text with its last len(tail) digits replaced by tail (spacing kept)."""
    chars = list(text)
    position = len(chars)
    for digit in reversed(tail):
        position -= 1
        while not chars[position].isdigit():
            position -= 1
        chars[position] = digit
    return "".join(chars)


def phone_for(country: str, number: int, other: bool = False) -> tuple[str, str]:
    """A valid phone of the country, national and E.164, for a person number; `other` gives
    another human's phone for the same number (a namesake's). Distinct numbers below
    10**free / 2 give distinct phones (multiplying by a number prime to 10 is a bijection
    modulo a power of ten), so customers do not share phones by accident."""
    national, e164, free = _number_plan(country)
    if other:
        number = 10 ** free - 1 - number
    tail = f"{(number * 7_919 + 13) % 10 ** free:0{free}d}"
    return _with_tail(national, tail), _with_tail(e164, tail)


def contact_columns(seed: int, chunk_key: int, countries: np.ndarray, consent: np.ndarray,
                    signup: np.ndarray, emails: np.ndarray, keep_email: np.ndarray,
                    bad_rate: float, people: np.ndarray) -> dict[str, np.ndarray]:
    """The new CRM columns for one chunk of customers (and the e-mails, some made bad)."""
    rng = np.random.default_rng([seed, 22, chunk_key])
    n = len(countries)
    phones = np.empty(n, dtype=object)
    written_national = rng.random(n) < 0.6
    rng.integers(0, 1_000_000, n)  # drawn as before, so that later draws stay the same
    for i, country in enumerate(countries):
        national, e164 = phone_for(str(country), int(people[i]))
        phones[i] = national if written_national[i] else e164
    phones[rng.random(n) < 0.1] = None
    bad = rng.random((3, n)) < bad_rate
    phones[bad[0]] = rng.choice(BAD_PHONES, int(bad[0].sum()))
    emails = emails.astype(object).copy()
    bad_email = bad[1] & keep_email
    emails[bad_email] = [e.replace("@", " at ") for e in emails[bad_email]]

    def purpose(granted_share: float, missing_share: float) -> np.ndarray:
        draw = rng.random(n)
        values = np.where(draw < granted_share, "granted", "denied").astype(object)
        values[draw > 1 - missing_share] = None
        return values

    email_marketing = np.where(consent, "granted", "denied").astype(object)
    ad_user_data = purpose(0.75, 0.10)
    ad_personalization = purpose(0.70, 0.10)
    ad_personalization[bad[2]] = UNKNOWN_CONSENT
    postal = np.array([f"{z:05d}" for z in rng.integers(10000, 99999, n)], dtype=object)
    postal[countries == "GB"] = "SW1A 1AA"
    region = np.where(countries == "US", rng.choice(US_STATES, n), None)
    return {
        "email": emails,
        "phone": phones,
        "first_name": rng.choice(FIRST_NAMES, n),
        "last_name": rng.choice(LAST_NAMES, n),
        "postal_code": postal,
        "region": region,
        "consent_email_marketing": email_marketing,
        "consent_email_marketing_updated_at": signup,
        "consent_ad_user_data": ad_user_data,
        "consent_ad_user_data_updated_at": signup,
        "consent_ad_personalization": ad_personalization,
        "consent_ad_personalization_updated_at": signup,
    }
