from channels.base import Button, OutgoingMessage, expects_secret, from_rasa


def test_rasa_replies_become_common_messages():
    replies = [
        {"recipient_id": "x", "text": "Hallo"},
        {"recipient_id": "x", "text": "Wählen Sie:", "buttons": [{"title": "Kosten", "payload": "/ask_fees"}]},
        {"recipient_id": "x", "custom": {"a": 1}},
    ]
    assert from_rasa(replies) == [
        OutgoingMessage("Hallo"),
        OutgoingMessage("Wählen Sie:", [Button("Kosten", "/ask_fees")]),
    ]


def test_the_secret_marker_flags_its_message_and_is_never_shown():
    replies = [
        {"recipient_id": "x", "text": "Danke."},
        {"recipient_id": "x", "text": "Bitte geben Sie den Zugangscode ein."},
        {"recipient_id": "x", "custom": {"input": "secret"}},  # how Rasa's REST channel sends `custom`
    ]
    answer = from_rasa(replies)
    assert answer == [
        OutgoingMessage("Danke."),
        OutgoingMessage("Bitte geben Sie den Zugangscode ein.", secret_input=True),
    ]
    assert expects_secret(answer) and answer[1].to_dict()["input"] == "secret" and "input" not in answer[0].to_dict()
    marker_first = from_rasa([{"custom": {"input": "secret"}}, {"text": "Zugangscode?"}])
    assert marker_first == [OutgoingMessage("Zugangscode?", secret_input=True)]
    assert not expects_secret(from_rasa([{"text": "x"}, {"custom": {"input": "other"}}]))


def test_links_are_found_in_text():
    message = OutgoingMessage("Online: https://www.musterstadt.de/online/reisepass. Danke")
    assert message.links == ["https://www.musterstadt.de/online/reisepass"]
