"""The escalation lifecycle: raise, recipients, ladder, dead letter, acknowledge."""
