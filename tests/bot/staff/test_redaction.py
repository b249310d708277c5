import pytest

from bot.staff.redaction import redact


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Wie ist der Stand von BA-2025-004711?", "Wie ist der Stand von [AKTENZEICHEN]?"),
        (
            "mein aktenzeichen ist ba 2025 004711 und der code K7M2Q9",
            "mein aktenzeichen ist [AKTENZEICHEN] und der code [CODE]",
        ),
        ("k7m2q9", "[CODE]"),
        ("Schreiben Sie mir an erika.mustermann@example.org bitte", "Schreiben Sie mir an [E-MAIL] bitte"),
        ("Rufen Sie mich an: 0171 2345678", "Rufen Sie mich an: [TELEFON]"),
        ("meine nummer ist +49 (30) 123 456-78", "meine nummer ist [TELEFON]"),
        ("Überweisung von DE89 3704 0044 0532 0130 00 ist raus", "Überweisung von [IBAN] ist raus"),
        ("geboren am 03.07.1985 in Köln", "geboren am [DATUM] in Köln"),
        ("Ich wohne in der Hauptstraße 12a und ziehe um", "Ich wohne in der [ADRESSE] und ziehe um"),
        ("neue adresse: Am Lindenweg 7", "neue adresse: Am [ADRESSE]"),
        ("Hallo, ich heiße Erika Mustermann und brauche einen Pass", "Hallo, ich heiße [NAME] und brauche einen Pass"),
        ("Mein Name ist Jürgen Müller-Lüdenscheidt", "Mein Name ist [NAME]"),
    ],
)
def test_personal_data_is_redacted(message, expected):
    assert redact(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "Was kostet ein Reisepass?",
        "Wann hat das Bürgeramt am Samstag offen?",
        "Ich brauche 2 Passfotos",
        "Die Gebühr ist 37,00 Euro",
        "Ich bin total verloren",
    ],
)
def test_ordinary_questions_stay_as_they_are(message):
    assert redact(message) == message
