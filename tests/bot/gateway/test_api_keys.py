import hashlib

import pytest

from bot.gateway.api_keys import ApiKeys, digest, parse_digests


def test_keys_are_configured_as_sha256_digests():
    assert digest("k") == hashlib.sha256(b"k").hexdigest()
    assert parse_digests(f" {digest('a').upper()} ,{digest('b')},") == {digest("a"), digest("b")}
    with pytest.raises(ValueError, match="SHA-256"):
        parse_digests("geheim")  # a key in clear is refused


def test_only_a_configured_key_is_identified():
    keys = ApiKeys(frozenset({digest("right")}))
    assert keys.identify("right") == digest("right")[:16]
    assert keys.identify("wrong") is None and keys.identify("") is None and keys.identify(None) is None
    assert keys.identify(digest("right")) is None  # the digest itself is not a key
    assert ApiKeys(frozenset()).identify("right") is None
