"""Rasa input channels (these modules run inside the Rasa env, .venv-rasa)."""
