"""schemathesis against the backend's OpenAPI schema, in process (ASGI) on a fresh SQLite
database: a bounded number of generated requests per operation, none answered with a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import settings

from bot.backend.app import create_app
from bot.backend.settings import BackendSettings
from tests.fuzz import no_server_error


@pytest.fixture
def backend_schema(tmp_path):
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(BackendSettings(data_dir=tmp_path)))


schema = schemathesis.pytest.from_fixture("backend_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None)
def test_no_operation_answers_a_server_error(case):
    case.call_and_validate(checks=[no_server_error])
