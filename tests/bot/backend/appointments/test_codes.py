"""Booking codes, link tokens and e-mail keys."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.backend.appointments.codes import (
    BOOKING_CODE_LENGTH,
    booking_code,
    email_key,
    load_secret,
    sign,
    signature_matches,
)
from bot.backend.security import ACCESS_CODE_ALPHABET

SECRET = b"secret"


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=200))
def test_codes_are_unambiguous_and_derived_again_from_nonce_and_key(nonce: str, key: str):
    code = booking_code(SECRET, nonce, key)
    assert len(code) == BOOKING_CODE_LENGTH >= 8 and set(code) <= set(ACCESS_CODE_ALPHABET)
    assert not set(code) & set("0O1IL")
    assert booking_code(SECRET, nonce, key) == code
    assert booking_code(b"other", nonce, key) != code


def test_codes_differ_by_nonce_and_key():
    codes = {booking_code(SECRET, f"n{i}", "key") for i in range(200)} | {
        booking_code(SECRET, "n", f"k{i}") for i in range(200)
    }
    assert len(codes) == 400


def test_signatures_are_bound_to_purpose_and_parts():
    token = sign(SECRET, "ics", "7", "nonce")
    assert len(token) == 32 and signature_matches(SECRET, token, "ics", "7", "nonce")
    assert not signature_matches(SECRET, token, "cancel", "7", "nonce")
    assert not signature_matches(SECRET, token, "ics", "8", "nonce")
    assert not signature_matches(SECRET, None, "ics", "7", "nonce")
    assert not signature_matches(SECRET, "\ud800" * 32, "ics", "7", "nonce")


def test_one_key_per_mailbox():
    assert email_key("Erika@Example.de") == email_key("erika+termine@example.DE") == email_key(" erika@example.de ")
    assert email_key("erika@example.de") != email_key("erika@example.com")


def test_the_secret_is_generated_once_and_private(tmp_path: Path):
    assert load_secret("configured", tmp_path) == b"configured"
    first = load_secret(None, tmp_path / "data")
    assert load_secret(None, tmp_path / "data") == first and len(first) >= 32
    assert ((tmp_path / "data" / "appointment_secret").stat().st_mode & 0o777) == 0o600
