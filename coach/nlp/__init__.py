"""Free-text understanding for the domain (spaCy, no downloaded models)."""
