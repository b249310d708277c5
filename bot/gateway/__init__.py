"""The public gateway: web chat, Telegram and a simple chat API in front of Rasa."""
