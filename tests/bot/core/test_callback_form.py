"""bot.core.callback_form: the callback request the gateway runs outside service hours."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.callback_form import (
    CANCELLED,
    QUESTIONS,
    CallbackForm,
    Step,
    answer,
    is_cancel,
    start,
    summary_de,
)
from bot.core.contact import Contact
from tests.fuzz import ANY_TEXT

ASK_NAME = "Wie heißen Sie?"
ASK_CONTACT = "Unter welcher Telefonnummer oder E-Mail-Adresse erreichen wir Sie?"
ASK_TOPIC = "Worum geht es? Bitte beschreiben Sie Ihr Anliegen in ein, zwei Sätzen."
ASK_TIME = "Wann passt es Ihnen am besten? (zum Beispiel „vormittags“ oder „Dienstag ab 14 Uhr“)"

COMPLETE = CallbackForm(
    name="Jürgen Groß",
    contact=Contact("phone", "+491711234567"),
    topic="Frage zu meinem Wohngeldantrag",
    preferred_time="vormittags",
)


def run(*answers: str) -> tuple[CallbackForm, list[Step]]:
    form, _ = start()
    steps = []
    for text in answers:
        step = answer(form, text)
        steps.append(step)
        form = step.form
    return form, steps


def test_questions_are_the_agreed_ones():
    assert QUESTIONS == {"name": ASK_NAME, "contact": ASK_CONTACT, "topic": ASK_TOPIC, "preferred_time": ASK_TIME}


def test_start_explains_how_to_stop_and_asks_the_name():
    form, text = start()
    assert form == CallbackForm()
    assert form.next_field == "name" and not form.complete
    assert text.endswith(ASK_NAME)
    assert "„abbrechen“" in text


def test_a_full_run():
    form, steps = run(" Jürgen   Groß", "0171 1234567", "Frage zu meinem\nWohngeldantrag", "vormittags")
    assert [step.text for step in steps[:3]] == [ASK_CONTACT, ASK_TOPIC, ASK_TIME]
    assert [step.done for step in steps] == [False, False, False, True]
    assert not any(step.cancelled for step in steps)
    assert form == COMPLETE and form.complete and form.next_field is None
    assert steps[-1].text == summary_de(form)


def test_summary_lists_every_answer_and_leaves_the_reference_number_to_the_gateway():
    assert summary_de(COMPLETE) == (
        "Vielen Dank! Ihre Angaben:\n"
        "Name: Jürgen Groß\n"
        "Telefon: +491711234567\n"
        "Anliegen: Frage zu meinem Wohngeldantrag\n"
        "Gewünschte Zeit: vormittags"
    )
    by_mail = CallbackForm("Erika Mustermann", Contact("email", "erika@example.de"), "Ummeldung", "egal")
    assert "\nE-Mail: erika@example.de\n" in summary_de(by_mail)


def test_summary_of_an_incomplete_form_is_refused():
    with pytest.raises(ValueError, match="'topic' is missing"):
        summary_de(CallbackForm("Erika Mustermann", Contact("email", "erika@example.de")))


def test_invalid_then_valid_contact():
    form, steps = run("Erika Mustermann", "123456", "erika @example.de", "Erika@Example.DE")
    assert steps[1].form == steps[0].form  # nothing stored from an invalid answer
    assert steps[1].text.startswith("Bitte geben Sie die Telefonnummer mit Vorwahl an")
    assert steps[1].text.endswith("\n" + ASK_CONTACT)
    assert "ohne Leerzeichen" in steps[2].text and steps[2].text.endswith(ASK_CONTACT)
    assert not steps[1].done and not steps[1].cancelled
    assert steps[3].text == ASK_TOPIC
    assert form.contact == Contact("email", "Erika@example.de")


@pytest.mark.parametrize(
    ("field", "text", "says", "question"),
    [
        ("name", "R2D2", "ohne Ziffern", ASK_NAME),
        ("contact", "weiß nicht", "Telefonnummer wie", ASK_CONTACT),
        ("topic", "?", "in wenigen Worten", ASK_TOPIC),
        ("preferred_time", "   ", "Bitte nennen Sie eine Zeit", ASK_TIME),
    ],
)
def test_every_question_is_asked_again_with_the_reason(field, text, says, question):
    answers = ["Erika Mustermann", "0171 1234567", "Ummeldung"]
    form, _ = run(*answers[: ["name", "contact", "topic", "preferred_time"].index(field)])
    assert form.next_field == field
    step = answer(form, text)
    assert step.form == form
    reason, asked = step.text.split("\n")
    assert says in reason and asked == question


@pytest.mark.parametrize("text", ["abbrechen", "Abbrechen", " STOPP ", "cancel", "Abbrechen!", "stopp.", "/cancel"])
def test_cancel_at_any_question(text):
    for done_before in range(4):
        form, _ = run(*["Erika Mustermann", "0171 1234567", "Ummeldung", "vormittags"][:done_before])
        step = answer(form, text)
        assert step.cancelled and not step.done
        assert step.text == CANCELLED
        assert step.form == form


@pytest.mark.parametrize("text", ["Abbrechen bitte", "nicht abbrechen", "stop", "abbrechen?"])
def test_other_words_are_answers(text):
    assert not is_cancel(text)
    assert not answer(CallbackForm(), text).cancelled


def test_a_complete_form_gives_its_summary_again():
    step = answer(COMPLETE, "noch etwas")
    assert step == Step(COMPLETE, summary_de(COMPLETE), done=True)


# --- storage between messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        CallbackForm(),
        CallbackForm(name="Anna-Lena O’Brien"),
        CallbackForm(name="Erika Mustermann", contact=Contact("email", "erika@example.de")),
        COMPLETE,
    ],
)
def test_round_trip_through_json(form):
    data = json.loads(json.dumps(form.to_dict()))
    assert data["version"] == 1
    restored = CallbackForm.from_dict(data)
    assert restored == form
    assert restored.next_field == form.next_field


def test_a_restored_form_continues_where_it_stopped():
    form, _ = run("Erika Mustermann", "0171 1234567")
    restored = CallbackForm.from_dict(json.loads(json.dumps(form.to_dict())))
    assert answer(restored, "Ummeldung").text == ASK_TIME


def test_missing_keys_are_unanswered_questions():
    assert CallbackForm.from_dict({}) == CallbackForm()
    assert CallbackForm.from_dict({"name": "Erika Mustermann"}).next_field == "contact"


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ({"version": 2}, "version"),
        ({"name": 3}, "'name'"),
        ({"topic": ["x"]}, "'topic'"),
        ({"contact": "0171 1234567"}, "'contact'"),
        ({"contact": {"kind": "fax", "value": "+4930123456"}}, "'contact.kind'"),
        ({"contact": {"kind": "phone"}}, "'contact.value'"),
        ([], "expected an object"),
    ],
)
def test_broken_storage_is_refused_naming_the_key(data, names):
    with pytest.raises(ValueError, match=names):
        CallbackForm.from_dict(data)


# --- properties ----------------------------------------------------------------------------------

FORMS = st.sampled_from(
    [
        CallbackForm(),
        CallbackForm(name="Erika Mustermann"),
        CallbackForm(name="Erika Mustermann", contact=Contact("phone", "+4930123456")),
        CallbackForm(name="Erika Mustermann", contact=Contact("phone", "+4930123456"), topic="Ummeldung"),
        COMPLETE,
    ]
)
ANSWERS = ANY_TEXT | st.sampled_from(["abbrechen", "0171 1234567", "erika@example.de", "Erika", "x" * 600])


@given(FORMS, ANSWERS)
def test_answer_never_raises(form, text):
    step = answer(form, text)
    assert step.text
    assert not (step.done and step.cancelled)
    assert step.done == step.form.complete or step.cancelled
    assert CallbackForm.from_dict(json.loads(json.dumps(step.form.to_dict()))) == step.form


@given(st.lists(ANSWERS, max_size=8))
def test_any_conversation_stays_on_course(texts):
    form, _ = start()
    for text in texts:
        step = answer(form, text)
        if step.cancelled:
            break
        # the form only ever gains answers, one at a time
        gained = [
            f for f in ("name", "contact", "topic", "preferred_time") if getattr(step.form, f) != getattr(form, f)
        ]
        assert len(gained) <= 1 and all(getattr(form, f) is None for f in gained)
        form = step.form
