"""Messaging channels.

Modules that import `rasa` (rest, webchat, twilio, telegram, base, erasure) run inside the Rasa
env (.venv-rasa). The others (identity, signing, inbound, settings, media) use only the
standard library and PyYAML, so the app env imports them too: one definition of sender ids,
tokens and keywords for both sides.
"""
