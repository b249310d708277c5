"""Starts and stops the four local processes: backend, action server, Rasa server and gateway.

Used by `make run` (default ports) and by the end-to-end tests (free ports).
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
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from sqlalchemy.engine import make_url

from bot.infra.paths import REPO_ROOT, TRACKER_DB_NAME, VAR_DIR
from bot.infra.rasa_client import RasaApi, RasaUnavailable
from bot.infra.rasa_env import SERVING_TF_THREADS, rasa_env

logger = logging.getLogger(__name__)


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
        self.rasa_token = self.rasa_token or self.env.get("BUERGERBOT_RASA_TOKEN") or secrets.token_urlsafe(24)

    @property
    def tracker_db(self) -> Path:
        """Rasa's SQLite tracker store, in the data directory the stack's processes are given."""
        return Path(self.env.get("BUERGERBOT_DATA_DIR") or VAR_DIR) / TRACKER_DB_NAME

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.ports.gateway}"

    def _write_rasa_files(self) -> tuple[Path, Path]:
        run_dir = self.log_dir.parent / f"run-{self.ports.rasa}"
        run_dir.mkdir(parents=True, exist_ok=True)
        endpoints = run_dir / "endpoints.yml"
        endpoints.write_text(
            yaml.safe_dump(
                {
                    "action_endpoint": {"url": f"{self.actions_url}/webhook"},
                    # Conversations persist in the tracker store: the log staff review (redacted) and
                    # what retention purges. SQLite under the data directory unless a URL is set.
                    "tracker_store": tracker_store_config(
                        self.env.get("BUERGERBOT_TRACKER_DATABASE_URL", ""), self.tracker_db
                    ),
                }
            ),
            encoding="utf-8",
        )
        credentials = run_dir / "credentials.yml"
        credentials.write_text("rest:\n", encoding="utf-8")
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
            "actions": [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.ports.actions)],
            "rasa": [
                python,
                "-m",
                "rasa",
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
                f"--auth-token={self.rasa_token}",
            ],  # one argument: a token may start with "-"
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
        if name == "rasa":
            return {**env, **SERVING_TF_THREADS}
        if name == "actions":  # rasa_sdk binds SANIC_HOST, by default every interface
            return {**env, "SANIC_HOST": self.host}
        return env

    def start(self, names: tuple[str, ...] = ("backend", "actions", "rasa", "gateway")) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **rasa_env(),
            "BUERGERBOT_BACKEND_URL": self.backend_url,
            "BUERGERBOT_RASA_URL": self.rasa_url,
            "BUERGERBOT_ACTIONS_URL": self.actions_url,
            "BUERGERBOT_RASA_TOKEN": self.rasa_token,
            "BUERGERBOT_INITIAL_MODEL": str(self.model),
            **self.env,
        }
        commands = self.commands()
        for name in names:
            with open(self.log_dir / f"{name}-{self.ports.rasa}.log", "ab") as log:  # the child keeps its copy
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
                        f"{name} exited with {self.processes[name].returncode}; "
                        f"see {self.log_dir / f'{name}-{self.ports.rasa}.log'}"
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
