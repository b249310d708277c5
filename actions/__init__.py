"""Custom actions for Rasa's action server (rasa_sdk), one module per topic."""
