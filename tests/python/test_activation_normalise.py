"""Every normaliser and every consent case of segmart.activation, with the platforms'
published examples where they give some."""

from __future__ import annotations

import hashlib

import pytest

from segmart.activation import consent, normalise


def test_sha256_is_unsalted_lower_hex():
    # X (Twitter) Ads' published example: sha256("adsapi")
    assert normalise.sha256_hex("adsapi") == (
        "49e0be2aeccfb51a8dee4c945c8a70a9ac500cf6f5cb08112575f74db9b1470d")
    assert normalise.sha256_hex(None) is None and normalise.sha256_hex("") is None


@pytest.mark.parametrize(("raw", "google", "meta"), [
    ("  John.Doe@Example.COM ", "john.doe@example.com", "john.doe@example.com"),
    ("Jane.Doe+news@GMAIL.com", "janedoe+news@gmail.com", "jane.doe+news@gmail.com"),
    ("j.o.e@googlemail.com", "joe@googlemail.com", "j.o.e@googlemail.com"),
    ("first.last@gmail.co.uk", "first.last@gmail.co.uk", "first.last@gmail.co.uk"),
    ("no-at-sign.example.com", None, None),
    ("two@@example.com", None, None),
    ("has space@example.com", None, None),
    ("", None, None),
    (None, None, None),
])
def test_email_rules(raw, google, meta):
    assert normalise.email_google(raw) == google
    assert normalise.email_meta(raw) == meta
    assert normalise.is_valid_email(raw) == (meta is not None)


@pytest.mark.parametrize(("raw", "country", "e164"), [
    # Meta's published examples ("1-234-567-8910" is not a real US number, so a real one)
    ("+44 844 412 4653", None, "+448444124653"),
    ("+44 844 412 4653", "US", "+448444124653"),
    ("020 7946 0000", "GB", "+442079460000"),
    ("(201) 555-0123", "US", "+12015550123"),
    ("1-201-555-0123", "US", "+12015550123"),
    ("+1 201 555 0123", "DE", "+12015550123"),
    ("030 123456", "DE", "+4930123456"),
    ("0049 30 123456", "DE", "+4930123456"),
    ("020 7946 0000", None, None),        # no country code and no country
    ("12", "GB", None),
    ("n/a", "US", None),
    ("+999 123", None, None),
    (None, "GB", None),
])
def test_phone_to_e164(raw, country, e164):
    assert normalise.phone_e164(raw, country) == e164


def test_phone_for_meta_is_digits_with_country_code():
    assert normalise.phone_meta("+448444124653") == "448444124653"
    assert normalise.phone_meta("+12015550123") == "12015550123"
    assert normalise.phone_meta(None) is None


@pytest.mark.parametrize(("raw", "google", "meta"), [
    ("  Zoë ", "zoë", "zoë"),
    ("Mary-Jane", "maryjane", "maryjane"),
    ("O'Brien", "obrien", "obrien"),
    ("da  Silva", "da silva", "dasilva"),
    ("JOSÉ", "josé", "josé"),
    ("Jose\u0301", "josé", "josé"),      # decomposed accent: NFC first
    ("", None, None),
])
def test_names(raw, google, meta):
    assert normalise.name_google(raw) == google
    assert normalise.name_meta(raw) == meta


def test_meta_city_state_zip_country():
    assert normalise.ascii_letters("São Paulo") == "saopaulo"
    assert normalise.ascii_letters("New York") == "newyork"
    assert normalise.ascii_letters(" CA ") == "ca"
    assert normalise.zip_meta("94025-1234", "US") == "94025"
    assert normalise.zip_meta("SW1A 1AA", "GB") == "sw1a1aa"
    assert normalise.zip_google(" sw1a 1aa ") == "SW1A 1AA"
    assert normalise.country_code(" gb ") == "GB"
    assert normalise.country_code("GBR") is None


def test_google_hash_of_a_normalised_email():
    expected = hashlib.sha256(b"janedoe@gmail.com").hexdigest()
    assert normalise.sha256_hex(normalise.email_google(" Jane.Doe@GMail.com ")) == expected


@pytest.mark.parametrize(("purpose", "state", "country", "granted"), [
    ("ad_user_data", "granted", "DE", True),
    ("ad_user_data", "denied", "US", False),
    ("ad_user_data", "unknown", "US", False),
    ("ad_user_data", None, "US", True),       # outside the EEA/UK: not stated is granted
    ("ad_user_data", None, "DE", False),      # inside: not stated is not granted
    ("ad_user_data", None, "GB", False),
    ("ad_user_data", None, "UK", False),
    ("ad_user_data", None, "NO", False),
    ("ad_user_data", None, "CH", False),
    ("ad_user_data", None, None, False),      # unknown country: as in the EEA
    ("ad_personalization", None, "JP", True),
    ("email_marketing", None, "US", False),   # e-mail is never assumed
    ("email_marketing", "granted", "DE", True),
    ("email_marketing", "denied", "US", False),
])
def test_consent_per_purpose(purpose, state, country, granted):
    assert consent.is_granted(purpose, state, country) is granted


def test_ads_need_both_purposes_and_say_which_is_missing():
    ads = ("ad_user_data", "ad_personalization")
    assert consent.may_export(ads, {"ad_user_data": "granted",
                                    "ad_personalization": "granted"}, "DE") == (True, None)
    assert consent.may_export(ads, {"ad_user_data": "granted",
                                    "ad_personalization": "denied"}, "US") == (
        False, "consent_ad_personalization_denied")
    assert consent.may_export(ads, {"ad_user_data": None, "ad_personalization": "granted"},
                              "FR") == (False, "consent_ad_user_data_missing")
    assert consent.may_export(("email_marketing",), {"email_marketing": "unknown"}, "US") == (
        False, "consent_email_marketing_unknown")
    with pytest.raises(ValueError, match="unknown consent purpose"):
        consent.is_granted("sms", "granted", "US")
