"""The clinic portal: therapists, clinic admins and caregivers (FastAPI, Jinja2)."""
