"""Normalise and hash identifiers the way each destination documents it.

Every ad platform matches an UNSALTED SHA-256 (lower-case hex) of an identifier normalised
by its own rules; a salted hash (the marts' `email_sha256`) matches nothing. The rules,
with where they are written down (looked up 2026-12):

Google Ads Customer Match (`google_customer_match`)
    Sources: Google Ads Help "Customer Match data file formatting guidelines"
    (support.google.com/google-ads/answer/7659867): CSV headers exactly `Email`, `Phone`,
    `First Name`, `Last Name`, `Country`, `Zip`, hashed with SHA-256 or left to Google;
    Google Ads API "Normalize and hash user-provided data"
    (developers.google.com/google-ads/api/docs/conversions/enhance-conversions): remove
    leading and trailing whitespace, convert to lower case, phone numbers in E.164, and for
    gmail.com and googlemail.com addresses remove every period before the domain; Google
    Ads API `OfflineUserAddressInfo`: first name "lowercase all characters; remove any extra
    spaces before, after, and in between", last name "lower case only and no punctuation",
    country a 2-letter ISO-3166-1 alpha-2 code, postal code in clear; the same page and
    Display & Video 360's "Prepare user data" say Country and Zip are NOT hashed.
    So: Email  trim, lower, gmail/googlemail dots removed (a `+tag` is kept: Google does
                not say to drop it), SHA-256.
        Phone  E.164 with `+` and country code (phonenumbers, CRM country as the default
               region), SHA-256.
        First Name / Last Name  NFC, lower, punctuation removed, inner spaces collapsed,
               trimmed; accents kept (Google accepts them), SHA-256.
        Country  ISO alpha-2, upper case, clear.   Zip  trimmed, upper case, clear.

Meta Custom Audiences (`meta_custom_audience`)
    Sources: Meta Marketing API "Customer File Custom Audiences", section "Hashing and
    normalizing data" (developers.facebook.com/docs/marketing-api/audiences/guides/
    custom-audiences); Meta Business Help Centre "How to format a customer list"
    (facebook.com/business/help/2082575038703844): keys `email`, `phone`, `fn`, `ln`, `zip`,
    `ct`, `st`, `country`; every one SHA-256 hashed.
    email    trim leading and trailing whitespace, lower case.
    phone    remove symbols, letters and leading zeros; must include the country code
             (published examples "1-234-567-8910" and "+44 844 412 4653"): the E.164 digits
             without `+`.
    fn, ln   "a-z only, lower case, no punctuation; special characters in UTF-8": lower
             case, only letters kept (accented letters kept, as UTF-8).
    ct       lower case, no punctuation, no special characters, no white space: accents
             folded to a-z, only a-z kept.
    st       2-character ANSI code for US states, lower case; elsewhere lower case, no
             punctuation, special characters or white space (as ct).
    zip      lower case, no white space and no dash; US: the first 5 digits.
    country  ISO 3166-1 alpha-2, lower case.

E-mail tool (`email`)
    The address itself (trimmed, lower case), for an ESP such as Mailchimp or Braze, and the
    first name as written.

An e-mail is valid when it has exactly one `@` with something on both sides and no white
space (the CRM check; `pii_customers.has_invalid_email`). A phone is valid when
`phonenumbers` parses it with the CRM country as the default region and says the number
is valid. An invalid value is left out (empty), never guessed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import phonenumbers

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
GOOGLE_DOT_DOMAINS = ("gmail.com", "googlemail.com")


def sha256_hex(value: str | None) -> str | None:
    """Unsalted SHA-256 (lower-case hex) of the UTF-8 text; None stays None."""
    if value is None or value == "":
        return None
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # pandas NaN
        return None
    text = str(value).strip()
    return text or None


def is_valid_email(value) -> bool:
    text = _text(value)
    return text is not None and EMAIL_PATTERN.match(text) is not None


def email_plain(value) -> str | None:
    """Trimmed, lower-cased address; None when it is not an address (no `@`, spaces)."""
    text = _text(value)
    if text is None or not is_valid_email(text):
        return None
    return text.lower()


def email_google(value) -> str | None:
    """Google: trim, lower; dots before the domain removed for gmail.com/googlemail.com."""
    email = email_plain(value)
    if email is None:
        return None
    local, domain = email.split("@")
    if domain in GOOGLE_DOT_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def email_meta(value) -> str | None:
    """Meta: trim, lower."""
    return email_plain(value)


def phone_e164(value, country) -> str | None:
    """E.164 (`+<country code><number>`), the CRM country as the default region for a
    number written without one; None when phonenumbers cannot make a valid number of it."""
    text = _text(value)
    if text is None:
        return None
    region = (_text(country) or "").upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_meta(e164: str | None) -> str | None:
    """Meta: digits only with the country code, no `+` and no leading zeros."""
    if not e164:
        return None
    digits = re.sub(r"\D", "", e164).lstrip("0")
    return digits or None


def _without_punctuation(text: str) -> str:
    return "".join(c for c in text if not unicodedata.category(c).startswith(("P", "S")))


def name_google(value) -> str | None:
    """Google: NFC, lower case, no punctuation, inner white space collapsed, trimmed."""
    text = _text(value)
    if text is None:
        return None
    text = _without_punctuation(unicodedata.normalize("NFC", text).lower())
    text = " ".join(text.split())
    return text or None


def name_meta(value) -> str | None:
    """Meta fn/ln: lower case, letters only (accented letters kept in UTF-8)."""
    text = _text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(c for c in text if unicodedata.category(c).startswith("L"))
    return text or None


def ascii_letters(value) -> str | None:
    """Meta ct/st: accents folded, lower case, a-z only."""
    text = _text(value)
    if text is None:
        return None
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"[^a-z]", "", folded)
    return folded or None


def zip_google(value) -> str | None:
    """Google Zip (clear): trimmed, upper case."""
    text = _text(value)
    return text.upper() if text else None


def zip_meta(value, country) -> str | None:
    """Meta zip: lower case, no white space or dash; US: the first 5 digits."""
    text = _text(value)
    if text is None:
        return None
    text = re.sub(r"[\s-]", "", text.lower())
    if (_text(country) or "").upper() == "US":
        text = re.sub(r"\D", "", text)[:5]
    return text or None


def country_code(value) -> str | None:
    """ISO 3166-1 alpha-2 as two upper-case letters, else None."""
    text = _text(value)
    if text is None or not re.fullmatch(r"[A-Za-z]{2}", text):
        return None
    return text.upper()
