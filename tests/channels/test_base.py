from channels.base import Button, OutgoingMessage, from_rasa


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


def test_links_are_found_in_text():
    message = OutgoingMessage("Online: https://www.musterstadt.de/online/reisepass. Danke")
    assert message.links == ["https://www.musterstadt.de/online/reisepass"]
