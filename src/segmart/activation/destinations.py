"""The destinations: the columns each one takes, the consent it needs, and each person's row.

The normalisation rules, with their sources, are in `segmart.activation.normalise`; the
consent rules in `segmart.activation.consent`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from segmart.activation import normalise as n

ADS = ("ad_user_data", "ad_personalization")


@dataclass(frozen=True)
class Contact:
    """One customer's identifiers as the pii schema holds them (phone already E.164)."""

    user_id: str
    email: str | None
    has_invalid_email: bool
    phone: str | None
    phone_e164: str | None
    first_name: str | None
    last_name: str | None
    postal_code: str | None
    city: str | None
    region: str | None
    country: str | None
    consents: dict[str, str | None]


@dataclass(frozen=True)
class Destination:
    name: str
    columns: tuple[str, ...]
    purposes: tuple[str, ...]
    row: Callable[[Contact, str], dict[str, str | None]]
    # a row is usable when any of these column groups is complete
    requires_any_of: tuple[tuple[str, ...], ...]


def _google(contact: Contact, segment: str) -> dict[str, str | None]:
    return {
        "Email": n.sha256_hex(n.email_google(contact.email)),
        "Phone": n.sha256_hex(contact.phone_e164),
        "First Name": n.sha256_hex(n.name_google(contact.first_name)),
        "Last Name": n.sha256_hex(n.name_google(contact.last_name)),
        "Country": n.country_code(contact.country),
        "Zip": n.zip_google(contact.postal_code),
    }


def _meta(contact: Contact, segment: str) -> dict[str, str | None]:
    country = n.country_code(contact.country)
    return {
        "email": n.sha256_hex(n.email_meta(contact.email)),
        "phone": n.sha256_hex(n.phone_meta(contact.phone_e164)),
        "fn": n.sha256_hex(n.name_meta(contact.first_name)),
        "ln": n.sha256_hex(n.name_meta(contact.last_name)),
        "zip": n.sha256_hex(n.zip_meta(contact.postal_code, country)),
        "ct": n.sha256_hex(n.ascii_letters(contact.city)),
        "st": n.sha256_hex(n.ascii_letters(contact.region)),
        "country": n.sha256_hex(country.lower() if country else None),
    }


def _email(contact: Contact, segment: str) -> dict[str, str | None]:
    first = (contact.first_name or "").strip() or None
    return {"email": n.email_plain(contact.email), "first_name": first, "segment": segment}


DESTINATIONS: dict[str, Destination] = {
    "google_customer_match": Destination(
        "google_customer_match",
        ("Email", "Phone", "First Name", "Last Name", "Country", "Zip"),
        ADS, _google,
        (("Email",), ("Phone",), ("First Name", "Last Name", "Country", "Zip"))),
    "meta_custom_audience": Destination(
        "meta_custom_audience",
        ("email", "phone", "fn", "ln", "zip", "ct", "st", "country"),
        ADS, _meta,
        (("email",), ("phone",), ("fn", "ln", "zip", "country"))),
    "email": Destination(
        "email", ("email", "first_name", "segment"), ("email_marketing",), _email,
        (("email",),)),
}


def identifier_problem(destination: Destination, contact: Contact,
                       row: dict[str, str | None]) -> str | None:
    """None when the row can be matched; else why not: invalid_email, invalid_phone or
    no_identifier (nothing usable was delivered)."""
    if any(all(row.get(c) for c in group) for group in destination.requires_any_of):
        return None
    if contact.email and contact.has_invalid_email:
        return "invalid_email"
    if contact.phone and not contact.phone_e164 and destination.name != "email":
        return "invalid_phone"
    return "no_identifier"
