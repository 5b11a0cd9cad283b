"""Synkinesis coach domain package: importable without Rasa."""
