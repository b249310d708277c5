from bot.gateway.conversations import ConversationMemory
from channels.base import Button, OutgoingMessage


def answer(*payloads: str, secret: bool = False) -> list[OutgoingMessage]:
    return [OutgoingMessage("Bitte wählen Sie", [Button(p, p) for p in payloads], secret_input=secret)]


def test_buttons_of_the_last_answers_are_on_offer():
    memory = ConversationMemory(answers=2)
    memory.record("s", answer("/a"))
    memory.record("s", answer("/b"))
    assert memory.offered("s", "/a") and memory.offered("s", "/b") and not memory.offered("t", "/a")
    memory.record("s", answer("/c"))
    assert not memory.offered("s", "/a") and memory.offered("s", "/c")
    memory.record("s", [OutgoingMessage("ohne Knöpfe")])  # a plain answer keeps the last offers
    assert memory.offered("s", "/c")


def test_the_secret_flag_holds_for_the_next_message_only():
    memory = ConversationMemory()
    memory.record("s", answer(secret=True))
    assert memory.secret_expected("s") and not memory.secret_expected("t")
    memory.record("s", answer())
    assert not memory.secret_expected("s")


def test_memory_is_bounded_and_forgets_the_least_recent():
    memory = ConversationMemory(max_senders=2)
    for sender in ("a", "b", "c"):
        memory.record(sender, answer("/x"))
    assert len(memory) == 2 and not memory.offered("a", "/x") and memory.offered("c", "/x")
    memory.forget("c")
    assert not memory.offered("c", "/x")
