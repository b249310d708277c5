"""The callback request a citizen fills in when nobody can chat right now (docs/handoff.md).

The gateway runs it, not Rasa: `start()` gives an empty `CallbackForm` and the first question,
then every message goes to `answer(form, text)`, which returns a `Step` with the new form and the
text to send. The form is immutable and survives a restart: the gateway stores `form.to_dict()` as
JSON between messages and reads it back with `CallbackForm.from_dict`.

Rules:

- Four questions in a fixed order: name, phone number or e-mail, topic, preferred time. The first
  field without an answer is the one asked (`CallbackForm.next_field`), so a form read back from
  storage continues where it stopped.
- An answer is checked by `bot.core.contact`; an invalid one leaves the form as it was, and the same
  question is asked again with the reason in front ("Bitte geben Sie … an, zum Beispiel …").
- "abbrechen", "stopp" or "cancel" (any case, surrounding spaces, a final "." or "!" and a leading
  "/" ignored) at any question ends the form: `cancelled` is true, the text confirms it, and the
  gateway discards the form. Nothing else is a command: "Abbrechen bitte" is an answer like any other.
- After the fourth valid answer `done` is true and the text is `summary_de(form)` (the answers, one a
  line): the gateway stores the request, which gives it its reference number (issued by the staff
  database, not here), and sends the summary with that number and what happens next appended.
- `answer` never raises, whatever the text; a form that is already complete just gives its summary
  again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal, TypedDict

from bot.core.contact import (
    Contact,
    InvalidContact,
    clean,
    parse_contact,
    parse_name,
    parse_preferred_time,
    parse_topic,
)

Field = Literal["name", "contact", "topic", "preferred_time"]
FIELDS: tuple[Field, ...] = ("name", "contact", "topic", "preferred_time")

QUESTIONS: dict[Field, str] = {
    "name": "Wie heißen Sie?",
    "contact": "Unter welcher Telefonnummer oder E-Mail-Adresse erreichen wir Sie?",
    "topic": "Worum geht es? Bitte beschreiben Sie Ihr Anliegen in ein, zwei Sätzen.",
    "preferred_time": "Wann passt es Ihnen am besten? (zum Beispiel „vormittags“ oder „Dienstag ab 14 Uhr“)",
}
INTRO = (
    "Gern rufen wir Sie zurück oder schreiben Ihnen. Dafür brauche ich vier kurze Angaben. "
    "Mit „abbrechen“ können Sie jederzeit aufhören."
)
CANCELLED = "In Ordnung, ich habe die Rückrufbitte abgebrochen. Sie können mir gern weiter Ihre Fragen stellen."
CANCEL_WORDS = frozenset({"abbrechen", "stopp", "cancel"})
FORM_VERSION = 1


class ContactData(TypedDict):
    kind: str
    value: str


class CallbackFormData(TypedDict):
    """`CallbackForm.to_dict()`: plain JSON types only."""

    version: int
    name: str | None
    contact: ContactData | None
    topic: str | None
    preferred_time: str | None


@dataclass(frozen=True)
class CallbackForm:
    """The answers so far; None where the question has not been answered yet."""

    name: str | None = None
    contact: Contact | None = None
    topic: str | None = None
    preferred_time: str | None = None

    @property
    def next_field(self) -> Field | None:
        """The field asked next, None when the form is complete."""
        return next((field for field in FIELDS if getattr(self, field) is None), None)

    @property
    def complete(self) -> bool:
        return self.next_field is None

    def to_dict(self) -> CallbackFormData:
        contact: ContactData | None = None
        if self.contact is not None:
            contact = {"kind": self.contact.kind, "value": self.contact.value}
        return {
            "version": FORM_VERSION,
            "name": self.name,
            "contact": contact,
            "topic": self.topic,
            "preferred_time": self.preferred_time,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CallbackForm:
        """The form `to_dict` wrote; ValueError naming the key when `data` is not such a dict.

        Values are taken as stored (they were checked when they were answered); missing keys are
        unanswered questions."""
        if not isinstance(data, Mapping):
            raise ValueError(f"callback form: expected an object, not {type(data).__name__}")
        version = data.get("version", FORM_VERSION)
        if version != FORM_VERSION:
            raise ValueError(f"callback form: unknown version {version!r}")
        texts = {key: _optional_text(data, key) for key in ("name", "topic", "preferred_time")}
        return cls(
            name=texts["name"],
            contact=_contact_from(data.get("contact")),
            topic=texts["topic"],
            preferred_time=texts["preferred_time"],
        )


def _optional_text(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"callback form: {key!r} must be a string or null, not {type(value).__name__}")
    return value


def _contact_from(value: object) -> Contact | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"callback form: 'contact' must be an object or null, not {type(value).__name__}")
    kind, text = value.get("kind"), value.get("value")
    if not isinstance(text, str):
        raise ValueError("callback form: 'contact.value' must be a string")
    if kind == "phone":
        return Contact("phone", text)
    if kind == "email":
        return Contact("email", text)
    raise ValueError(f"callback form: 'contact.kind' must be 'phone' or 'email', not {kind!r}")


@dataclass(frozen=True)
class Step:
    """What one answer led to: the form now, the text to send, and whether the form has ended."""

    form: CallbackForm
    text: str
    done: bool = False
    cancelled: bool = False


# Each field's answer checked by bot.core.contact and put into the form.
_ANSWERS: dict[Field, Callable[[CallbackForm, str], CallbackForm]] = {
    "name": lambda form, text: replace(form, name=parse_name(text)),
    "contact": lambda form, text: replace(form, contact=parse_contact(text)),
    "topic": lambda form, text: replace(form, topic=parse_topic(text)),
    "preferred_time": lambda form, text: replace(form, preferred_time=parse_preferred_time(text)),
}


def start() -> tuple[CallbackForm, str]:
    """An empty form and the text that opens it: what it is for, how to stop, the first question."""
    return CallbackForm(), f"{INTRO}\n{QUESTIONS['name']}"


def is_cancel(text: str) -> bool:
    """Whether the text is one of the words that end the form ("abbrechen", "Stopp!", "/cancel")."""
    word = clean(text).lower().rstrip(".!").strip()
    return word.removeprefix("/") in CANCEL_WORDS


def answer(form: CallbackForm, text: str) -> Step:
    """The citizen's answer to the form's current question."""
    if is_cancel(text):
        return Step(form, CANCELLED, cancelled=True)
    field = form.next_field
    if field is None:
        return Step(form, summary_de(form), done=True)
    try:
        answered = _ANSWERS[field](form, text)
    except InvalidContact as invalid:
        return Step(form, f"{invalid.text}\n{QUESTIONS[field]}")
    following = answered.next_field
    if following is None:
        return Step(answered, summary_de(answered), done=True)
    return Step(answered, QUESTIONS[following])


def summary_de(form: CallbackForm) -> str:
    """The answers, one a line, for the confirmation after the request is stored: the gateway adds the
    reference number and what happens next on a line of its own. ValueError when the form is not complete."""
    if form.name is None or form.contact is None or form.topic is None or form.preferred_time is None:
        raise ValueError(f"callback form: not complete, {form.next_field!r} is missing")
    return "\n".join(
        [
            "Vielen Dank! Ihre Angaben:",
            f"Name: {form.name}",
            f"{form.contact.label_de}: {form.contact.value}",
            f"Anliegen: {form.topic}",
            f"Gewünschte Zeit: {form.preferred_time}",
        ]
    )
