"""Rasa's launcher: the API token comes from a private file, into Rasa's arguments in-process only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.launcher.rasa_server import TokenFileError, main, rasa_argv, read_token_file

TOKEN = "-starts-with-a-dash-0123456789"


def token_file(tmp_path: Path, text: str = TOKEN + "\n", mode: int = 0o600) -> Path:
    path = tmp_path / "rasa_token"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_token_is_read_from_an_owner_only_file(tmp_path: Path):
    assert read_token_file(token_file(tmp_path)) == TOKEN


@pytest.mark.parametrize(
    ("text", "mode", "reason"), [(TOKEN, 0o644, "mode 644"), (TOKEN, 0o640, "mode 640"), ("\n", 0o600, "empty")]
)
def test_unsafe_or_empty_token_files_are_refused(tmp_path: Path, text: str, mode: int, reason: str):
    with pytest.raises(TokenFileError, match=reason):
        read_token_file(token_file(tmp_path, text, mode))


def test_a_missing_token_file_is_refused(tmp_path: Path):
    with pytest.raises(TokenFileError, match="FileNotFoundError"):
        read_token_file(tmp_path / "missing")


def test_the_token_is_one_argument_and_never_given_twice():
    assert rasa_argv(["run", "--enable-api"], TOKEN) == ["rasa", "run", "--enable-api", f"--auth-token={TOKEN}"]
    with pytest.raises(ValueError):
        rasa_argv(["run", "--auth-token", "x"], TOKEN)


def test_rasa_runs_in_this_process_with_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import rasa.__main__

    seen: list[list[str]] = []
    monkeypatch.setattr(rasa.__main__, "main", lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["unchanged"])
    path = token_file(tmp_path)
    assert main(["--token-file", str(path), "run", "--enable-api", "--port", "5"]) == 0
    assert seen == [["rasa", "run", "--enable-api", "--port", "5", f"--auth-token={TOKEN}"]]


def test_rasa_is_not_started_with_an_unsafe_token_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    import rasa.__main__

    monkeypatch.setattr(rasa.__main__, "main", lambda: pytest.fail("Rasa must not start"))
    assert main(["--token-file", str(token_file(tmp_path, mode=0o644)), "run"]) == 2
    assert "Rasa not started" in capsys.readouterr().err
