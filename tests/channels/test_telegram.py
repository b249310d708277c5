"""Telegram end to end: fake Bot API on loopback → gateway (real process) → Rasa → actions → backend."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from bot.launcher.processes import Stack
from tests.conftest import free_port
from tests.fakes.telegram_api import FakeTelegramAPI, button_press, photo_message, text_message, texts_for
from tests.support import eventually

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SECRET = "s3cr3t-webhook-token"
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def telegram_api() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI(port=free_port())
    api.start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def telegram_gateway(full_stack: Stack, telegram_api: FakeTelegramAPI, tmp_path_factory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("telegram-gateway")
    stack = Stack(
        replace(full_stack.ports, gateway=free_port()),
        full_stack.model,
        log_dir=logs,
        env={
            **full_stack.env,
            "BUERGERBOT_RASA_TOKEN": full_stack.rasa_token,  # the same Rasa server
            "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
            "BUERGERBOT_TELEGRAM_API_BASE_URL": telegram_api.base_url,
            "BUERGERBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "BUERGERBOT_TELEGRAM_WEBHOOK_URL": "https://buergerbot.example/telegram/webhook",
        },
    )
    stack.start(("gateway",))
    try:
        stack.wait_ready(timeout=60)
        yield stack
    finally:
        stack.stop()


def post(gateway: Stack, update: dict, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return httpx.post(f"{gateway.gateway_url}/telegram/webhook", json=update, headers=headers, timeout=10)


def chat() -> int:
    return 900_000 + next(_ids)


def test_webhook_is_registered_with_a_secret(telegram_gateway, telegram_api):
    hooks = telegram_api.sent("setWebhook")
    assert hooks and hooks[-1]["url"] == "https://buergerbot.example/telegram/webhook"
    assert hooks[-1]["secret_token"] == SECRET
    assert httpx.get(f"{telegram_gateway.gateway_url}/health", timeout=10).json()["telegram"] == "on"


@pytest.mark.parametrize("secret", [None, "wrong"])
def test_missing_or_wrong_secret_is_forbidden(telegram_gateway, telegram_api, secret):
    chat_id = chat()
    assert post(telegram_gateway, text_message(next(_ids), chat_id, "Hallo"), secret).status_code == 403
    assert [p for p in telegram_api.sent() if int(p["chat_id"]) == chat_id] == []


def test_start_greets_and_shows_help_as_inline_keyboard(telegram_gateway, telegram_api):
    chat_id = chat()
    assert post(telegram_gateway, text_message(next(_ids), chat_id, "/start")).status_code == 200
    greeting, help_message = texts_for(telegram_api, chat_id, 2)
    assert "Bürgerbot" in greeting["text"]
    keyboard = help_message["reply_markup"]["inline_keyboard"]
    assert ["Stand meines Antrags"] in [[b["text"] for b in row] for row in keyboard]
    # The button carries a short key of the library's callback-data cache; pressing it sends its payload.
    case_status = next(b for row in keyboard for b in row if b["text"] == "Stand meines Antrags")
    assert len(case_status["callback_data"].encode()) <= 64
    post(telegram_gateway, button_press(next(_ids), chat_id, case_status["callback_data"]))
    assert "Aktenzeichen" in texts_for(telegram_api, chat_id, 3)[2]["text"]


def test_an_unknown_button_is_no_longer_valid(telegram_gateway, telegram_api):
    chat_id = chat()
    press = button_press(next(_ids), chat_id, "/case_status")  # not a key the gateway handed out
    post(telegram_gateway, press)
    assert texts_for(telegram_api, chat_id, 1)[0]["text"].startswith("Diese Auswahl ist nicht mehr gültig")
    # The press was answered (spinner stopped) before the reply was sent.
    assert press["callback_query"]["id"] in [p["callback_query_id"] for p in telegram_api.sent("answerCallbackQuery")]


def test_question_then_button_press(telegram_gateway, telegram_api):
    chat_id = chat()
    post(telegram_gateway, text_message(next(_ids), chat_id, "Was kostet ein Reisepass?"))
    answer = texts_for(telegram_api, chat_id, 1)[0]
    assert answer["text"].startswith("Gebühr für Reisepass")
    buttons = [b for row in answer["reply_markup"]["inline_keyboard"] for b in row]
    duration = next(b for b in buttons if b["text"] == "Dauer")
    press = button_press(next(_ids), chat_id, duration["callback_data"])
    post(telegram_gateway, press)
    assert texts_for(telegram_api, chat_id, 2)[1]["text"].startswith("Bearbeitungszeit für Reisepass")
    assert press["callback_query"]["id"] in [p["callback_query_id"] for p in telegram_api.sent("answerCallbackQuery")]


def test_photo_gets_a_please_write_text_reply(telegram_gateway, telegram_api):
    chat_id = chat()
    post(telegram_gateway, photo_message(next(_ids), chat_id))
    assert "nur Textnachrichten" in texts_for(telegram_api, chat_id, 1)[0]["text"]


def test_case_status_over_telegram(telegram_gateway, telegram_api):
    chat_id = chat()
    for count, text in enumerate(("Wie ist der Stand meines Antrags?", "ba 2025 004711", "K7M2Q9"), start=1):
        post(telegram_gateway, text_message(next(_ids), chat_id, text))
        texts_for(telegram_api, chat_id, count)
    messages = texts_for(telegram_api, chat_id, 4)
    assert "Aktenzeichen" in messages[0]["text"] and "Zugangscode" in messages[1]["text"]
    assert "in Bearbeitung" in messages[2]["text"]


def test_flood_control_is_retried(telegram_gateway, telegram_api):
    chat_id = chat()
    telegram_api.flood_control("sendMessage", 1, chat_id=chat_id)
    post(telegram_gateway, text_message(next(_ids), chat_id, "Hallo"))
    delivered = texts_for(telegram_api, chat_id, 2)  # the refused attempt and the retried one
    assert delivered[0]["text"] == delivered[1]["text"] and "Bürgerbot" in delivered[1]["text"]


def test_new_conversation_command(telegram_gateway, telegram_api):
    chat_id = chat()
    post(telegram_gateway, text_message(next(_ids), chat_id, "/neu"))
    assert texts_for(telegram_api, chat_id, 1)[0]["text"] == "Ein neues Gespräch hat begonnen."


def test_answers_can_be_rated_and_the_rating_reaches_the_staff_database(telegram_gateway, telegram_api):
    import sqlalchemy as sa

    chat_id = chat()
    question = text_message(next(_ids), chat_id, "Wann hat das Bürgeramt geöffnet?")
    post(telegram_gateway, question)
    answer = texts_for(telegram_api, chat_id, 1)[-1]
    rating_row = answer["reply_markup"]["inline_keyboard"][-1]
    assert [b["text"] for b in rating_row] == ["👍 Hilfreich", "👎 Nicht hilfreich"]
    press = button_press(next(_ids), chat_id, rating_row[1]["callback_data"])
    post(telegram_gateway, press)

    def rating_answered() -> list[dict]:
        calls = telegram_api.sent("answerCallbackQuery")
        return [p for p in calls if p["callback_query_id"] == press["callback_query"]["id"]]

    answers = eventually(rating_answered, timeout=30, what="the rating was answered")
    assert answers[0]["text"] == "Danke für Ihre Rückmeldung."
    engine = sa.create_engine(f"sqlite:///{telegram_gateway.env['BUERGERBOT_DATA_DIR']}/staff.db")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT ref, value FROM ratings WHERE sender_id = :s"), {"s": f"telegram:{chat_id}"}
        ).all()
    engine.dispose()
    assert [(r.ref, r.value) for r in rows] == [(str(question["message"]["message_id"]), -1)]
