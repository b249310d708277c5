from types import SimpleNamespace

from bot.backend.catalogue import rank_services

SERVICES = [
    SimpleNamespace(id="reisepass", name="Reisepass", synonyms=["Pass"], keywords=["Urlaub"]),
    SimpleNamespace(id="personalausweis", name="Personalausweis", synonyms=["Perso", "Ausweis"], keywords=[]),
    SimpleNamespace(id="hundesteuer", name="Hundesteuer", synonyms=["Hundemarke"], keywords=["Hund"]),
    SimpleNamespace(id="altbestand", name="Altbestand", synonyms=None, keywords=["Archiv"]),  # row before synonyms
]


def test_typo_finds_the_service():
    assert rank_services("ich brauche einen neuen personalausweiss", SERVICES)[0].service_id == "personalausweis"


def test_compound_finds_the_service():
    assert rank_services("Reisepassantrag", SERVICES)[0].service_id == "reisepass"


def test_synonyms_and_keywords_are_searched():
    assert rank_services("Perso", SERVICES)[0].service_id == "personalausweis"
    assert rank_services("Archiv", SERVICES)[0].service_id == "altbestand"


def test_unrelated_text_finds_nothing():
    assert rank_services("Wie wird das Wetter morgen?", SERVICES) == []
