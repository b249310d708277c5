"""Starts and stops the four local processes: backend, action server, Rasa server and gateway.

Used by `make run` (default ports) and by the end-to-end tests (free ports).

Secrets stay off command lines (`ps` shows every argument): Rasa reads its API token from a 0600
file (`bot.launcher.rasa_server`), Rasa and the action server share a per-stack token through their
environment only. Everything the stack writes is readable by its owner only: the launcher's own
files are created 0600 in 0700 directories, and the children start with umask 077.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from sqlalchemy.engine import make_url

from bot.infra.paths import (
    PRIVATE_FILE_MODE,
    REPO_ROOT,
    TRACKER_DB_NAME,
    VAR_DIR,
    ensure_private_dir,
    write_private_text,
)
from bot.infra.rasa_client import RasaApi, RasaUnavailable
from bot.infra.rasa_env import SERVING_TF_THREADS, rasa_env

logger = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077  # files 0600, directories 0700
RASA_TOKEN_VARIABLE = "BUERGERBOT_RASA_TOKEN"  # the gateway and staff tools send it to Rasa's API
# The largest WebSocket frame the gateway reads: uvicorn closes a socket that sends a larger one
# (1009, message too big) before the app sees it; smaller frames reach the web chat, which answers
# any it cannot use (binary, over 64 KiB, malformed) with a German error frame.
GATEWAY_WS_MAX_BYTES = 1_048_576
ACTIONS_TOKEN_VARIABLE = "BUERGERBOT_ACTIONS_TOKEN"  # Rasa → action server (read by actions.server)
BACKEND_TOKEN_VARIABLE = "BUERGERBOT_BACKEND_TOKEN"  # gateway → the backend's internal routes
# Rasa's endpoints.yml fills `${VAR}` from its environment: the token is not written to the file.
ACTIONS_AUTH_HEADER = {"Authorization": "Bearer ${" + ACTIONS_TOKEN_VARIABLE + "}"}
REDACTING_TRACKER_STORE = "bot.rasa_plugins.tracker_store.RedactingSQLTrackerStore"
# Rasa at INFO logs no message texts (they appear from DEBUG on); libraries (Sanic's access log
# with the `?token=` query) only at ERROR. Set explicitly so an inherited LOG_LEVEL=DEBUG cannot leak.
RASA_LOG_ENV = {"LOG_LEVEL": "INFO", "LOG_LEVEL_LIBRARIES": "ERROR"}


@contextmanager
def private_umask() -> Iterator[None]:
    """umask 077 while the launcher creates files and starts children (they inherit it); the
    caller's umask afterwards."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def secure_data_dir(path: Path) -> None:
    """The data directory 0700: created so, or tightened when it is var/. Any other existing
    directory is the operator's (it might be shared): only a warning when others can read it."""
    if not path.exists() or path.resolve() == VAR_DIR.resolve():
        ensure_private_dir(path)
    elif path.stat().st_mode & 0o077:
        logger.warning("data directory %s is accessible to other users (mode should be 700)", path)


@dataclass
class Ports:
    backend: int = 8001
    actions: int = 5055
    rasa: int = 5005
    gateway: int = 8000


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports() -> Ports:
    return Ports(backend=free_port(), actions=free_port(), rasa=free_port(), gateway=free_port())


def tracker_store_config(url: str, sqlite_file: Path) -> dict[str, object]:
    """Rasa's SQL tracker store settings from a SQLAlchemy URL (PostgreSQL), or a SQLite file."""
    if not url:
        return {"type": "SQL", "dialect": "sqlite", "db": str(sqlite_file)}
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database or str(sqlite_file)}
    config: dict[str, object] = {
        "type": "SQL",
        "dialect": parsed.drivername,
        "url": parsed.host or "localhost",
        "db": parsed.database,
    }
    if parsed.port:
        config["port"] = parsed.port
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    return config


@dataclass
class Stack:
    ports: Ports
    model: Path
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path = VAR_DIR / "logs"
    host: str = "127.0.0.1"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Guards Rasa's HTTP API (model loading, trackers); the gateway and staff tools send it.
    rasa_token: str = field(default="", repr=False)
    # Rasa sends it to the action server, which refuses requests without it.
    actions_token: str = field(default="", repr=False)
    # The gateway sends it to the backend's internal routes (staff data of appointments).
    backend_token: str = field(default="", repr=False)

    def rasa_api(self) -> RasaApi:
        """Rasa's HTTP API of this stack, with its token."""
        return RasaApi(self.rasa_url, self.rasa_token)

    @property
    def backend_url(self) -> str:
        return f"http://{self.host}:{self.ports.backend}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.ports.actions}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.ports.rasa}"

    def __post_init__(self) -> None:
        self.rasa_token = self.rasa_token or self.env.get(RASA_TOKEN_VARIABLE) or secrets.token_urlsafe(24)
        self.actions_token = self.actions_token or self.env.get(ACTIONS_TOKEN_VARIABLE) or secrets.token_urlsafe(32)
        self.backend_token = self.backend_token or self.env.get(BACKEND_TOKEN_VARIABLE) or secrets.token_urlsafe(32)

    @property
    def data_dir(self) -> Path:
        """The data directory the stack's processes are given (databases)."""
        return Path(self.env.get("BUERGERBOT_DATA_DIR") or VAR_DIR)

    @property
    def tracker_db(self) -> Path:
        """Rasa's SQLite tracker store, in the data directory the stack's processes are given."""
        return self.data_dir / TRACKER_DB_NAME

    @property
    def run_dir(self) -> Path:
        """Rasa's endpoints, credentials and token file for this stack."""
        return self.log_dir.parent / f"run-{self.ports.rasa}"

    @property
    def rasa_token_file(self) -> Path:
        return self.run_dir / "rasa_token"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.ports.gateway}"

    def _write_rasa_files(self) -> tuple[Path, Path]:
        """endpoints.yml, credentials.yml and Rasa's token file, each 0600 in a 0700 directory."""
        ensure_private_dir(self.run_dir)
        store = tracker_store_config(self.env.get("BUERGERBOT_TRACKER_DATABASE_URL", ""), self.tracker_db)
        endpoints = write_private_text(
            self.run_dir / "endpoints.yml",
            yaml.safe_dump(
                {
                    "action_endpoint": {"url": f"{self.actions_url}/webhook", "headers": ACTIONS_AUTH_HEADER},
                    # Conversations persist in the tracker store: the log staff review (redacted) and
                    # what retention purges. SQLite under the data directory unless a URL is set.
                    # Messages sent with the metadata `secret: true` (the access code) are stored redacted.
                    "tracker_store": {**store, "type": REDACTING_TRACKER_STORE},
                }
            ),
        )
        credentials = write_private_text(self.run_dir / "credentials.yml", "rest:\n")
        write_private_text(self.rasa_token_file, self.rasa_token)
        return endpoints, credentials

    def commands(self) -> dict[str, list[str]]:
        endpoints, credentials = self._write_rasa_files()
        python = sys.executable
        return {
            "backend": [
                python,
                "-m",
                "uvicorn",
                "--factory",
                "bot.backend.app:create_app",
                "--host",
                self.host,
                "--port",
                str(self.ports.backend),
                "--no-access-log",
                "--ws",
                "none",
            ],
            "actions": [python, "-m", "actions.server", "--actions", "actions", "--port", str(self.ports.actions)],
            "rasa": [  # the token comes from the file, never from this command line
                python,
                "-m",
                "bot.launcher.rasa_server",
                "--token-file",
                str(self.rasa_token_file),
                "run",
                "--enable-api",
                "--model",
                str(self.model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(credentials),
                "--interface",
                self.host,
                "--port",
                str(self.ports.rasa),
            ],
            "gateway": [
                python,
                "-m",
                "uvicorn",
                "--factory",
                "bot.gateway.app:create_app",
                "--host",
                self.host,
                "--port",
                str(self.ports.gateway),
                "--ws",
                "wsproto",
                "--ws-max-size",
                str(GATEWAY_WS_MAX_BYTES),
                # Only BUERGERBOT_TRUSTED_PROXIES decides whom X-Forwarded-For is believed from.
                "--no-proxy-headers",
                "--no-access-log",
            ],
        }

    def health_urls(self) -> dict[str, str]:
        """Health pages of the processes other than Rasa (Rasa is asked through its API client)."""
        return {
            "backend": f"{self.backend_url}/health",
            "actions": f"{self.actions_url}/health",
            "gateway": f"{self.gateway_url}/health",
        }

    def _ready(self, name: str) -> bool:
        if name == "rasa":  # ready once a model is loaded
            try:
                return bool(self.rasa_api().status(timeout=2).get("model_file"))
            except RasaUnavailable:
                return False
        try:
            return httpx.get(self.health_urls()[name], timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _process_env(self, name: str, env: dict[str, str]) -> dict[str, str]:
        """Each process gets only the tokens it uses: Rasa and the action server their shared one,
        the others Rasa's API token (Rasa reads its own from the token file), the backend and the
        gateway the backend's service token."""
        if name == "rasa":
            rasa = {k: v for k, v in env.items() if k not in (RASA_TOKEN_VARIABLE, BACKEND_TOKEN_VARIABLE)}
            return {**rasa, **SERVING_TF_THREADS, **RASA_LOG_ENV, ACTIONS_TOKEN_VARIABLE: self.actions_token}
        if name == "actions":  # bound to loopback (SANIC_HOST); the token guards it against local users
            actions = {k: v for k, v in env.items() if k not in (RASA_TOKEN_VARIABLE, BACKEND_TOKEN_VARIABLE)}
            return {**actions, "SANIC_HOST": self.host, ACTIONS_TOKEN_VARIABLE: self.actions_token}
        return env

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}-{self.ports.rasa}.log"

    def start(self, names: tuple[str, ...] = ("backend", "actions", "rasa", "gateway")) -> None:
        env = {
            **rasa_env(),
            "BUERGERBOT_BACKEND_URL": self.backend_url,
            "BUERGERBOT_RASA_URL": self.rasa_url,
            "BUERGERBOT_ACTIONS_URL": self.actions_url,
            RASA_TOKEN_VARIABLE: self.rasa_token,
            "BUERGERBOT_INITIAL_MODEL": str(self.model),
            **{k: v for k, v in self.env.items() if k != ACTIONS_TOKEN_VARIABLE},
            BACKEND_TOKEN_VARIABLE: self.backend_token,
        }
        with private_umask():
            for directory in {self.data_dir, self.log_dir.parent}:
                secure_data_dir(directory)
            ensure_private_dir(self.log_dir)
            commands = self.commands()
            for name in names:
                log_path = self.log_file(name)
                with open(log_path, "ab") as log:  # the child keeps its copy
                    log_path.chmod(PRIVATE_FILE_MODE)  # also when an older run left it readable
                    self.processes[name] = subprocess.Popen(
                        commands[name],
                        cwd=REPO_ROOT,
                        env=self._process_env(name, env),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                logger.info("started %s (pid %d)", name, self.processes[name].pid)

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.processes)
        while pending:
            for name in sorted(pending):
                if self.processes[name].poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {self.processes[name].returncode}; see {self.log_file(name)}"
                    )
                if self._ready(name):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f} s: {sorted(pending)}")
            time.sleep(0.5)

    def stop(self, names: tuple[str, ...] | None = None) -> None:
        for name in list(names or self.processes):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            logger.info("stopped %s", name)
