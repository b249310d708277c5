"""`buergerbot catalogue check|reload`: validate the catalogue files, and make the running backend
re-read them (the same as the staff console's button). Problems go to stderr, one per line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import httpx

RELOAD_TIMEOUT_SECONDS = 60.0


def _catalogue_dir(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        return Path(args.dir)
    from bot.backend.settings import BackendSettings

    return BackendSettings().catalogue_dir  # BUERGERBOT_CATALOGUE_DIR, as the backend reads it


def _backend_url(args: argparse.Namespace) -> str:
    if args.backend_url:
        return str(args.backend_url).rstrip("/")
    if configured := os.environ.get("BUERGERBOT_BACKEND_URL", "").strip():
        return configured.rstrip("/")
    from bot.backend.settings import BackendSettings

    settings = BackendSettings()
    return f"http://{settings.host}:{settings.port}"


def _print_problems(problems: list[str]) -> None:
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)


def cmd_catalogue_check(args: argparse.Namespace) -> int:
    from bot.backend.seed import read_catalogue_files
    from bot.core.catalogue import CatalogueError

    directory = _catalogue_dir(args)
    try:
        files = read_catalogue_files(directory)
    except CatalogueError as error:
        print(f"Der Katalog in {directory} hat {len(error.problems)} Fehler:", file=sys.stderr)
        _print_problems(error.problems)
        return 1
    catalogue = files.catalogue
    print(
        f"Katalog in Ordnung: {len(catalogue.services)} Leistungen, {len(catalogue.life_events)} Lebenslagen, "
        f"{len(files.offices)} Dienststellen ({directory})."
    )
    return 0


def _audit(action: str, detail: dict[str, object]) -> None:
    from bot.staff import audit
    from bot.staff.context import StaffContext
    from bot.staff.settings import get_settings

    ctx = StaffContext.open(get_settings())
    try:
        with ctx.staff.begin() as conn:
            audit.record(conn, f"cli:{getpass.getuser()}", action, "", detail)
    finally:
        ctx.close()


def cmd_catalogue_reload(args: argparse.Namespace) -> int:
    url = f"{_backend_url(args)}/api/catalogue/reload"
    try:
        response = httpx.post(url, timeout=RELOAD_TIMEOUT_SECONDS)
    except httpx.HTTPError:
        print(f"Das Service-Backend ist nicht erreichbar ({url}). Läuft `make run`?", file=sys.stderr)
        return 1
    if response.status_code == 422:
        body = response.json()
        problems = [str(p) for p in body.get("problems", [])]
        print(body.get("detail", "Der Katalog enthält Fehler."), file=sys.stderr)
        _print_problems(problems)
        _audit("catalogue.reload_refused", {"problems": len(problems)})
        return 1
    if response.status_code != 200:
        print(f"Das Service-Backend hat den Katalog nicht neu geladen (HTTP {response.status_code}).", file=sys.stderr)
        return 1
    summary = response.json()
    _audit(
        "catalogue.reload",
        {"services": summary["services"], "added": summary["added"], "removed": summary["removed"]},
    )
    print(
        f"Katalog neu geladen: {summary['services']} Leistungen ({len(summary['added'])} neu, "
        f"{len(summary['removed'])} entfernt), {summary['life_events']} Lebenslagen, "
        f"{summary['offices']} Dienststellen."
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    catalogue = sub.add_parser("catalogue", help="the service catalogue (data/catalogue)").add_subparsers(
        dest="catalogue_command", required=True
    )
    check = catalogue.add_parser("check", help="validate the catalogue files without changing anything")
    check.add_argument("--dir", help="catalogue directory (default: BUERGERBOT_CATALOGUE_DIR or data/catalogue)")
    check.set_defaults(func=cmd_catalogue_check)
    reload = catalogue.add_parser("reload", help="make the running backend re-read the catalogue files")
    reload.add_argument("--backend-url", help="default: BUERGERBOT_BACKEND_URL or the backend's host and port")
    reload.set_defaults(func=cmd_catalogue_reload)
