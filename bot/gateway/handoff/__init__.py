"""Human handoff in the gateway: while a person holds a conversation, Rasa is not called; the
desk routes the citizen's messages to staff and pushes staff replies to the citizen's channel
(docs/handoff.md)."""
