import pytest
from pydantic import ValidationError

from bot.gateway.api_keys import digest
from bot.gateway.settings import GatewaySettings


def settings(tmp_path, **values) -> GatewaySettings:
    return GatewaySettings(secret_key="s", telegram_bot_token=None, data_dir=tmp_path, **values)


def test_limits_and_trust_come_from_one_settings_object(tmp_path, monkeypatch):
    monkeypatch.setenv("BUERGERBOT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    monkeypatch.setenv("BUERGERBOT_API_KEYS", f"{digest('a')},{digest('b')}")
    monkeypatch.setenv("BUERGERBOT_SESSIONS_PER_MINUTE", "3")
    loaded = settings(tmp_path)
    assert [str(n) for n in loaded.trusted_proxy_networks()] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert loaded.api_key_digests() == {digest("a"), digest("b")}
    assert loaded.limit_config().sessions_per_minute == 3 and loaded.limit_config().messages_per_minute == 20


@pytest.mark.parametrize(
    ("name", "value"),
    [("trusted_proxies", "proxy.example"), ("api_keys", "key-in-clear"), ("max_rasa_in_flight", 0)],
)
def test_bad_values_are_refused_at_start(tmp_path, name, value):
    with pytest.raises(ValidationError, match=name):
        settings(tmp_path, **{name: value})
