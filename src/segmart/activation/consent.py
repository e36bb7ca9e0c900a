"""Consent gating per destination.

The CRM's consent per purpose is resolved in `pii.pii_customers` (the latest decision per
purpose wins; a withdrawal wins a tie; `marketing_consent` fills in for a purpose column
that a row lacks) into one state per purpose: 'granted', 'denied', 'unknown' (a value the
CRM sent that is not a consent value; flagged in data_quality) or None (never stated).

A destination needs every purpose it lists granted:
- ad platforms (Google Customer Match, Meta Custom Audiences): `ad_user_data` AND
  `ad_personalization` (Google's consent mode v2 purposes);
- the e-mail tool: `email_marketing`.

A purpose never stated (None) counts as granted only for the ad purposes of a person
outside the EEA, the UK and Switzerland (where Google's EU user consent policy applies);
inside them, or when the country is unknown, it is not granted. `email_marketing` is never
assumed: it must be granted. 'unknown' and 'denied' are never granted.
"""

from __future__ import annotations

PURPOSES = ("email_marketing", "ad_user_data", "ad_personalization")

#: EU 27, the EEA's Iceland, Liechtenstein and Norway, the United Kingdom and Switzerland.
CONSENT_REQUIRED_COUNTRIES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "IS", "LI", "NO", "GB", "CH",
})
#: purposes that may be assumed granted when never stated, outside CONSENT_REQUIRED_COUNTRIES
ASSUMABLE_PURPOSES = frozenset({"ad_user_data", "ad_personalization"})


def requires_explicit_consent(country: str | None) -> bool:
    """True in the EEA, the UK and Switzerland, and when the country is unknown."""
    if not country:
        return True
    code = str(country).strip().upper()
    return code == "UK" or code in CONSENT_REQUIRED_COUNTRIES


def is_granted(purpose: str, state: str | None, country: str | None) -> bool:
    """Whether one purpose may be used for a person in `country`."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}; one of {', '.join(PURPOSES)}")
    if state == "granted":
        return True
    if state is None or (isinstance(state, float) and state != state):
        return purpose in ASSUMABLE_PURPOSES and not requires_explicit_consent(country)
    return False


def may_export(purposes: tuple[str, ...], states: dict[str, str | None],
               country: str | None) -> tuple[bool, str | None]:
    """(allowed, reason): the first purpose not granted names the reason, e.g.
    'consent_ad_user_data_denied', 'consent_email_marketing_missing'."""
    for purpose in purposes:
        state = states.get(purpose)
        if not is_granted(purpose, state, country):
            kind = "missing" if state is None or state != state else state
            return False, f"consent_{purpose}_{kind}"
    return True, None
