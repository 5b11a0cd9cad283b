"""Patient record exports: CSV and FHIR R4."""
