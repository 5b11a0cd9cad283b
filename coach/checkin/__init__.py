"""Daily check-in and weekly questionnaire logic."""
