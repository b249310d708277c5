from bot.nlu.gazetteer import Gazetteer

GAZ = Gazetteer(
    {
        "service": {
            "reisepass": "reisepass",
            "Pass": "reisepass",
            "Personalausweis": "personalausweis",
            "anmelden": "wohnsitz_anmeldung",
            "Auto anmelden": "kfz_zulassung",
        },
        "office": {"Bürgeramt": "buergeramt"},
    }
)


def values(text):
    return [(f.entity, f.value) for f in GAZ.find(text)]


def test_exact_case_insensitive_and_umlaut_folded():
    assert values("wann hat das buergeramt offen") == [("office", "buergeramt")]


def test_longest_match_wins_and_does_not_overlap():
    assert values("Ich will mein Auto anmelden") == [("service", "kfz_zulassung")]


def test_inflection_and_typo():
    assert values("Kosten des Reisepasses") == [("service", "reisepass")]
    assert values("personalauswies verlängern") == [("service", "personalausweis")]


def test_short_words_are_not_fuzzy():
    assert values("das passt mir gut") == []


def test_spans_point_into_the_text():
    found = GAZ.find("Mein Pass ist weg")[0]
    assert "Mein Pass ist weg"[found.start : found.end] == "Pass"
