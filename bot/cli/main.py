"""The `buergerbot` command line: train, run, chat, logs purge, and the staff steps (review,
export, retrain, evaluate, promote, rollback)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

from bot.cli import catalogue as catalogue_cli
from bot.cli import staff as staff_cli
from bot.staff.errors import StaffError

logger = logging.getLogger(__name__)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness polling is not news


def cmd_train(_args: argparse.Namespace) -> int:
    from bot.training.model import ensure_model

    print(ensure_model())
    return 0


def _erase_past_bookings(older_than_days: int) -> None:
    """The appointments' share of retention, in the backend's database."""
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from bot.backend.appointments.retention import erase_past_bookings
    from bot.backend.appointments.tables import BookingRecord
    from bot.backend.db import make_engine, make_session_factory
    from bot.backend.settings import get_settings as backend_settings

    engine = make_engine(backend_settings().effective_database_url)
    try:
        if not sa.inspect(engine).has_table(BookingRecord.__tablename__):  # the backend has not run yet
            return
        with make_session_factory(engine)() as session, session.begin():
            erase_past_bookings(session, datetime.now(timezone.utc).replace(tzinfo=None), older_than_days)
    finally:
        engine.dispose()


def _purge_quietly() -> None:
    from bot.staff.retention import purge_conversations, purge_handoffs
    from bot.staff.settings import get_settings

    settings = get_settings()
    try:
        purge_conversations(settings.tracker_database_url, settings.retention_days)
        purge_handoffs(settings.staff_database_url, settings.retention_days)
        _erase_past_bookings(settings.retention_days)
    except Exception:  # a failed purge must not stop the bot; it is retried tomorrow
        logger.exception("retention purge failed")


def cmd_run(_args: argparse.Namespace) -> int:
    import os

    from bot.infra.local_secrets import RASA_TOKEN, SECRET_KEY, local_secret

    # Databases, logs and secrets this process and its children create under var/ are private (0600).
    os.umask(0o077)
    from bot.infra.rasa_client import REST_WEBHOOK
    from bot.launcher.processes import Ports, Stack
    from bot.staff import registry
    from bot.staff.context import StaffContext
    from bot.staff.settings import get_settings as staff_settings
    from bot.training.model import ensure_model

    settings = staff_settings()  # this process's settings object
    current = ensure_model()
    staff = StaffContext.open(settings)
    try:  # a model promoted in the staff console after the last training stays live
        model = registry.choose_model_to_run(registry.live(staff.staff), current)
    finally:
        staff.close()
    if model != current:
        print(f"Live-Modell aus der Staff-Konsole: {model.name}", flush=True)
    stack = Stack(
        Ports(),
        model,
        env={
            "BUERGERBOT_SECRET_KEY": local_secret(SECRET_KEY),
            "BUERGERBOT_RASA_TOKEN": local_secret(RASA_TOKEN),
            "BUERGERBOT_DATA_DIR": str(settings.data_dir),
            "BUERGERBOT_TRACKER_DATABASE_URL": settings.tracker_database_url,
        },
    )
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stack.start()
    try:
        stack.wait_ready()
        print(
            "\nBürgerbot läuft:\n"
            f"  Web-Chat (Demo-Seite):      http://localhost:{stack.ports.gateway}/\n"
            f"  Chat-API:                   {stack.gateway_url}/api/chat   Status: {stack.gateway_url}/health\n"
            f"  Staff-Konsole:              http://localhost:{stack.ports.gateway}/staff "
            "(erstes Konto: `.venv/bin/buergerbot staff add NAME --role admin`)\n"
            f"  Service-Backend (API-Doku): {stack.backend_url}/docs\n"
            f"  Action-Server:              {stack.actions_url}/health\n"
            f"  Rasa (REST-Kanal):          {stack.rasa_url}{REST_WEBHOOK}\n"
            "\nAusprobieren:  im Browser http://localhost:8000/, im Terminal `make chat`, oder\n"
            f"  curl -s -XPOST {stack.gateway_url}/api/chat -H 'X-API-Key: IHR-SCHLUESSEL' "
            "-H 'Content-Type: application/json' "
            '-d \'{"sender":"demo","message":"Hallo"}\'\n'
            "Beenden mit Strg-C.\n",
            flush=True,
        )
        next_purge = 0.0
        while not stopping:
            if time.monotonic() >= next_purge:
                _purge_quietly()
                next_purge = time.monotonic() + 86_400  # daily while `make run` runs
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    logger.error("%s exited unexpectedly with %s; see var/logs/", name, process.returncode)
                    return 1
            time.sleep(0.5)
    finally:
        stack.stop()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Interactive German conversation in the terminal, over the running Rasa server."""
    import uuid

    from bot.infra.rasa_client import RasaApi, RasaUnavailable

    sender = f"cli:{uuid.uuid4().hex}"
    rasa = RasaApi(args.rasa_url, token=None, timeout_seconds=10)
    print("Bürgerbot – schreiben Sie Ihre Frage (Ende mit Strg-D).")
    while True:
        try:
            text = input("Sie: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        try:
            replies = rasa.send(sender, text)
        except RasaUnavailable:
            print("Bot: Der Bürgerbot ist gerade nicht erreichbar. Läuft `make run`?")
            continue
        for reply in replies:
            if reply.get("text"):
                print(f"Bot: {reply['text']}")
            for button in reply.get("buttons", []):
                print(f"     [{button['title']}]")


def cmd_logs_purge(args: argparse.Namespace) -> int:
    from bot.staff.retention import purge_conversations
    from bot.staff.settings import get_settings

    settings = get_settings()
    days = args.days or settings.retention_days
    count = purge_conversations(settings.tracker_database_url, days)
    print(f"{count} Gespräche gelöscht, die älter als {days} Tage sind.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="buergerbot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help="train a model if data, config or domain changed").set_defaults(func=cmd_train)
    sub.add_parser("run", help="start backend, action server and Rasa server").set_defaults(func=cmd_run)
    chat = sub.add_parser("chat", help="talk to the running bot in the terminal")
    chat.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    chat.set_defaults(func=cmd_chat)
    logs = sub.add_parser("logs", help="conversation logs").add_subparsers(dest="logs_command", required=True)
    purge = logs.add_parser("purge", help="delete conversations older than the retention period")
    purge.add_argument("--days", type=int, help="override BUERGERBOT_RETENTION_DAYS (default 90)")
    purge.set_defaults(func=cmd_logs_purge)
    staff_cli.add_parsers(sub)
    catalogue_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        status: int = args.func(args)
        return status
    except StaffError as error:  # the one edge where staff errors meet the terminal
        print(error.text, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
