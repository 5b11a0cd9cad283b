"""Rasa graph components (these modules run inside the Rasa env, .venv-rasa)."""
