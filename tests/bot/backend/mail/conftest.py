"""The mail tests' database (SQLite, and the loopback PostgreSQL for what races) and the loopback
SMTP server (aiosmtpd) that records what arrives."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.backend.db import make_engine, make_session_factory
from bot.backend.mail.outbox import OutboxRecord  # noqa: F401 - registers the outbox table
from bot.backend.tables import Base
from tests.conftest import free_port

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_engine() -> Iterator[sa.engine.Engine]:
    """A fresh schema on the loopback PostgreSQL (every machine here runs one)."""
    schema = f"mail_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required: {exc}")
    engine = sa.create_engine(POSTGRES, future=True, connect_args={"options": f"-csearch_path={schema}"})
    Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _sqlite_engine(tmp_path: Path) -> Iterator[sa.engine.Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'backend.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.engine.Engine]:
    yield from _sqlite_engine(tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    if request.param == "sqlite":
        yield from _sqlite_engine(tmp_path)
    else:
        yield from _postgres_engine()


@pytest.fixture
def sessions(engine: sa.engine.Engine) -> sa.orm.sessionmaker:
    return make_session_factory(engine)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """aiosmtpd handler: keeps every message; `delay` holds each DATA that long (seconds), and
    the addresses in `refuse` are refused."""

    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder
    controller: Controller | None = None

    def start(self, **kwargs: Any) -> None:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.recorder.received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a free loopback port, already listening."""
    server = SmtpServer(free_port(), Recorder())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_port_down() -> Iterator[SmtpServer]:
    """A free loopback port where no SMTP server listens yet (`start()` brings it up)."""
    server = SmtpServer(free_port(), Recorder())
    yield server
    server.stop()


def authenticator(login: str, password: str) -> Any:
    """aiosmtpd authenticator accepting exactly this login."""

    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            login.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return check
