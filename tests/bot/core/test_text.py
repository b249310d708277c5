"""bot.core.text: what the gateway strips from typed text before it goes to Rasa."""

from __future__ import annotations

from hypothesis import given, settings

from bot.core.text import strip_control_chars
from tests.fuzz import ANY_TEXT


def test_control_characters_and_lone_surrogates_go_tab_and_line_breaks_stay():
    assert strip_control_chars("a\x00b\x1b\x7fc\td\ne\rf") == "abc\td\ne\rf"
    # "\ud800" is valid JSON; kept, it made encoding the request to Rasa fail (found by the fuzz run)
    assert strip_control_chars("Reise\ud800pass\udfff 😀 \U0010ffff") == "Reisepass 😀 \U0010ffff"


@given(ANY_TEXT)
@settings(max_examples=300, deadline=None)
def test_stripped_text_is_always_utf8(text):
    stripped = strip_control_chars(text)
    stripped.encode("utf-8")
    assert strip_control_chars(stripped) == stripped and len(stripped) <= len(text)
