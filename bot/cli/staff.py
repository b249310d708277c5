"""`buergerbot` subcommands for staff who prefer a terminal: accounts, review, export, retrain,
evaluate, promote, rollback, audit log. They work on the same databases as the console."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from pydantic import SecretStr

from bot.staff.accounts import ROLES
from bot.staff.context import StaffContext
from bot.staff.settings import get_settings


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _context() -> StaffContext:
    from bot.infra.local_secrets import RASA_TOKEN, existing_local_secret

    settings = get_settings()
    if settings.rasa_token is None and (token := existing_local_secret(RASA_TOKEN)):
        settings = settings.copy(update={"rasa_token": SecretStr(token)})  # the token `make run` uses
    return StaffContext.open(settings)


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "–"
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).astimezone().strftime("%d.%m.%Y %H:%M")


def _progress_bar() -> tuple[Any, Any]:
    from tqdm import tqdm

    bar = tqdm(total=100, bar_format="{l_bar}{bar}| {n:.0f}% {postfix}", file=sys.stderr)

    def update(fraction: float, stage: str) -> None:
        bar.n = round(fraction * 100)
        bar.set_postfix_str(stage)
        bar.refresh()

    return bar, update


def cmd_staff_add(args: argparse.Namespace) -> int:
    from bot.staff.accounts import add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Passwort: ")
        if getpass.getpass("Passwort wiederholen: ") != password:
            print("Die Passwörter stimmen nicht überein.", file=sys.stderr)
            return 1
    ctx = _context()
    user = add_user(ctx.staff, args.name, password, args.role)
    with ctx.staff.begin() as conn:
        from bot.staff import audit

        audit.record(conn, _actor(), "staff.add", user.name, {"role": user.role})
    print(f"Konto {user.name} ({user.role}) angelegt. Anmeldung: http://localhost:8000/staff")
    return 0


def cmd_staff_list(_args: argparse.Namespace) -> int:
    from bot.staff.accounts import list_users

    for user in list_users(_context().staff):
        print(f"{user.name:24} {user.role}")
    return 0


def cmd_review_list(args: argparse.Namespace) -> int:
    from bot.staff.inbox import InboxFilter, list_messages

    ctx = _context()
    flt = InboxFilter(
        low_confidence=args.low_confidence,
        fallback=args.fallback,
        intent=args.intent,
        channel=args.channel,
        rated_down=args.rated_down,
        reviewed=False if args.open else None,
        q=args.search,
    )
    items, _ = list_messages(
        ctx.tracker,
        ctx.staff,
        flt,
        limit=args.limit,
        low_confidence=ctx.settings.low_confidence,
        zone=ctx.settings.timezone,
    )
    for item in items:
        status = item.review["status"] if item.review else "offen"
        rating = {1: "👍", -1: "👎"}.get(item.rating or 0, " ")
        print(
            f"{item.id:>7} {_when(item.at)} {item.channel:8} {rating} {item.intent or '?':22} "
            f"{item.confidence:5.2f} {status:10} {item.text}"
        )
    if not items:
        print("Keine Nachrichten für diese Filter.")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from bot.staff.errors import StaffError
    from bot.staff.reviews import review

    ctx = _context()
    entities = [dict(zip(("entity", "value"), e.split("=", 1), strict=False)) for e in args.entity or []]
    failed = 0
    for event_id in args.ids:
        try:
            result = review(
                ctx.tracker,
                ctx.staff,
                ctx.settings.domain_file,
                event_id=event_id,
                decision=args.decision,
                actor=_actor(),
                intent=getattr(args, "intent", None),
                entities=entities or None,
            )
            print(f"{event_id}: {result['status']} {result['intent'] or ''}")
        except StaffError as error:
            failed += 1
            print(f"{event_id}: {error.text}", file=sys.stderr)
    return 1 if failed else 0


def cmd_export(_args: argparse.Namespace) -> int:
    from bot.staff.export import export

    ctx = _context()
    result = export(ctx.staff, ctx.settings.training_data_dir / "nlu", ctx.settings.reviewed_export_file, _actor())
    print(
        f"{result.exported} Beispiele nach {result.path} exportiert, {result.already_in_training_data} standen "
        f"schon in den Trainingsdaten, {len(result.conflicts)} Konflikte."
    )
    for conflict in result.conflicts:
        labels = ", ".join(sorted({r["intent"] for r in conflict["reviews"]}))
        known = f" (Trainingsdaten: {conflict['training_data']})" if conflict["training_data"] else ""
        print(f"  Konflikt: {conflict['text']!r}: {labels}{known}")
    return 0


def cmd_retrain(_args: argparse.Namespace) -> int:
    from bot.staff import jobs
    from bot.staff.retrain import retrain

    ctx = _context()
    actor = _actor()
    job_id = jobs.create(ctx.staff, "retrain", actor)
    bar, update = _progress_bar()

    def work(progress: Callable[[float, str], None]) -> dict[str, Any]:
        def both(fraction: float, stage: str) -> None:  # the job record and the terminal's bar
            progress(fraction, stage)
            update(fraction, stage)

        return retrain(ctx.settings, ctx.staff, actor, both)

    try:
        summary = jobs.run(ctx.staff, job_id, work)
    finally:
        bar.close()
    heldout = summary["heldout"]
    print(
        f"Kandidat {summary['model']}: Testdatensatz {heldout['candidate']:.1%} (live {heldout['live']:.1%}), "
        f"{summary['changed']} geänderte Vorhersagen. Übernehmen mit: buergerbot promote {summary['model']}"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.staff import registry
    from bot.staff.promotion import adopt_running_model
    from bot.staff.retrain import evaluate

    ctx = _context()
    model = registry.get(ctx.staff, args.model) if args.model else None
    if model is None:
        candidates = [m for m in registry.all_models(ctx.staff) if m["status"] == "candidate"]
        if not candidates:
            print("Kein Kandidat vorhanden: zuerst `buergerbot retrain`.", file=sys.stderr)
            return 1
        model = candidates[0]
    live = adopt_running_model(ctx.settings, ctx.staff)
    bar, update = _progress_bar()
    try:
        evaluation = evaluate(
            ctx.settings, ctx.staff, Path(model["path"]), Path(live["path"]) if live else None, update
        )
    finally:
        bar.close()
    registry.set_evaluation(ctx.staff, model["name"], evaluation)
    _print_evaluation(model["name"], evaluation)
    return 0


def _print_evaluation(name: str, evaluation: dict[str, Any]) -> None:
    for source, title in (("heldout", "Testdatensatz"), ("reviewed", "Geprüfte Beispiele")):
        live, new = evaluation[source]["live"], evaluation[source]["candidate"]
        print(
            f"{title} ({new['n']}): Trefferquote live {live['accuracy']:.1%} → {name} {new['accuracy']:.1%}, "
            f"Makro-F1 {live['macro_f1']:.3f} → {new['macro_f1']:.3f}"
        )
    print(f"{'Absicht':24} {'F1 live':>8} {'F1 neu':>8} {'Anzahl':>7}")
    live_intents = evaluation["heldout"]["live"]["per_intent"]
    for intent, row in evaluation["heldout"]["candidate"]["per_intent"].items():
        print(f"{intent:24} {live_intents.get(intent, {}).get('f1', 0):8.3f} {row['f1']:8.3f} {row['support']:7}")
    print(f"Geänderte Vorhersagen: {len(evaluation['changed'])}; Konfusionsmatrix: {evaluation.get('confusion_png')}")
    for change in evaluation["changed"][:20]:
        mark = "besser" if change["better"] else "schlechter" if change["live"] == change["expected"] else "anders"
        print(
            f"  [{mark}] {change['text']!r}: {change['live']} → {change['candidate']} (erwartet {change['expected']})"
        )


def cmd_models(_args: argparse.Namespace) -> int:
    from bot.staff import registry
    from bot.staff.promotion import adopt_running_model

    ctx = _context()
    adopt_running_model(ctx.settings, ctx.staff)  # the model Rasa runs is listed even before the first retrain
    for model in registry.all_models(ctx.staff):
        heldout = (model["evaluation"] or {}).get("heldout", {}).get("candidate", {}).get("accuracy")
        print(
            f"{model['name']:36} {model['status']:10} {_when(model['created_at'])} "
            f"{'' if heldout is None else f'{heldout:.1%}'}"
        )
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from bot.staff.accounts import StaffUser
    from bot.staff.promotion import promote

    ctx = _context()
    model = promote(ctx.settings, ctx.staff, args.model, StaffUser(0, _actor(), "admin"), args.override_reason)
    print(f"{model['name']} ist jetzt live.")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from bot.staff.accounts import StaffUser
    from bot.staff.promotion import rollback

    ctx = _context()
    model = rollback(ctx.settings, ctx.staff, StaffUser(0, _actor(), "admin"), args.model)
    print(f"Zurück zu {model['name']}: jetzt live.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.staff.audit import entries

    for entry in reversed(entries(_context().staff, args.limit)):
        print(
            f"{_when(entry['at'])} {entry['actor']:20} {entry['action']:24} {entry['target']} {entry['detail'] or ''}"
        )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    staff = sub.add_parser("staff", help="staff accounts").add_subparsers(dest="staff_command", required=True)
    add = staff.add_parser("add", help="create a console account (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_staff_add)
    staff.add_parser("list", help="list accounts").set_defaults(func=cmd_staff_list)

    review = sub.add_parser("review", help="the NLU inbox").add_subparsers(dest="review_command", required=True)
    listing = review.add_parser("list", help="citizens' messages (redacted), newest first")
    listing.add_argument("--low-confidence", action="store_true")
    listing.add_argument("--fallback", action="store_true")
    listing.add_argument("--rated-down", action="store_true")
    listing.add_argument("--open", action="store_true", help="only messages nobody reviewed yet")
    listing.add_argument("--intent")
    listing.add_argument("--channel", choices=("web", "telegram", "api"))
    listing.add_argument("--search")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=cmd_review_list)
    for decision, text in (("confirm", "confirm the predicted intent"), ("discard", "unfit for training")):
        parser = review.add_parser(decision, help=text)
        parser.add_argument("ids", type=int, nargs="+")
        parser.set_defaults(func=cmd_review, decision=decision, entity=None)
    correct = review.add_parser("correct", help="set the right intent (and entities)")
    correct.add_argument("ids", type=int, nargs="+")
    correct.add_argument("--intent", required=True)
    correct.add_argument("--entity", action="append", help="entity=value (value as it appears in the text)")
    correct.set_defaults(func=cmd_review, decision="correct")

    sub.add_parser("export", help="write reviewed examples to data/nlu/reviewed.yml").set_defaults(func=cmd_export)
    sub.add_parser("retrain", help="export, train a candidate, evaluate it against the live model").set_defaults(
        func=cmd_retrain
    )
    evaluate = sub.add_parser("evaluate", help="compare a candidate (default: newest) with the live model")
    evaluate.add_argument("model", nargs="?")
    evaluate.set_defaults(func=cmd_evaluate)
    sub.add_parser("models", help="trained models and their status").set_defaults(func=cmd_models)
    promote = sub.add_parser("promote", help="load a candidate into the running Rasa server")
    promote.add_argument("model")
    promote.add_argument("--override-reason", help="promote despite an accuracy drop (audited)")
    promote.set_defaults(func=cmd_promote)
    rollback = sub.add_parser("rollback", help="back to the previous live model (or MODEL)")
    rollback.add_argument("model", nargs="?")
    rollback.set_defaults(func=cmd_rollback)
    audit = sub.add_parser("audit", help="the audit log")
    audit.add_argument("--limit", type=int, default=50)
    audit.set_defaults(func=cmd_audit)
