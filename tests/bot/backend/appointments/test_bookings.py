"""Holds, confirmation, the limits against hoarding, look-ups with code and e-mail, cancel, move and
no-show, through the HTTP API the dialogue uses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.backend.appointments.codes import BOOKING_CODE_LENGTH
from bot.backend.appointments.tables import BookingRecord, SlotClaimRecord
from bot.backend.mail.outbox import OutboxRecord
from bot.core.appointment_slots import BERLIN

from .conftest import NOW, STAFF, Backend

WEDDING = "2026-12-01T08:30:00+01:00"  # Standesamt (one counter), Tuesday 08:30–09:00


def test_hold_then_confirm_gives_a_booking_with_a_code(backend: Backend):
    held = backend.hold("eheschliessung", "standesamt", WEDDING)
    assert held.status_code == 201, held.text
    hold = held.json()
    assert hold["start"] == WEDDING and hold["end"] == "2026-12-01T09:00:00+01:00"
    assert hold["expires_at"] == "2026-11-30T07:05:00+01:00" and len(hold["id"]) >= 20
    confirmed = backend.confirm(hold["id"], "Erika.Mustermann@Example.DE")
    assert confirmed.status_code == 201, confirmed.text
    booking = confirmed.json()
    code = booking["code"]
    assert len(code) == BOOKING_CODE_LENGTH >= 8 and not set(code) & set("01OIL")
    assert booking["label"] == "Dienstag, 1. Dezember 2026, 08:30 Uhr"
    assert booking["office"] == {
        "id": "standesamt",
        "name": "Standesamt Musterstadt",
        "address": "Rathausplatz 1, 12345 Musterstadt",
    }
    assert booking["documents"] and booking["status"] == "booked" and booking["repeated"] is False
    with backend.session_factory() as session:
        stored = session.get(BookingRecord, booking["id"])
        assert code not in stored.code_hash and stored.code_hash.startswith("scrypt$")
        assert stored.email == "Erika.Mustermann@example.de"


def test_a_held_slot_blocks_others_until_the_hold_expires(backend: Backend):
    assert backend.hold("eheschliessung", "standesamt", WEDDING, "web:anna").status_code == 201
    refused = backend.hold("eheschliessung", "standesamt", WEDDING, "web:bert")
    assert refused.status_code == 409 and refused.json()["code"] == "slot_taken"
    assert "nicht mehr frei" in refused.json()["detail"]
    assert refused.json()["next_slots"][0]["start"] > WEDDING
    assert WEDDING not in [s["start"] for s in backend.slots("eheschliessung", limit=20)]
    backend.later(minutes=5)  # the hold expires by itself
    assert WEDDING in [s["start"] for s in backend.slots("eheschliessung", limit=20)]
    assert backend.hold("eheschliessung", "standesamt", WEDDING, "web:bert").status_code == 201


def test_a_new_hold_of_a_client_releases_its_previous_one(backend: Backend):
    first = backend.hold("eheschliessung", "standesamt", WEDDING, "web:anna").json()
    second = backend.hold("eheschliessung", "standesamt", "2026-12-01T09:00:00+01:00", "web:anna")
    assert second.status_code == 201
    assert backend.hold("eheschliessung", "standesamt", WEDDING, "web:bert").status_code == 201
    gone = backend.confirm(first["id"])
    assert gone.status_code == 404 and gone.json()["code"] == "hold_not_found"
    assert backend.client.delete(f"/api/appointments/holds/{second.json()['id']}").status_code == 204
    assert backend.client.delete(f"/api/appointments/holds/{second.json()['id']}").status_code == 404


def test_times_that_are_no_slot_are_refused_with_the_next_ones(backend: Backend):
    for start in ("2026-12-01T08:40:00+01:00", "2026-11-30T06:00:00+01:00", "2026-12-02T08:30:00+01:00"):
        refused = backend.hold("eheschliessung", "standesamt", start)
        assert refused.status_code == 409 and refused.json()["next_slots"], start
    backend.at(datetime(2026, 12, 1, 8, 10, tzinfo=BERLIN))  # within the lead time
    assert backend.hold("eheschliessung", "standesamt", WEDDING).status_code == 409
    wrong_office = backend.hold("eheschliessung", "buergeramt", WEDDING)
    assert wrong_office.status_code == 422 and wrong_office.json()["code"] == "office_not_for_service"
    no_appointments = backend.hold("fundsache", "fundbuero", WEDDING)
    assert no_appointments.status_code == 422 and no_appointments.json()["online_url"]


def test_a_repeated_confirm_with_the_same_key_returns_the_same_booking(backend: Backend):
    hold = backend.hold("eheschliessung", "standesamt", WEDDING).json()
    first = backend.confirm(hold["id"], key="same-key-0123456789")
    again = backend.confirm(hold["id"], key="same-key-0123456789")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["code"] == first.json()["code"]
    assert again.json()["repeated"] is True
    other_key = backend.confirm(hold["id"], key="another-key-0123456789")
    assert other_key.status_code == 409 and other_key.json()["code"] == "hold_already_used"
    other_hold = backend.hold("reisepass", "buergeramt", "2026-11-30T07:30:00+01:00").json()
    reused = backend.confirm(other_hold["id"], "b@example.de", key="same-key-0123456789")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    missing = backend.client.post(
        f"/api/appointments/holds/{hold['id']}/confirm", json={"name": "A B", "email": "a@b.de"}
    )
    assert missing.status_code == 422
    with backend.session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BookingRecord)) == 1


def test_an_expired_hold_is_confirmed_while_nobody_took_the_slot(backend: Backend):
    hold = backend.hold("eheschliessung", "standesamt", WEDDING, "web:anna").json()
    backend.later(minutes=20)
    assert backend.confirm(hold["id"]).status_code == 201
    taken = backend.hold("eheschliessung", "standesamt", "2026-12-01T09:00:00+01:00", "web:bert").json()
    backend.later(minutes=20)
    assert backend.hold("eheschliessung", "standesamt", "2026-12-01T09:00:00+01:00", "web:carl").status_code == 201
    late = backend.confirm(taken["id"], "bert@example.de")
    assert late.status_code == 409 and late.json()["code"] == "slot_taken" and late.json()["next_slots"]


def test_one_open_booking_per_address_and_service(backend: Backend):
    backend.book("reisepass", "erika@example.de")
    hold = backend.hold("reisepass", "buergeramt", backend.slots("reisepass", limit=1)[0]["start"]).json()
    for variant in ("erika@example.de", "ERIKA@example.de", "erika+termin@Example.de"):
        refused = backend.confirm(hold["id"], variant)
        assert refused.status_code == 409, variant
        assert refused.json()["code"] == "open_booking_exists"
        assert refused.json()["detail"].startswith("Sie haben für diese Leistung schon einen offenen Termin.")
    assert backend.confirm(hold["id"], "max@example.de").status_code == 201
    assert backend.book("personalausweis", "erika@example.de")["status"] == "booked"  # another service


def test_a_past_or_cancelled_booking_is_no_longer_open(backend: Backend):
    booked = backend.book("reisepass", "erika@example.de")
    backend.client.post("/api/appointments/cancel", json={"code": booked["code"], "email": "erika@example.de"})
    again = backend.book("reisepass", "erika@example.de")
    backend.at(datetime.fromisoformat(again["end"]) + timedelta(minutes=1))
    assert backend.book("reisepass", "erika@example.de")["status"] == "booked"


def test_holds_per_client_are_limited(backend: Backend):
    starts = [s["start"] for s in backend.slots("personalausweis", office="buergeramt", limit=12)]
    for start in starts[:10]:
        assert backend.hold("personalausweis", "buergeramt", start, "web:bot").status_code == 201
    refused = backend.hold("personalausweis", "buergeramt", starts[10], "web:bot")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_holds"
    assert refused.json()["detail"].startswith("Zu viele Reservierungen")
    assert int(refused.headers["Retry-After"]) == refused.json()["retry_after_seconds"] == 600
    assert backend.hold("personalausweis", "buergeramt", starts[10], "web:citizen").status_code == 201
    backend.later(minutes=10)
    assert backend.hold("personalausweis", "buergeramt", starts[11], "web:bot").status_code == 201


def test_find_cancel_and_the_slot_is_free_again(backend: Backend):
    booked = backend.book("eheschliessung", "erika@example.de")
    found = backend.client.post(
        "/api/appointments/find", json={"code": booked["code"].lower(), "email": "erika@example.de"}
    )
    assert found.status_code == 200 and found.json()["id"] == booked["id"] and "code" not in found.json()
    assert booked["start"] not in [s["start"] for s in backend.slots("eheschliessung", limit=5)]
    grouped = f"{booked['code'][:4]} {booked['code'][4:]}"
    cancelled = backend.client.post("/api/appointments/cancel", json={"code": grouped, "email": "erika@example.de"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert booked["start"] in [s["start"] for s in backend.slots("eheschliessung", limit=5)]
    twice = backend.client.post("/api/appointments/cancel", json={"code": booked["code"], "email": "erika@example.de"})
    assert twice.status_code == 409 and twice.json()["detail"] == "Dieser Termin ist bereits abgesagt."


def test_wrong_codes_are_limited_like_access_codes(backend: Backend):
    booked = backend.book("eheschliessung", "erika@example.de")
    wrong = {"code": "AAAAAAAAAA", "email": "erika@example.de"}
    lefts = []
    for _ in range(4):
        answer = backend.client.post("/api/appointments/cancel", json=wrong)
        assert answer.status_code == 403 and answer.json()["code"] == "booking_not_verified"
        lefts.append(answer.json()["attempts_left"])
    assert lefts == [4, 3, 2, 1]
    locked = backend.client.post("/api/appointments/move", json={**wrong, "hold_id": "x" * 22})
    assert locked.status_code == 423 and locked.json()["detail"].startswith("Zu viele Fehlversuche")
    assert int(locked.headers["Retry-After"]) > 0
    right = {"code": booked["code"], "email": "erika@example.de"}
    assert backend.client.post("/api/appointments/find", json=right).status_code == 423  # locked, even when right
    unknown = backend.client.post("/api/appointments/find", json={**wrong, "email": "nobody@example.de"})
    assert unknown.status_code == 403 and unknown.json()["detail"] == "Buchungscode oder E-Mail-Adresse stimmen nicht."
    backend.later(minutes=15)
    assert backend.client.post("/api/appointments/find", json=right).status_code == 200


def test_move_keeps_id_and_code_and_frees_the_old_slot(backend: Backend):
    booked = backend.book("eheschliessung", "erika@example.de")
    new_start = "2026-12-03T08:30:00+01:00"
    hold = backend.hold("eheschliessung", "standesamt", new_start, "web:erika").json()
    moved = backend.client.post(
        "/api/appointments/move", json={"code": booked["code"], "email": "erika@example.de", "hold_id": hold["id"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["id"] == booked["id"] and moved.json()["start"] == new_start
    assert booked["start"] in [s["start"] for s in backend.slots("eheschliessung", limit=5)]
    assert new_start not in [s["start"] for s in backend.slots("eheschliessung", limit=30)]
    found = backend.client.post("/api/appointments/find", json={"code": booked["code"], "email": "erika@example.de"})
    assert found.json()["start"] == new_start
    used = backend.client.post(
        "/api/appointments/move", json={"code": booked["code"], "email": "erika@example.de", "hold_id": hold["id"]}
    )
    assert used.status_code == 409 and used.json()["code"] == "hold_already_used"
    other = backend.hold("reisepass", "buergeramt", backend.slots("reisepass", limit=1)[0]["start"], "web:erika").json()
    wrong = backend.client.post(
        "/api/appointments/move", json={"code": booked["code"], "email": "erika@example.de", "hold_id": other["id"]}
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "hold_for_other_service"
    with backend.session_factory() as session:
        claims = session.scalars(sa.select(SlotClaimRecord).where(SlotClaimRecord.booking_id == booked["id"])).all()
        assert len(claims) == 6 and {c.expires_at for c in claims} == {None}  # 30 minutes = 6 units


def test_move_to_another_office_of_the_service(backend: Backend):
    booked = backend.book("personalausweis", "erika@example.de")
    north = backend.slots("personalausweis", office="buergeramt_nord", limit=1)[0]
    hold = backend.hold("personalausweis", "buergeramt_nord", north["start"], "web:erika").json()
    moved = backend.client.post(
        "/api/appointments/move", json={"code": booked["code"], "email": "erika@example.de", "hold_id": hold["id"]}
    ).json()
    assert moved["office"]["id"] == "buergeramt_nord" and moved["start"] == north["start"]


def test_cancel_by_the_signed_link_of_the_e_mails(backend: Backend):
    from bot.backend.appointments.links import cancel_token

    booked = backend.book("eheschliessung")
    wrong = backend.client.post("/api/appointments/cancel", json={"booking_id": booked["id"], "token": "x" * 32})
    assert wrong.status_code == 403 and wrong.json()["code"] == "invalid_token"
    with backend.session_factory() as session:
        token = cancel_token(session.get(BookingRecord, booked["id"]), b"test-appointment-secret")
    done = backend.client.post("/api/appointments/cancel", json={"booking_id": booked["id"], "token": token})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    both = backend.client.post(
        "/api/appointments/cancel", json={"booking_id": 1, "token": token, "code": "ABCDEFGH", "email": "a@b.de"}
    )
    assert both.status_code == 422


def test_e_mails_go_to_the_outbox_with_the_ics_and_without_the_code(backend: Backend):
    hold = backend.hold("eheschliessung", "standesamt", WEDDING).json()
    booked = backend.confirm(hold["id"], "erika@example.de").json()
    with backend.session_factory() as session:
        mails = session.scalars(sa.select(OutboxRecord).where(OutboxRecord.booking_id == booked["id"])).all()
        kinds = {m.kind: m for m in mails}
        assert set(kinds) == {"appointment_confirmation", "appointment_reminder"}
        confirmation, reminder = kinds["appointment_confirmation"], kinds["appointment_reminder"]
        assert (
            confirmation.to_address == "erika@example.de"
            and "Dienstag, 1. Dezember 2026, 08:30 Uhr" in confirmation.subject
        )
        assert booked["code"] not in confirmation.body and "/termin/absagen?buchung=" in confirmation.body
        assert confirmation.attachments[0]["filename"] == "termin.ics"
        assert reminder.send_after.replace(tzinfo=timezone.utc) == datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)
    backend.client.post("/api/appointments/cancel", json={"code": booked["code"], "email": "erika@example.de"})
    with backend.session_factory() as session:
        mails = session.scalars(sa.select(OutboxRecord).where(OutboxRecord.booking_id == booked["id"])).all()
        states = {m.kind: m.cancelled_at is not None for m in mails}
        assert states == {
            "appointment_confirmation": False,
            "appointment_reminder": True,
            "appointment_cancellation": False,
        }


def test_no_show_only_once_the_appointment_began(backend: Backend):
    booked = backend.book("eheschliessung")
    early = backend.client.post(f"/api/appointments/bookings/{booked['id']}/no-show", headers=STAFF)
    assert early.status_code == 409 and early.json()["code"] == "booking_not_changeable"
    backend.at(datetime.fromisoformat(booked["start"]) + timedelta(minutes=10))
    marked = backend.client.post(f"/api/appointments/bookings/{booked['id']}/no-show", headers=STAFF)
    assert marked.status_code == 200 and marked.json()["status"] == "no_show"
    assert backend.client.post("/api/appointments/bookings/999/no-show", headers=STAFF).status_code == 404
    late = backend.client.post("/api/appointments/cancel", json={"code": booked["code"], "email": "erika@example.de"})
    assert late.status_code == 409


def test_the_office_view_lists_bookings_of_the_range(backend: Backend):
    one = backend.book("eheschliessung", "a@example.de")
    two = backend.book("personalausweis", "b@example.de")
    day = backend.client.get(
        "/api/appointments/offices/standesamt/bookings",
        params={"from": "2026-11-30", "to": "2026-11-30"},
        headers=STAFF,
    ).json()
    assert [b["id"] for b in day] == [one["id"]] and day[0]["name"] == "Erika Mustermann" and day[0]["counter"] == 1
    tomorrow = backend.client.get(
        "/api/appointments/offices/standesamt/bookings",
        params={"from": "2026-12-01", "to": "2026-12-01"},
        headers=STAFF,
    )
    assert tomorrow.json() == []
    week = backend.client.get("/api/appointments/offices/buergeramt/bookings", headers=STAFF).json()
    assert [b["id"] for b in week] == [two["id"]] and week[0]["service_name"] == "Personalausweis"
    assert NOW.date().isoformat() == week[0]["start"][:10]


def test_holds_expired_a_day_ago_are_cleaned_up_by_the_next_hold(backend: Backend):
    from bot.backend.appointments.tables import HoldRecord

    backend.hold("eheschliessung", "standesamt", WEDDING, "web:anna")
    backend.later(days=1, minutes=6)
    backend.hold("personalausweis", "buergeramt", backend.slots("personalausweis", limit=1)[0]["start"], "web:bert")
    with backend.session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(HoldRecord)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(SlotClaimRecord)) == 3  # Bert's 15 minutes


def test_a_hold_whose_time_has_passed_is_not_booked(backend: Backend):
    hold = backend.hold("eheschliessung", "standesamt", WEDDING).json()
    backend.at(datetime.fromisoformat(WEDDING) + timedelta(minutes=1))
    late = backend.confirm(hold["id"])
    assert late.status_code == 409 and late.json()["code"] == "slot_taken"
    assert all(slot["start"] > WEDDING for slot in late.json()["next_slots"])
