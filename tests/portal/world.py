"""A small clinic for portal tests: two therapists, an admin, patients with history, alerts,
caregivers with and without consent, and a clip with its plot in the media folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy.orm import Session

from coach.clips.intake import key_frames_beside
from coach.clips.plot import render_png
from coach.clips.report import write_atomic
from coach.config import get_settings
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.portal.passwords import hash_password
from coach.storage.db import transaction
from coach.storage.models import (
    Caregiver,
    CheckIn,
    ClipAnalysis,
    Notification,
    Patient,
    PortalUser,
    QuestionnaireResponse,
    SymptomReport,
    Therapist,
)

UTC = timezone.utc
PASSWORD = "correct horse battery staple"
DEMO_CLIPS = Path(__file__).resolve().parents[2] / "coach" / "content" / "demo_clips"
# Words a patient might really type, including characters that break naive HTML/CSV handling.
WORDS_A = 'my left eye is red, gritty & it "hurts" <a lot>'
WORDS_B = "=SUM(A1) other therapist's patient words"
CAREGIVER_SECRET_WORDS = "tight face, eye waters when eating, private"


def _key_frame_sheet(seed: str) -> bytes:
    """A stand-in key-frame PNG (the real one needs a face track): three grey tiles."""
    shade = int(seed[:2], 16)
    sheet = np.full((160, 480, 3), shade, dtype=np.uint8)
    for i in range(3):
        cv2.rectangle(sheet, (i * 160 + 10, 10), (i * 160 + 150, 150), (255, 255, 255), 2)
    ok, png = cv2.imencode(".png", sheet)
    assert ok
    return png.tobytes()


@dataclass
class World:
    """Ids and sign-ins of everything `build_world` made."""

    url: str
    logins: dict[str, str] = field(default_factory=dict)  # role name -> e-mail
    ids: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash the shared one once


def _user(session: Session, email: str, role: str, **links: int) -> PortalUser:
    user = PortalUser(
        email=email,
        password_hash=_password_hash(),
        role=role,
        failed_logins=0,
        active=True,
        must_change_password=False,
        **links,
    )
    session.add(user)
    session.flush()
    return user


def _report(name: str) -> dict:
    return json.loads((DEMO_CLIPS / f"{name}.json").read_text(encoding="utf-8"))


def build_world(url: str, now: datetime | None = None) -> World:
    """Create the clinic in the (migrated) database at `url`."""
    now = now or datetime.now(UTC)
    world = World(url)
    with transaction(url) as s:
        ta = Therapist(name="Dr A", email="a@clinic.test", phone="+15005550006")
        tb = Therapist(name="Dr B", email="b@clinic.test")
        s.add_all([ta, tb])
        s.flush()
        pa = Patient(
            display_name="Alice Example",
            timezone="Europe/London",
            checkin_time=time(9, 0),
            affected_side="left",
            therapist_id=ta.id,
            eye_closure_incomplete=True,
        )
        pa2 = Patient(
            display_name="Zed Second",
            timezone="Europe/Paris",
            checkin_time=time(8, 0),
            affected_side="right",
            therapist_id=ta.id,
        )
        pb = Patient(
            display_name="Bob Other",
            timezone="Europe/London",
            checkin_time=time(9, 0),
            affected_side="right",
            therapist_id=tb.id,
        )
        pu = Patient(
            display_name="Una Assigned-Not", timezone="Europe/London", checkin_time=time(9, 0)
        )
        s.add_all([pa, pa2, pb, pu])
        s.flush()
        for days in range(30, 0, -1):
            at = now - timedelta(days=days, hours=1)
            checkin = CheckIn(
                patient_id=pa.id,
                submission_key=f"w:{pa.id}:{days}",
                completed_at=at,
                face_feeling=CAREGIVER_SECRET_WORDS,
                sessions_done=days % 3,
                minutes_practised=10 * (days % 3),
                mirror_used=True,
                eye_care_done=True,
                mood=5 + days % 4,
            )
            s.add(checkin)
            s.flush()
            if days == 2:
                s.add(
                    SymptomReport(
                        checkin_id=checkin.id,
                        patient_id=pa.id,
                        symptom="tearing",
                        side="left",
                        trigger="eating",
                        negated=False,
                        text="eye waters when eating",
                    )
                )
            s.add(
                CheckIn(
                    patient_id=pb.id,
                    submission_key=f"w:{pb.id}:{days}",
                    completed_at=at,
                    face_feeling=WORDS_B,
                    sessions_done=1,
                    minutes_practised=5,
                    mood=7,
                )
            )
        for week, score in enumerate((31.1, 33.3, 35.6, 48.9)):
            previous = (31.1, 33.3, 35.6, 48.9)[week - 1] if week else None
            change = None if previous is None else round(score - previous, 1)
            s.add(
                QuestionnaireResponse(
                    patient_id=pa.id,
                    submission_key=f"w-saq:{week}",
                    answered_at=now - timedelta(days=28 - 7 * week),
                    items=[2, 2, 1, 1, 2, 2, 1, 1, 2] if week < 3 else [3, 3, 2, 2, 3, 3, 2, 2, 2],
                    score=score,
                    change_from_previous=change,
                    real_change=change is not None and abs(change) >= 13,
                )
            )
        clips = {}
        for name, days, owner in (("baseline", 20, pa), ("synk", 3, pa), ("baseline", 5, pb)):
            report = _report(name)
            clip_id = hashlib.sha256(f"{owner.id}:{name}".encode()).hexdigest()
            row = ClipAnalysis(
                patient_id=owner.id,
                clip_id=clip_id,
                created_at=now - timedelta(days=days),
                status=report["status"],
                is_baseline=name == "baseline",
                needs_review=report["needs_review"],
                report=report,
            )
            s.add(row)
            s.flush()
            plot = get_settings().media_dir / "clip-plots" / clip_id[:2] / f"{clip_id}.png"
            write_atomic(plot, render_png(report))
            write_atomic(key_frames_beside(plot), _key_frame_sheet(clip_id))
            clips[f"{owner.display_name.split()[0].lower()}_{name}"] = row.id
        eye = raise_escalation(
            s,
            pa,
            EscalationRequest("eye_at_risk", "w:eye", {"text": WORDS_A, "flag": "eye_at_risk"}),
        )
        stroke = raise_escalation(
            s,
            pa2,
            EscalationRequest(
                "stroke", "w:stroke", {"text": "my arm feels weak and my words come out wrong"}
            ),
        )
        clip_alert = raise_escalation(
            s,
            pa,
            EscalationRequest(
                "early_synkinesis",
                "w:clip",
                {"source": "weekly selfie clip", "clip_analysis_id": clips["alice_synk"]},
            ),
        )
        other = raise_escalation(
            s, pb, EscalationRequest("eye_at_risk", "w:other", {"text": WORDS_B})
        )
        unassigned = raise_escalation(
            s, None, EscalationRequest("self_harm", "w:unknown", {"text": "nobody would miss me"})
        )
        s.flush()
        # a pending ladder reminder, which acknowledging must cancel
        s.add(
            Notification(
                escalation_id=eye.id,
                idempotency_key="w:eye:ladder:1",
                recipient_kind="therapist",
                recipient_id=ta.id,
                channel="email",
                address=ta.email,
                template="escalation_reminder",
                payload={},
            )
        )
        consented = Caregiver(
            patient_id=pa.id,
            name="Carla Consent",
            email="carla@family.test",
            consent_scope=["missed_checkin", "emergency"],
            consented_at=now,
        )
        clinical = Caregiver(
            patient_id=pa.id,
            name="Cleo Clinical",
            email="cleo@family.test",
            consent_scope=["emergency", "view_symptoms", "view_saq", "view_clips", "view_mood"],
            consented_at=now,
        )
        unconsented = Caregiver(
            patient_id=pa.id, name="Nina None", email="nina@family.test", consent_scope=[]
        )
        s.add_all([consented, clinical, unconsented])
        s.flush()
        s.add(
            Notification(
                idempotency_key="w:reminder",
                recipient_kind="caregiver",
                recipient_id=consented.id,
                channel="email",
                address="carla@family.test",
                template="caregiver_missed_checkin",
                payload={},
                status="sent",
            )
        )
        users = {
            "therapist_a": _user(s, "a@clinic.test", "therapist", therapist_id=ta.id),
            "therapist_b": _user(s, "b@clinic.test", "therapist", therapist_id=tb.id),
            "admin": _user(s, "admin@clinic.test", "admin"),
            "caregiver": _user(s, "carla@family.test", "caregiver", caregiver_id=consented.id),
            "caregiver_clinical": _user(
                s, "cleo@family.test", "caregiver", caregiver_id=clinical.id
            ),
            "caregiver_none": _user(
                s, "nina@family.test", "caregiver", caregiver_id=unconsented.id
            ),
        }
        world.logins = {name: user.email for name, user in users.items()}
        world.ids = {
            "therapist_a": ta.id,
            "therapist_b": tb.id,
            "patient_a": pa.id,
            "patient_a2": pa2.id,
            "patient_b": pb.id,
            "patient_unassigned": pu.id,
            "alert_eye": eye.id,
            "alert_stroke": stroke.id,
            "alert_clip": clip_alert.id,
            "alert_b": other.id,
            "alert_unassigned": unassigned.id,
            "caregiver": consented.id,
            "caregiver_clinical": clinical.id,
            "caregiver_none": unconsented.id,
            **{f"clip_{k}": v for k, v in clips.items()},
            **{f"user_{k}": u.id for k, u in users.items()},
        }
    return world


def ack_link_token(url: str, escalation_id: int) -> str:
    """The acknowledge-link token carried by the therapist's first email about an alert."""
    from sqlalchemy import select

    from coach.escalation.links import token_for
    from coach.storage.db import session_factory

    with session_factory(url)() as s:
        row = s.scalars(
            select(Notification)
            .where(
                Notification.escalation_id == escalation_id,
                Notification.channel == "email",
                Notification.recipient_kind == "therapist",
            )
            .order_by(Notification.id)
        ).first()
        assert row is not None, f"no therapist email for escalation {escalation_id}"
        return token_for(row)[0]
