"""Plugins the Rasa server loads by module path from the endpoints.yml the launcher writes (beside
`bot.nlu`, whose components config.yml names): the redacting tracker store."""
