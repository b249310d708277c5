"""bot.core.contact: names, phone numbers, e-mail addresses, topics and times as citizens type them."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.contact import (
    Contact,
    InvalidContact,
    clean,
    parse_contact,
    parse_email,
    parse_name,
    parse_phone,
    parse_preferred_time,
    parse_topic,
)
from tests.fuzz import ANY_TEXT
from tests.support import doubling_ratio


def reason(parse, text: str) -> str:
    with pytest.raises(InvalidContact) as raised:
        parse(text)
    assert str(raised.value) == raised.value.text
    return raised.value.text


def assert_polite_with_example(text: str) -> None:
    assert "Sie" in text
    assert "„" in text and "“" in text  # an example in German quotes
    assert text.endswith((".", "?"))
    assert len(text) <= 160


# --- cleaning ------------------------------------------------------------------------------------


def test_clean_drops_controls_and_invisible_marks_and_collapses_white_space():
    assert clean("  Erika\t\n Muster\x00mann\u200b\u202e \r\n") == "Erika Mustermann"
    assert clean("Mu\u0308ller") == "Müller"  # NFC: the decomposed umlaut becomes one letter
    assert clean("\ud800abc\x85\x9f") == "abc"  # lone surrogate and C1 controls


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Erika Mustermann", "Erika Mustermann"),
        ("  Jürgen   Groß ", "Jürgen Groß"),
        ("Anna-Lena Müller-Lüdenscheidt", "Anna-Lena Müller-Lüdenscheidt"),
        ("Sinéad O’Connor", "Sinéad O’Connor"),
        ("D'Angelo", "D'Angelo"),
        ("Dr. Özlem Çelik", "Dr. Özlem Çelik"),
        ("Zoë Ångström", "Zoë Ångström"),
        ("Li", "Li"),
        ("Ich heiße Jörg Weiß", "Jörg Weiß"),
        ("Mein Name ist Erika Mustermann", "Erika Mustermann"),
        ("Name: Agnieszka Wójcik", "Agnieszka Wójcik"),
        ("Mu\u0308ller", "Müller"),
        ("Erika\nMustermann", "Erika Mustermann"),
        ("Σωκράτης Παπαδόπουλος", "Σωκράτης Παπαδόπουλος"),
    ],
)
def test_valid_names(text, expected):
    assert parse_name(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Bitte geben Sie Ihren Namen an"),
        ("   \t ", "Bitte geben Sie Ihren Namen an"),
        ("E", "vollständigen Namen"),
        ("-.", "vollständigen Namen"),
        ("R2D2", "ohne Ziffern"),
        ("Erika Mustermann 0171 1234567", "ohne Ziffern"),
        ("Mustermann, Erika", "nur Buchstaben"),
        ("erika@example.de", "nur Buchstaben"),
        ("<b>Erika</b>", "nur Buchstaben"),
        ("Erika 😀", "nur Buchstaben"),
        ("A" * 101, "zu lang"),
    ],
)
def test_invalid_names_say_why(text, says):
    text_de = reason(parse_name, text)
    assert says in text_de
    assert_polite_with_example(text_de)


def test_name_length_limits_count_the_cleaned_text():
    assert parse_name(" " + "A" * 100 + " ") == "A" * 100
    assert parse_name("Ich heiße") == "Ich heiße"  # a lead-in alone stays: nothing would be left


# --- phone numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0171 1234567", "+491711234567"),
        ("01711234567", "+491711234567"),
        ("0171/1234567", "+491711234567"),
        ("0171-123 45 67", "+491711234567"),
        ("0171–1234567", "+491711234567"),  # en dash from autocorrect
        ("+49 171 1234567", "+491711234567"),
        ("+49-171-1234567", "+491711234567"),
        ("+49 (0)30 123456", "+4930123456"),
        ("+49 (0) 171 123 45 67", "+491711234567"),
        ("+49 030 123456", "+4930123456"),  # the 0 after +49 is a slip
        ("+49 (030) 123456", "+4930123456"),
        ("(+49) 171 1234567", "+491711234567"),
        ("0049 30 123456", "+4930123456"),
        ("0049 (0)30 123456", "+4930123456"),
        ("030/1234-56", "+4930123456"),
        ("(030) 123456", "+4930123456"),
        ("030.123.456", "+4930123456"),
        ("089 12 34 56 78", "+498912345678"),
        ("0 30 / 12 34 56", "+4930123456"),
        ("Tel.: 0171 1234567", "+491711234567"),
        ("Handy 0151-12345678", "+4915112345678"),
        ("Telefonnummer: +49 40 123456", "+4940123456"),
        ("+43 1 234567", "+431234567"),  # Vienna
        ("+43 (0)1 234567", "+431234567"),
        ("0043 664 1234567", "+436641234567"),
        ("+41 44 123 45 67", "+41441234567"),
        ("+39 06 1234 5678", "+390612345678"),  # Italy keeps its leading 0
        ("+90 532 123 45 67", "+905321234567"),
        ("０１７１ １２３４５６７", "+491711234567"),  # full-width digits
        ("  0171\u00a01234567\n", "+491711234567"),  # no-break space, line break
    ],
)
def test_valid_phone_numbers_are_normalised(text, expected):
    assert parse_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Bitte geben Sie Ihre Telefonnummer an"),
        ("keine", "Bitte geben Sie Ihre Telefonnummer an"),
        ("123456", "mit Vorwahl"),
        ("49 171 1234567", "mit Vorwahl"),
        ("0171 abc 4567", "nur mit Ziffern"),
        ("0171 1234567, 030 123456", "nur mit Ziffern"),
        ("0171 1234567 oder 030 123456", "nur mit Ziffern"),
        ("0171#1234567", "nur mit Ziffern"),
        ("0171 123456+7", "das „+“ nur an den Anfang"),
        ("++49 171 1234567", "das „+“ nur an den Anfang"),
        ("+0 171 1234567", "Vorwahl"),
        ("000 171 1234567", "Vorwahl"),
        ("0 30", "zu kurz"),
        ("0301", "zu kurz"),
        ("+49 12", "zu kurz"),
        ("0171 1234567 0301234567", "zu lang"),
        ("+49 171 1234567890123", "zu lang"),
    ],
)
def test_invalid_phone_numbers_say_why(text, says):
    text_de = reason(parse_phone, text)
    assert says in text_de
    assert_polite_with_example(text_de)


def test_digit_limits_are_those_of_e164():
    assert parse_phone("+1 234567") == "+1234567"  # 7 digits
    assert reason(parse_phone, "+1 23456")  # 6
    assert parse_phone("+123 456789012345") == "+123456789012345"  # 15
    assert reason(parse_phone, "+123 4567890123456")  # 16


# --- e-mail addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("erika.mustermann@example.de", "erika.mustermann@example.de"),
        ("Erika.Mustermann@Example.DE", "Erika.Mustermann@example.de"),  # only the domain is lower-cased
        ("  max_muster+buergeramt@web.de ", "max_muster+buergeramt@web.de"),
        ("m@gmx.net", "m@gmx.net"),
        ("info@stadt-musterhausen.de", "info@stadt-musterhausen.de"),
        ("a.b-c@mail.verwaltung.nrw", "a.b-c@mail.verwaltung.nrw"),
        ("jörg@müller.de", "jörg@müller.de"),
        ("JÖRG@MÜLLER.DE", "JÖRG@müller.de"),
        ("E-Mail: erika@example.de", "erika@example.de"),
        ("Mail:erika@example.de", "erika@example.de"),
        ("erika@example.de.", "erika@example.de"),  # the sentence's dot
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("1234@123.de", "1234@123.de"),
    ],
)
def test_valid_email_addresses(text, expected):
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("erika.mustermann(at)example.de", "mit „@“"),
        ("", "mit „@“"),
        ("erika @example.de", "ohne Leerzeichen"),
        ("meine Mail ist erika@example.de", "ohne Leerzeichen"),
        ("erika@example@de", "nur eine E-Mail-Adresse"),
        ("a@example.de,b@example.de", "nur eine E-Mail-Adresse"),
        ("@example.de", "Vor dem „@“"),
        ("erika,m@example.de", "Das Zeichen „,“"),
        ("<erika@example.de>", "Das Zeichen „<“"),
        ('"erika"@example.de', 'Das Zeichen „"“'),
        ("erika..m@example.de", "Punkte"),
        (".erika@example.de", "Punkte"),
        ("erika.@example.de", "Punkte"),
        ("erika@", "nach dem „@“"),
        ("erika@localhost", "nach dem „@“"),
        ("erika@example", "nach dem „@“"),
        ("erika@example.d", "nach dem „@“"),
        ("erika@example..de", "nach dem „@“"),
        ("erika@.example.de", "nach dem „@“"),
        ("erika@-example.de", "nach dem „@“"),
        ("erika@example-.de", "nach dem „@“"),
        ("erika@exa_mple.de", "nach dem „@“"),
        ("erika@1.2.3.4", "nach dem „@“"),
        ("a" * 65 + "@example.de", "zu lang"),
        ("a@" + ".".join(["b" * 63] * 4) + ".de", "zu lang"),  # 260 characters
    ],
)
def test_invalid_email_addresses_say_why(text, says):
    text_de = reason(parse_email, text)
    assert says in text_de
    assert_polite_with_example(text_de)


def test_email_length_limit_is_254():
    address = "a@" + ".".join(["b" * 61] * 4)  # 2 + 4 * 61 + 3 = 249 characters
    address += ".abcd"  # 254
    assert len(address) == 254
    assert parse_email(address) == address
    assert reason(parse_email, "x" + address)


# --- contact: e-mail or phone --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0171 1234567", Contact("phone", "+491711234567")),
        ("+49 (0)30 123456", Contact("phone", "+4930123456")),
        ("Erika@Example.de", Contact("email", "Erika@example.de")),
        ("E-Mail: erika@example.de", Contact("email", "erika@example.de")),
    ],
)
def test_contact_is_email_with_an_at_sign_else_phone(text, expected):
    assert parse_contact(text) == expected
    assert expected.label_de == ("Telefon" if expected.kind == "phone" else "E-Mail")


def test_contact_reasons():
    assert "mit Vorwahl" in reason(parse_contact, "123456")
    assert "Leerzeichen" in reason(parse_contact, "erika @ example.de")
    neither = reason(parse_contact, "weiß ich nicht")
    assert "Telefonnummer" in neither and "E-Mail-Adresse" in neither
    assert_polite_with_example(neither)


# --- topic and preferred time --------------------------------------------------------------------


def test_topic_is_kept_as_typed_within_limits():
    assert parse_topic(" Frage zu meinem\nWohngeldantrag ") == "Frage zu meinem Wohngeldantrag"
    assert parse_topic("Kfz") == "Kfz"
    assert parse_topic("x" * 500) == "x" * 500
    for text in ["", "ab", "...", "?!?", "  \n "]:
        assert "wenigen Worten" in reason(parse_topic, text)
    too_long = reason(parse_topic, "x" * 501)
    assert "höchstens 500 Zeichen" in too_long
    assert_polite_with_example(too_long)


@pytest.mark.parametrize("text", ["vormittags", "morgen ab 14 Uhr", "egal", "Jederzeit", "Di 9-12", "x", "z" * 200])
def test_preferred_time_is_free_text(text):
    assert parse_preferred_time(f" {text}\n") == text


def test_preferred_time_limits():
    assert_polite_with_example(reason(parse_preferred_time, " \t"))
    assert "höchstens 200 Zeichen" in reason(parse_preferred_time, "z" * 201)


# --- properties ----------------------------------------------------------------------------------

PARSERS = [parse_name, parse_phone, parse_email, parse_topic, parse_preferred_time]
PHONE_TEXT = st.text(alphabet=st.sampled_from("0123456789 +()/-.–Tel:"), max_size=40)
EMAIL_TEXT = st.text(alphabet=st.sampled_from("abcÄ.@-_+ ,E-Mail:de"), max_size=40)


@given(ANY_TEXT | PHONE_TEXT | EMAIL_TEXT)
def test_parsers_raise_only_invalid_contact_and_are_idempotent(text):
    for parse in PARSERS:
        try:
            value = parse(text)
        except InvalidContact as invalid:
            assert invalid.text
            continue
        assert value == clean(value) and value
        assert parse(value) == value


@given(PHONE_TEXT)
def test_phone_numbers_come_out_as_e164(text):
    try:
        number = parse_phone(text)
    except InvalidContact:
        return
    assert re.fullmatch(r"\+[1-9]\d{6,14}", number)


@given(ANY_TEXT | EMAIL_TEXT | PHONE_TEXT)
def test_contact_never_raises_anything_else(text):
    try:
        contact = parse_contact(text)
    except InvalidContact:
        return
    assert contact.kind in ("phone", "email")
    assert ("@" in contact.value) == (contact.kind == "email")


@pytest.mark.parametrize(
    ("parse", "unit"), [(parse_name, "Anna-"), (parse_phone, "0 (1)-"), (parse_email, "a.b@"), (clean, " \x00\u200b")]
)
def test_work_is_linear(parse, unit):
    def run(text: str) -> None:
        with contextlib.suppress(InvalidContact):
            parse(text)

    assert doubling_ratio(run, unit) <= 3.0
