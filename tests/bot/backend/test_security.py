from bot.backend.security import DUMMY_HASH, hash_access_code, verify_access_code


def test_hash_is_salted_and_verifies_with_normalised_input():
    first, second = hash_access_code("K7M2Q9"), hash_access_code("K7M2Q9")
    assert first != second and "K7M2Q9" not in first
    assert verify_access_code("k7m2 q9", first)
    assert not verify_access_code("K7M2Q8", first)


def test_dummy_hash_and_garbage_never_verify():
    assert not verify_access_code("K7M2Q9", DUMMY_HASH)
    assert not verify_access_code("K7M2Q9", "plain")
