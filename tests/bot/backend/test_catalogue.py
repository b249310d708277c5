from types import SimpleNamespace

from bot.backend.catalogue import rank_services

SERVICES = [
    SimpleNamespace(id="reisepass", name="Reisepass", keywords=["Pass"]),
    SimpleNamespace(id="personalausweis", name="Personalausweis", keywords=["Perso", "Ausweis"]),
    SimpleNamespace(id="hundesteuer", name="Hundesteuer", keywords=["Hund", "Hundemarke"]),
]


def test_typo_finds_the_service():
    assert rank_services("ich brauche einen neuen personalausweiss", SERVICES)[0].service_id == "personalausweis"


def test_compound_finds_the_service():
    assert rank_services("Reisepassantrag", SERVICES)[0].service_id == "reisepass"


def test_unrelated_text_finds_nothing():
    assert rank_services("Wie wird das Wetter morgen?", SERVICES) == []
