"""Seed the demo clinic from content/demo_clinic.yml (idempotent)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from coach.content import load_content
from coach.storage.db import transaction
from coach.storage.models import Caregiver, ChannelIdentity, Patient, Therapist


def seed_demo_clinic(database_url: str | None = None) -> bool:
    """Create the demo therapist, patient and caregiver; False when already there."""
    demo = load_content("demo_clinic")
    with transaction(database_url) as session:
        if session.scalar(select(Therapist).where(Therapist.email == demo["therapist"]["email"])):
            return False
        therapist = Therapist(**demo["therapist"])
        spec = demo["patient"]
        hours, minutes = (int(x) for x in spec["checkin_time"].split(":"))
        patient = Patient(
            display_name=spec["display_name"],
            timezone=spec["timezone"],
            locale=spec["locale"],
            checkin_time=time(hours, minutes),
            onset_date=date.today() - timedelta(weeks=spec["onset_weeks_ago"]),
            affected_side=spec["affected_side"],
            eye_closure_incomplete=spec["eye_closure_incomplete"],
            therapist=therapist,
        )
        session.add_all([therapist, patient])
        for identity in spec["identities"]:
            session.add(ChannelIdentity(patient=patient, **identity))
        session.add(
            Caregiver(
                patient=patient,
                consented_at=datetime.now(timezone.utc),
                **demo["caregiver"],
            )
        )
    return True
