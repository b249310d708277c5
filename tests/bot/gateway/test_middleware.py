import ipaddress

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from bot.gateway.middleware import (
    BODY_TOO_LARGE,
    BodyLimitMiddleware,
    ClientAddressMiddleware,
    client_address,
    parse_networks,
)

PROXIES = parse_networks("10.0.0.1, 10.1.0.0/16")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.1", None, "198.51.100.1"),
        ("198.51.100.1", "203.0.113.5", "198.51.100.1"),  # not our proxy: its header proves nothing
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", "1.1.1.1, 203.0.113.5", "203.0.113.5"),  # the left part is the client's own claim
        ("10.0.0.1", "203.0.113.5, 10.1.2.3", "203.0.113.5"),  # skips our own proxies
        ("10.0.0.1", "10.1.2.3", "10.0.0.1"),
        ("10.0.0.1", "203.0.113.5, nonsense", "10.0.0.1"),
        ("10.0.0.1", "2001:db8::1", "2001:db8::1"),
        (None, "203.0.113.5", "unknown"),
    ],
)
def test_client_address(peer, forwarded, expected):
    assert client_address(peer, forwarded, PROXIES) == expected


def test_bad_proxy_entries_are_named():
    with pytest.raises(ValueError, match="nonsense"):
        parse_networks("10.0.0.1,nonsense")
    assert parse_networks(" , ::1") == [ipaddress.ip_network("::1")]


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        body = await request.body()
        return {"client": request.client.host if request.client else None, "size": len(body)}

    app.add_middleware(BodyLimitMiddleware, max_bytes=1000)
    app.add_middleware(ClientAddressMiddleware, trusted_proxies=PROXIES)
    return app


def test_the_real_client_reaches_the_routes(app):
    proxy = TestClient(app, client=("10.0.0.1", 1))
    assert proxy.post("/echo", headers={"X-Forwarded-For": "203.0.113.9"}).json()["client"] == "203.0.113.9"
    direct = TestClient(app, client=("198.51.100.1", 1))
    assert direct.post("/echo", headers={"X-Forwarded-For": "203.0.113.9"}).json()["client"] == "198.51.100.1"


def test_bodies_up_to_the_limit_pass_and_larger_ones_get_413(app):
    client = TestClient(app)
    assert client.post("/echo", content=b"x" * 1000).json()["size"] == 1000
    declared = client.post("/echo", content=b"x" * 1001)
    assert declared.status_code == 413 and declared.json() == {"detail": BODY_TOO_LARGE}
    streamed = client.post("/echo", content=iter([b"x" * 600, b"x" * 600]))
    assert streamed.status_code == 413 and streamed.json() == {"detail": BODY_TOO_LARGE}
