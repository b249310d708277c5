"""Access codes: salted scrypt hashes, normalised input, long codes for new cases."""

from __future__ import annotations

import pytest

from bot.backend.security import (
    ACCESS_CODE_ALPHABET,
    DUMMY_HASH,
    hash_access_code,
    new_access_code,
    normalize_access_code,
    verify_access_code,
)


def test_hash_is_salted_and_verifies_with_normalised_input():
    first, second = hash_access_code("K7M2Q9"), hash_access_code("K7M2Q9")
    assert first != second and "K7M2Q9" not in first
    assert verify_access_code("k7m2 q9", first)
    assert not verify_access_code("K7M2Q8", first)


def test_dummy_hash_and_garbage_never_verify():
    assert not verify_access_code("K7M2Q9", DUMMY_HASH)
    assert not verify_access_code("K7M2Q9", "plain")


def test_new_codes_are_long_random_and_unambiguous():
    codes = {new_access_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) >= 10 and set(code) <= set(ACCESS_CODE_ALPHABET) for code in codes)
    assert not set("0O1IL") & set(ACCESS_CODE_ALPHABET)
    assert len(new_access_code(12)) == 12
    with pytest.raises(ValueError):
        new_access_code(6)


@pytest.mark.parametrize("typed", ["k7m2 q9", "K7M2-Q9", " k7m2–q9 ", "K7M2_Q9", "ｋ７ｍ２ｑ９"])
def test_what_citizens_type_is_normalised(typed: str):
    assert normalize_access_code(typed) == "K7M2Q9"
    assert verify_access_code(typed, hash_access_code("K7M2Q9"))


def test_ten_character_codes_verify_typed_in_groups():
    code = new_access_code()
    stored = hash_access_code(code)
    grouped = f"{code[:4].lower()} {code[4:8]}-{code[8:]}"
    assert verify_access_code(grouped, stored) and not verify_access_code(code[:-1], stored)
