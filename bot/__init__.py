"""Bürgerbot: service backend, NLU components, training and process orchestration."""
