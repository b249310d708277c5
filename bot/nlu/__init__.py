"""German NLU: the offline spaCy pipeline and custom Rasa components."""
