"""Starts the Rasa server with its API token read from a file, so the token is on no command line.

    python -m bot.launcher.rasa_server --token-file PATH run --enable-api --model ... (rasa's arguments)

`ps` and /proc/PID/cmdline show only the file's path: the token is added to `sys.argv` inside this
process (which /proc does not see) and Rasa's own command line entry point runs here. The file must
be readable by its owner only (0600). Rasa checks the token only as a `?token=` query parameter
(rasa/server.py `requires_auth`); its clients send it there and nowhere else.
"""

from __future__ import annotations

import argparse
import stat
import sys
from collections.abc import Sequence
from pathlib import Path


class TokenFileError(Exception):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"token file {path}: {reason}")
        self.path = path
        self.reason = reason


def read_token_file(path: Path) -> str:
    """The token in `path`; `TokenFileError` when the file is missing, empty or readable by others."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TokenFileError(path, type(exc).__name__) from exc
    if mode & 0o077:
        raise TokenFileError(path, f"mode {mode:o}, must be readable by its owner only (600)")
    if not token:
        raise TokenFileError(path, "empty")
    return token


def rasa_argv(rasa_args: Sequence[str], token: str) -> list[str]:
    """Rasa's argument vector with the token as one argument (a token may start with "-")."""
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in rasa_args):
        raise ValueError("--auth-token belongs in the token file, not on the command line")
    return ["rasa", *rasa_args, f"--auth-token={token}"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.launcher.rasa_server", description=__doc__.splitlines()[0], allow_abbrev=False
    )
    parser.add_argument("--token-file", type=Path, required=True, help="file with Rasa's API token (mode 600)")
    parser.add_argument("rasa_args", nargs=argparse.REMAINDER, help="arguments for rasa, e.g. run --enable-api")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        sys.argv = rasa_argv(args.rasa_args, read_token_file(args.token_file))
    except (TokenFileError, ValueError) as exc:
        print(f"Rasa not started: {exc}", file=sys.stderr)
        return 2
    from rasa.__main__ import main as rasa_main

    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
