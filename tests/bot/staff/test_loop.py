"""The whole staff loop over real HTTP: citizens' messages the live model gets wrong are labelled
in the console, a candidate is retrained (fast test configuration) and evaluated, then promoted
into the running Rasa server while a background client keeps chatting without a single error."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from bot.gateway.chat import RASA_DOWN
from bot.launcher.processes import Stack
from tests.conftest import API_HEADERS
from tests.support import eventually

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

# A made-up greeting no model has seen: the live model cannot know it.
GREETINGS = [
    "Xylofant Brummkreisel!",
    "Xylofant Brummkreisel euch allen",
    "Xylofant Brummkreisel zurück",
    "Ein Xylofant Brummkreisel in die Runde",
]
GREETING_REPLY = "Guten Tag! Ich bin der Bürgerbot"


def chat(stack: Stack, sender: str, text: str) -> list[dict]:
    response = httpx.post(
        f"{stack.gateway_url}/api/chat", json={"sender": sender, "message": text}, headers=API_HEADERS, timeout=30
    )
    response.raise_for_status()
    return response.json()["messages"]


def wait_for_job(client: httpx.Client, job_id: int, timeout: float = 900) -> dict:
    seen = []

    def finished() -> dict:
        job = client.get(f"/staff/api/jobs/{job_id}").json()
        seen.append(job["progress"])
        assert job["status"] != "running", f"job {job_id} still running (progress {seen[-5:]})"
        return job

    job = eventually(finished, timeout=timeout, interval=1)
    return {**job, "seen_progress": seen}


class Chatter(threading.Thread):
    """A citizen who keeps asking while models change; records every failed exchange."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack, self.errors, self.answers = stack, [], 0
        self.stopping = threading.Event()

    def run(self) -> None:
        sender = f"chatter-{uuid.uuid4().hex[:8]}"
        while not self.stopping.is_set():
            try:
                messages = chat(self.stack, sender, "Wann hat das Bürgeramt geöffnet?")
                if not messages or any(m["text"] == RASA_DOWN for m in messages):
                    self.errors.append(messages)
                self.answers += 1
            except httpx.HTTPError as error:
                self.errors.append(repr(error))
            time.sleep(0.1)  # pacing, not waiting: a citizen asks about ten times a second


def test_label_retrain_evaluate_promote_without_downtime(console_stack: Stack, admin: httpx.Client):
    run = uuid.uuid4().hex[:6]
    for number, text in enumerate(GREETINGS):
        assert not chat(console_stack, f"citizen-{run}-{number}", text)[0]["text"].startswith(GREETING_REPLY)

    # The live model got them wrong; label them in the console.
    items = admin.get("/staff/api/messages", params={"q": "Brummkreisel", "reviewed": False}).json()["items"]
    mine = [i for i in items if i["text"] in GREETINGS]
    assert len(mine) == len(GREETINGS) and all(i["intent"] != "greet" for i in mine)
    for item in mine:
        response = admin.post(
            f"/staff/api/messages/{item['id']}/review", json={"decision": "correct", "intent": "greet"}
        )
        assert response.status_code == 200, response.text
    reviewed = admin.get("/staff/api/messages", params={"q": "Brummkreisel", "reviewed": True}).json()["items"]
    assert {i["review"]["intent"] for i in reviewed if i["id"] in {m["id"] for m in mine}} == {"greet"}

    # Retrain in the background and follow its progress.
    job = admin.post("/staff/api/retrain")
    assert job.status_code == 202, job.text
    finished = wait_for_job(admin, job.json()["id"])
    assert finished["status"] == "succeeded", finished["error"]
    assert finished["seen_progress"] == sorted(finished["seen_progress"]) and finished["progress"] == 1.0
    candidate = finished["result"]["model"]

    # The candidate classifies the labelled messages right; the live model did not.
    models = admin.get("/staff/api/models").json()
    evaluation = next(m for m in models["models"] if m["name"] == candidate)["evaluation"]
    changed = {c["text"]: c for c in evaluation["changed"]}
    assert all(changed[text]["candidate"] == "greet" and changed[text]["better"] for text in GREETINGS)
    assert evaluation["heldout"]["candidate"]["n"] >= 250 and "per_intent" in evaluation["heldout"]["candidate"]
    assert admin.get(f"/staff/api/models/{candidate}/confusion.png").headers["content-type"] == "image/png"
    previous = models["live"]

    # Promote while a citizen keeps chatting.
    chatter = Chatter(console_stack)

    def exchanges() -> int:  # answered or failed requests so far
        return chatter.answers + len(chatter.errors)

    chatter.start()
    eventually(lambda: exchanges() >= 3, timeout=60, what="the chatter chats before the promotion")
    promoted = admin.post(f"/staff/api/models/{candidate}/promote", json={})
    after_promotion = exchanges()
    eventually(lambda: exchanges() >= after_promotion + 3, timeout=60, what="the chatter chats after the promotion")
    chatter.stopping.set()
    chatter.join(timeout=60)
    assert promoted.status_code == 200, promoted.text
    assert chatter.errors == [] and chatter.answers > 0

    status = console_stack.rasa_api().status()
    assert status["model_file"].endswith(candidate)
    assert chat(console_stack, f"after-{run}", GREETINGS[0])[0]["text"].startswith(GREETING_REPLY)
    actions = [e["action"] for e in admin.get("/staff/api/audit").json()]
    assert {"review.correct", "export", "model.retrain", "model.promote"} <= set(actions)

    # Rollback is one call, and the earlier model answers again.
    back = admin.post("/staff/api/models/rollback", json={})
    assert back.status_code == 200 and back.json()["name"] == previous
    assert not chat(console_stack, f"rollback-{run}", GREETINGS[0])[0]["text"].startswith(GREETING_REPLY)
