"""Notification delivery: rendering from content, email (SMTP), SMS (Twilio REST), webhooks."""
