"""Thin Rasa SDK actions: read the tracker, call the `coach` domain package, reply."""
