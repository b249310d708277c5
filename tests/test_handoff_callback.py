"""A callback request outside service hours on the real stack (docs/handoff.md): a web citizen asks
for a person, the real Rasa offers one, the gateway says the chat is not staffed and offers a
callback; the citizen fills in the form over /ws/chat (invalid answers are refused with a reason and
asked again), gets a reference number, and an agent at the console's REST API assigns the request
and marks it done, both in the audit log. The form lives in the staff database: it goes on where it
stopped after the gateway restarts.

The gateway here is the shared harness of tests/test_handoff_telegram.py with a teams file whose only
team has no service hours at all: it is closed at any time of day, so nothing depends on the clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import yaml

from bot.core.opening_hours import WEEKDAYS
from bot.gateway.handoff import texts
from bot.launcher.processes import Stack
from bot.staff.accounts import add_user
from bot.staff.tables import connect
from bot.staff.teams import BERLIN, load_teams
from tests.conftest import free_port
from tests.support import eventually
from tests.test_handoff_restart import answer, restart, text_of, web_citizen
from tests.test_handoff_telegram import (
    AGENT,
    AGENT_PASSWORD,
    ASK_FOR_A_PERSON,
    TEAM,
    Frame,
    LiveSocket,
    console,
    staff_login,
    started,
    ws_url,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ADMIN = "leitung"
ADMIN_PASSWORD = "Leitung-Passwort-2026"
CALLBACK_BUTTON = "Rückruf anfordern"
NAME = "Erika Mustermann"
TOPIC = "Mein Reisepass ist abgelaufen, ich brauche bald einen neuen."
PREFERRED_TIME = "Dienstag ab 14 Uhr"
ASK_NAME = "Wie heißen Sie?"
ASK_CONTACT = "Unter welcher Telefonnummer oder E-Mail-Adresse erreichen wir Sie?"
ASK_TOPIC = "Worum geht es?"
ASK_TIME = "Wann passt es Ihnen am besten?"


def closed_teams_file(directory: Path) -> Path:
    """One team, Bürgerservice, with no service hours on any weekday: always closed."""
    path = directory / "teams.yml"
    team = {
        "id": "buergerservice",
        "name": TEAM,
        "federal_state": "NW",
        "hours": {day: [] for day in WEEKDAYS},
        "reasons": ["human_handoff", "not_understood"],
    }
    path.write_text(yaml.safe_dump({"teams": [team]}, allow_unicode=True), encoding="utf-8")
    state = load_teams(path).default.state(datetime.now(BERLIN))
    assert not state.open_now and state.changes_at is None  # an all-closed week loads and never opens
    return path


@pytest.fixture(scope="module")
def gateway(full_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A gateway of its own in front of `full_stack`'s Rasa (this module stops and starts it again),
    with a staff database holding an agent and an admin, and the closed teams file."""
    directory = tmp_path_factory.mktemp("handoff-callback")
    staff_db = f"sqlite:///{directory / 'staff.db'}"
    engine = connect(staff_db)
    add_user(engine, AGENT, AGENT_PASSWORD, "agent")
    add_user(engine, ADMIN, ADMIN_PASSWORD, "admin")
    engine.dispose()
    stack = Stack(
        replace(full_stack.ports, gateway=free_port()),
        full_stack.model,
        log_dir=directory / "logs",
        env={
            **full_stack.env,
            "BUERGERBOT_RASA_TOKEN": full_stack.rasa_token,
            "BUERGERBOT_STAFF_DATABASE_URL": staff_db,
            "BUERGERBOT_HANDOFF_TEAMS_FILE": str(closed_teams_file(directory)),
        },
    )
    with started(stack):
        yield stack


def admin_login(gateway: Stack) -> httpx.Client:
    """A client signed in as the admin (the audit log is for admins only)."""
    client = httpx.Client(base_url=gateway.gateway_url, timeout=30)
    csrf = client.get("/staff/api/csrf").json()["csrf"]
    response = client.post(
        "/staff/api/login", json={"name": ADMIN, "password": ADMIN_PASSWORD}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf"]
    return client


class Citizen:
    """The widget's side of the form: numbered message ids, each answered by the gateway itself."""

    def __init__(self, socket: LiveSocket, prefix: str) -> None:
        self.socket = socket
        self._prefix = prefix
        self._count = 0

    def _id(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count}"

    def says(self, text: str) -> Frame:
        message_id = self._id()
        self.socket.send({"type": "message", "id": message_id, "text": text})
        return answer(self.socket, message_id)

    def presses(self, payload: str, title: str) -> Frame:
        message_id = self._id()
        self.socket.send({"type": "button", "id": message_id, "payload": payload, "title": title})
        return answer(self.socket, message_id)

    def form_answer(self, text: str) -> str:
        """The gateway's answer to one form answer: one message, no buttons, not the bot's to rate."""
        frame = self.says(text)
        assert frame["rateable"] is False, frame  # the gateway answered, not Rasa
        assert [m["buttons"] for m in frame["messages"]] == [[]], frame
        return text_of(frame)


def ask_for_a_callback(citizen: Citizen) -> None:
    """The citizen asks for a person: Rasa offers, the gateway says nobody chats and offers a
    callback; the citizen presses the button and is asked for the name."""
    offer = citizen.says(ASK_FOR_A_PERSON)
    assert offer["rateable"] is True, offer  # Rasa answered; the gateway appended its offer
    said = text_of(offer)
    assert f"Der Chat mit dem Team {TEAM} ist gerade nicht besetzt." in said, offer
    assert "wieder ab" not in said  # no hours at all: no next opening to announce
    assert texts.HOTLINE in said
    offered = {b["title"]: b["payload"] for m in offer["messages"] for b in m["buttons"]}
    assert offered == {CALLBACK_BUTTON: texts.CALLBACK, "Nein, danke": texts.DECLINE}, offer

    started_form = citizen.presses(texts.CALLBACK, CALLBACK_BUTTON)
    assert started_form["rateable"] is False
    assert text_of(started_form).startswith("Gern rufen wir Sie zurück")
    assert text_of(started_form).endswith(ASK_NAME)


def finish_form(citizen: Citizen) -> str:
    """From the contact question on: two invalid contacts, a valid phone, topic, time; the reference."""
    refused = citizen.form_answer("weiß nicht")
    assert refused.startswith("Bitte geben Sie eine Telefonnummer") and refused.endswith(ASK_CONTACT), refused
    refused = citizen.form_answer("12")
    assert refused.startswith("Bitte geben Sie die Telefonnummer mit Vorwahl an") and refused.endswith(ASK_CONTACT)

    assert citizen.form_answer("0171 1234567").startswith(ASK_TOPIC)
    assert citizen.form_answer(TOPIC).startswith(ASK_TIME)
    stored = citizen.form_answer(PREFERRED_TIME)
    summary, confirmation = stored.rsplit("\n", 1)
    assert summary == "\n".join(
        [
            "Vielen Dank! Ihre Angaben:",
            f"Name: {NAME}",
            "Telefon: +491711234567",
            f"Anliegen: {TOPIC}",
            f"Gewünschte Zeit: {PREFERRED_TIME}",
        ]
    ), stored
    assert confirmation.startswith("Ihre Rückrufbitte ist gespeichert. Ihre Nummer: RR-"), stored
    reference = confirmation.split("Ihre Nummer: ", 1)[1].split(".", 1)[0]
    assert len(reference) == len("RR-7KQ4-MX2D"), reference
    return reference


def open_request(agent: httpx.Client, reference: str) -> Frame:
    """The open callback request with `reference` (GET /staff/api/callbacks?status=open)."""
    listing = agent.get("/staff/api/callbacks", params={"status": "open"})
    assert listing.status_code == 200, listing.text
    matching = [r for r in listing.json() if r["reference"] == reference]
    assert len(matching) == 1, listing.json()
    return dict(matching[0])


def test_a_callback_is_requested_outside_service_hours_and_done_by_an_agent(gateway: Stack):
    with closing(staff_login(gateway)) as agent:
        # An agent is online, yet the team is closed: the closed hours are the reason given.
        with console(gateway, agent) as live:
            socket, _ = web_citizen(gateway)
            with socket:
                citizen = Citizen(socket, "c")
                ask_for_a_callback(citizen)
                assert citizen.form_answer(NAME) == ASK_CONTACT
                reference = finish_form(citizen)
            live.next(lambda f: f["type"] == "callbacks", "the console told the callback list changed")

        request = open_request(agent, reference)
        assert {k: request[k] for k in ("channel", "team", "name", "contact_kind", "contact", "status")} == {
            "channel": "web",
            "team": "buergerservice",
            "name": NAME,
            "contact_kind": "phone",
            "contact": "+491711234567",
            "status": "open",
        }, request
        assert request["topic"] == TOPIC and request["preferred_time"] == PREFERRED_TIME
        assert request["assignee"] is None and request["done_at"] is None

        assigned = agent.post(f"/staff/api/callbacks/{request['id']}/assign")
        assert assigned.status_code == 200, assigned.text
        assert (assigned.json()["status"], assigned.json()["assignee"]) == ("assigned", AGENT)
        assert [r["id"] for r in agent.get("/staff/api/callbacks", params={"status": "assigned"}).json()] == [
            request["id"]
        ]
        done = agent.post(f"/staff/api/callbacks/{request['id']}/done")
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["assignee"]) == ("done", AGENT)
        assert done.json()["done_at"] is not None
        assert agent.post(f"/staff/api/callbacks/{request['id']}/done").status_code == 409  # done once
        assert reference not in {r["reference"] for r in agent.get("/staff/api/callbacks?status=open").json()}

        assert agent.get("/staff/api/audit").status_code == 403  # the audit log is the admins'
    with closing(admin_login(gateway)) as admin:
        log = admin.get("/staff/api/audit")
        assert log.status_code == 200, log.text
        entries = [(e["actor"], e["action"]) for e in log.json() if e["target"] == f"callback:{request['id']}"]
        assert entries == [(AGENT, "callback.done"), (AGENT, "callback.assign")]  # newest first


def test_the_callback_form_goes_on_where_it_was_after_a_gateway_restart(gateway: Stack):
    socket, session = web_citizen(gateway)
    with socket:
        before = Citizen(socket, "r")
        ask_for_a_callback(before)
        assert before.form_answer(NAME) == ASK_CONTACT
    restart(gateway)  # the same port and staff database; the gateway's memory is gone

    with LiveSocket(ws_url(gateway, f"/ws/chat?session={session}")) as again:
        assert again.next(lambda f: f["type"] == "session", "the session frame")["session"] == session
        # Not the name again: the contact is the question the stored form is at.
        reference = finish_form(Citizen(again, "after-restart-"))
        # The form is over: the citizen talks to the bot again.
        assert text_of(Citizen(again, "bot-").says("Was kostet ein Reisepass?")).startswith("Gebühr für Reisepass")

    with closing(staff_login(gateway)) as agent:
        request = eventually(lambda: open_request(agent, reference), timeout=10, what="the stored request")
        assert (request["name"], request["contact"]) == (NAME, "+491711234567")
