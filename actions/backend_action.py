"""Injection of the backend client into actions.

rasa_sdk creates every action once, without arguments: such an action uses the HTTP client built
from the current settings on each run. Tests create it with a client, e.g. an in-memory fake:
`ActionAnswerOffice(backend=FakeBackend(...))`."""

from __future__ import annotations

from actions.clients.backend import BackendApi, get_backend_client


class WithBackend:
    """Mixin (listed before rasa_sdk's base class) giving an action `self.backend`.

    Not a subclass of `Action` itself, so rasa_sdk does not register it as an action."""

    def __init__(self, backend: BackendApi | None = None) -> None:
        super().__init__()
        self._backend = backend

    @property
    def backend(self) -> BackendApi:
        return self._backend if self._backend is not None else get_backend_client()
