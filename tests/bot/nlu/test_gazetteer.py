"""The gazetteer: exact, inflected and fuzzy matches; properties and bounded work."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# --- properties and bounded work ----------------------------------------------------------------
@given(st.text(max_size=300))
def test_find_never_raises_and_spans_are_in_order(text):
    found = GAZ.find(text)
    assert all(0 <= f.start < f.end <= len(text) and text[f.start : f.end] == f.text for f in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def _big_gazetteer() -> Gazetteer:
    stems = ["reisepass", "personalausweis", "meldebescheinigung", "fuehrungszeugnis", "gewerbeanmeldung"]
    suffixes = ["", "antrag", "stelle", "amt", "verlaengerung", "termin", "gebuehr", "formular"]
    return Gazetteer({"service": {f"{s}{x} {t}": s for s in stems for x in suffixes for t in [*stems, ""]}})


@pytest.mark.parametrize("words", [["reisepasz"], ["personalausweiss", "meldebescheinigun"], ["x" * 5000]])
def test_work_grows_linearly_with_the_message(words):
    """Near misses of many similar surfaces, the worst case for the fuzzy pass: doubling the
    message at most doubles the phrases looked up and the comparisons made."""
    gaz = _big_gazetteer()
    work = []
    for tokens in (150, 300, 600):
        gaz.find(" ".join(words[i % len(words)] for i in range(tokens)))
        work.append(gaz.work)
    assert work[1] <= 2.5 * work[0] and work[2] <= 2.5 * work[1]
    assert work[2] <= 600 * 2 * (1 + 64)  # per word: max_words lookups, at most 64 candidates each


def test_exact_matches_are_found_after_the_fuzzy_limit():
    text = " ".join(["wort"] * 500 + ["Reisepass", "reisepasz"])
    assert values(text) == [("service", "reisepass")]  # the exact one; the typo is beyond the fuzzy limit
