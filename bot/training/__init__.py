"""Building the citizen model: the offline German spaCy pipeline and `rasa train`."""
