"""Media helpers without heavy dependencies (stdlib only: importable from the Rasa env too)."""
