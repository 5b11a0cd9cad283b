"""Triage: red-flag rules on raw text, and turning findings into escalations."""
