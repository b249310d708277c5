"""The launcher: what it tells Rasa, and how its processes listen."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from bot.launcher import processes
from bot.launcher.processes import Ports, Stack, private_umask, secure_data_dir, tracker_store_config


def listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses with a socket listening on `port` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # /proc prints IPv6 as four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@pytest.mark.slow
@pytest.mark.e2e
def test_every_process_listens_on_loopback_only(full_stack: Stack):
    ports = full_stack.ports
    for name, port in {"backend": ports.backend, "actions": ports.actions, "rasa": ports.rasa}.items():
        addresses = listening_addresses(port)
        assert addresses, f"{name} does not listen on {port}"
        assert addresses <= {"127.0.0.1", "::1"}, f"{name} listens on {addresses}"


def test_tracker_store_from_urls(tmp_path: Path):
    fallback = tmp_path / "t.db"
    assert tracker_store_config("", fallback) == {"type": "SQL", "dialect": "sqlite", "db": str(fallback)}
    assert tracker_store_config(f"sqlite:///{tmp_path}/x.db", fallback) == {
        "type": "SQL",
        "dialect": "sqlite",
        "db": f"{tmp_path}/x.db",
    }


# --- secrets off command lines, files private --------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def offline_stack(tmp_path: Path) -> Stack:
    return Stack(
        Ports(backend=1, actions=2, rasa=3, gateway=4),
        model=tmp_path / "model.tar.gz",
        env={"BUERGERBOT_DATA_DIR": str(tmp_path / "data")},
        log_dir=tmp_path / "var" / "logs",
    )


def test_no_command_line_carries_a_token(tmp_path: Path):
    stack = offline_stack(tmp_path)
    commands = stack.commands()
    for name, command in commands.items():
        line = " ".join(command)
        assert stack.rasa_token not in line and stack.actions_token not in line, name
    assert commands["rasa"][1:5] == ["-m", "bot.launcher.rasa_server", "--token-file", str(stack.rasa_token_file)]
    assert commands["actions"][1:3] == ["-m", "actions.server"]
    assert stack.rasa_token_file.read_text(encoding="utf-8") == stack.rasa_token


def test_each_process_gets_only_the_tokens_it_uses(tmp_path: Path):
    stack = offline_stack(tmp_path)
    base = {"BUERGERBOT_RASA_TOKEN": stack.rasa_token, "LOG_LEVEL": "DEBUG", "PATH": "/usr/bin"}
    rasa, actions, gateway = (stack._process_env(name, base) for name in ("rasa", "actions", "gateway"))
    assert rasa["BUERGERBOT_ACTIONS_TOKEN"] == actions["BUERGERBOT_ACTIONS_TOKEN"] == stack.actions_token
    assert "BUERGERBOT_RASA_TOKEN" not in rasa and "BUERGERBOT_RASA_TOKEN" not in actions
    assert gateway["BUERGERBOT_RASA_TOKEN"] == stack.rasa_token and "BUERGERBOT_ACTIONS_TOKEN" not in gateway
    assert rasa["LOG_LEVEL"] == "INFO"  # an inherited DEBUG would log message texts
    assert actions["SANIC_HOST"] == "127.0.0.1"


def test_only_backend_and_gateway_get_the_backend_service_token(tmp_path: Path):
    stack = offline_stack(tmp_path)
    base = {"BUERGERBOT_BACKEND_TOKEN": stack.backend_token, "PATH": "/usr/bin"}
    envs = {name: stack._process_env(name, base) for name in ("backend", "gateway", "rasa", "actions")}
    assert envs["backend"]["BUERGERBOT_BACKEND_TOKEN"] == envs["gateway"]["BUERGERBOT_BACKEND_TOKEN"]
    assert len(stack.backend_token) >= 32 and stack.backend_token != stack.actions_token
    assert "BUERGERBOT_BACKEND_TOKEN" not in envs["rasa"] and "BUERGERBOT_BACKEND_TOKEN" not in envs["actions"]


def test_rasa_sends_the_secret_to_the_action_server_and_stores_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from rasa.shared.utils.common import class_from_module_path
    from rasa.utils.endpoints import read_endpoint_config

    from bot.rasa_plugins.tracker_store import RedactingSQLTrackerStore

    stack = offline_stack(tmp_path)
    endpoints, credentials = stack._write_rasa_files()
    assert stack.actions_token not in endpoints.read_text(encoding="utf-8")  # filled in from Rasa's environment
    monkeypatch.setenv("BUERGERBOT_ACTIONS_TOKEN", stack.actions_token)
    action_endpoint = read_endpoint_config(str(endpoints), "action_endpoint")
    assert action_endpoint.url == "http://127.0.0.1:2/webhook"
    assert action_endpoint.headers == {"Authorization": f"Bearer {stack.actions_token}"}
    store = read_endpoint_config(str(endpoints), "tracker_store")
    assert class_from_module_path(store.type) is RedactingSQLTrackerStore
    assert store.kwargs == {"dialect": "sqlite", "db": str(stack.tracker_db)}
    for path in (endpoints, credentials, stack.rasa_token_file):
        assert mode(path) == 0o600, path
    assert mode(stack.run_dir) == 0o700


def test_files_written_again_become_private(tmp_path: Path):
    stack = offline_stack(tmp_path)
    stack.run_dir.mkdir(parents=True, mode=0o755)
    stack.run_dir.chmod(0o755)
    for name in ("endpoints.yml", "credentials.yml", "rasa_token"):
        (stack.run_dir / name).write_text("old")
        (stack.run_dir / name).chmod(0o644)
    stack._write_rasa_files()
    assert mode(stack.run_dir) == 0o700
    assert {mode(p) for p in stack.run_dir.iterdir()} == {0o600}


def test_var_is_made_private_other_data_dirs_only_when_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    monkeypatch.setattr(processes, "VAR_DIR", var)
    secure_data_dir(var)
    assert mode(var) == 0o700
    new = tmp_path / "new" / "data"
    secure_data_dir(new)
    assert mode(new) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    secure_data_dir(shared)  # possibly shared by others: not changed, but named
    assert mode(shared) == 0o755 and "shared" in caplog.text


def test_children_start_with_umask_077(tmp_path: Path):
    before = os.umask(0o022)
    try:
        with private_umask():
            # what a child inherits: a file created with the default mode 0666
            (tmp_path / "child.db").touch()
            (tmp_path / "childdir").mkdir()
        assert os.umask(0o022) == 0o022  # the caller's umask is back
    finally:
        os.umask(before)
    assert mode(tmp_path / "child.db") == 0o600 and mode(tmp_path / "childdir") == 0o700


def test_local_secrets_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from bot.infra import local_secrets

    var = tmp_path / "var"
    var.mkdir()
    var.chmod(0o755)
    monkeypatch.setattr(local_secrets, "VAR_DIR", var)
    monkeypatch.delenv("BUERGERBOT_SECRET_KEY", raising=False)
    first = local_secrets.local_secret(local_secrets.SECRET_KEY)
    assert len(first) >= 32 and mode(var) == 0o700 and mode(var / "secret_key") == 0o600
    (var / "secret_key").chmod(0o644)  # left by an older version
    var.chmod(0o755)
    assert local_secrets.local_secret(local_secrets.SECRET_KEY) == first
    assert mode(var) == 0o700 and mode(var / "secret_key") == 0o600


# --- the running stack -----------------------------------------------------------------------------------


def session_pids(leader: int) -> list[int]:
    """The process `leader` and every process of its session (the launcher starts each in its own)."""
    pids = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[3]) == leader:  # field 6 of /proc/PID/stat: the session id
            pids.append(int(stat_file.parent.name))
    return pids


@pytest.mark.slow
@pytest.mark.e2e
def test_no_token_is_visible_in_the_process_list(full_stack: Stack):
    secrets = [full_stack.rasa_token.encode(), full_stack.actions_token.encode()]
    seen = 0
    for name, process in full_stack.processes.items():
        for pid in session_pids(process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            seen += 1
            assert not any(secret in cmdline for secret in secrets), f"{name} (pid {pid}): {cmdline!r}"
    assert seen >= len(full_stack.processes)


@pytest.mark.slow
@pytest.mark.e2e
def test_the_stacks_files_are_private(full_stack: Stack):
    full_stack.rasa_api().send("test:permissions", "Hallo")  # the tracker store has written
    checked = []
    # The stack's own files: logs, Rasa's run files, and what the children created in the data
    # directory. (training-data/ is a copy the test fixture makes, not the stack.)
    for root in (full_stack.log_dir, full_stack.run_dir, full_stack.data_dir):
        for path in [root, *root.rglob("*")]:
            if "training-data" in path.relative_to(full_stack.data_dir.parent).parts:
                continue
            expected = 0o700 if path.is_dir() else 0o600
            assert mode(path) == expected, f"{path}: {mode(path):o}"
            checked.append(path)
    assert full_stack.tracker_db in checked and full_stack.log_file("rasa") in checked
