"""Fake provider APIs on loopback (Twilio, Telegram Bot API), speaking their documented payloads."""
