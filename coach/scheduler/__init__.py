"""The one scheduler process: check-in prompts, outbox delivery, escalation ladder, reminders."""
