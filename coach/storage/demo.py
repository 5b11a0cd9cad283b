"""Seed the demo clinic from content/demo_clinic.yml (idempotent).

Base: the demo therapist, patient and consented caregiver the chat uses. Portal: sign-ins for a
therapist, a clinic admin, a caregiver and a second therapist, more patients, and a few months
of check-ins, questionnaires, clips (with their plots) and alerts, so lists and charts show
something. Demo data is generated from a fixed random seed.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.config import get_settings
from coach.content import load_content
from coach.messaging.consent import CLIPS, DATA, record_consent
from coach.storage.db import transaction
from coach.storage.models import (
    Caregiver,
    ChannelIdentity,
    CheckIn,
    ClipAnalysis,
    Escalation,
    Patient,
    PortalUser,
    QuestionnaireResponse,
    SymptomReport,
    Therapist,
)

UTC = timezone.utc
SAQ_ITEMS = 9


def _ensure_identities(session: Session, patient: Patient, identities: list[dict]) -> None:
    """Add the demo identities an older seed did not have (idempotent)."""
    for identity in identities:
        exists = session.scalar(
            select(ChannelIdentity.id).where(
                ChannelIdentity.channel == identity["channel"],
                ChannelIdentity.sender_id == identity["sender_id"],
            )
        )
        if exists is None:
            session.add(ChannelIdentity(patient=patient, **identity))


def _consent(session: Session, patient: Patient) -> None:
    """The demo patient's recorded consent (data and clips), as if given in the chat."""
    session.flush()
    for kind in (DATA, CLIPS):
        record_consent(session, patient.id, kind, True, channel="demo-seed")


def seed_demo_clinic(database_url: str | None = None) -> bool:
    """Create the demo clinic and its portal data; False when everything was already there."""
    demo = load_content("demo_clinic")
    created = False
    with transaction(database_url) as session:
        therapist = session.scalar(
            select(Therapist).where(Therapist.email == demo["therapist"]["email"])
        )
        if therapist is None:
            _seed_base(session, demo)
            created = True
        else:
            _upgrade_demo_patient(session, demo, therapist)
        admin_email = demo["accounts"]["admin"]["email"]
        if session.scalar(select(PortalUser.id).where(PortalUser.email == admin_email)) is None:
            _seed_portal(session, demo)
            created = True
    return created


def _upgrade_demo_patient(session: Session, demo: dict[str, Any], therapist: Therapist) -> None:
    """A demo clinic seeded before channels existed: its patient's web chat and consent."""
    patient = session.scalar(
        select(Patient).where(
            Patient.therapist_id == therapist.id,
            Patient.display_name == demo["patient"]["display_name"],
        )
    )
    if patient is None:
        return
    _ensure_identities(session, patient, demo["patient"]["identities"])
    if demo["patient"].get("consented") and patient.data_consent_version is None:
        _consent(session, patient)


def _seed_base(session: Session, demo: dict[str, Any]) -> None:
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
    _ensure_identities(session, patient, spec["identities"])
    if spec.get("consented"):
        _consent(session, patient)
    session.add(
        Caregiver(
            patient=patient,
            consented_at=datetime.now(UTC),
            **demo["caregiver"],
        )
    )
    session.flush()


def _seed_portal(session: Session, demo: dict[str, Any]) -> None:
    from coach.portal.accounts import create_user

    logins = demo["accounts"]
    main = session.scalar(select(Therapist).where(Therapist.email == demo["therapist"]["email"]))
    other = Therapist(**demo["other_therapist"])
    session.add(other)
    session.flush()
    assert main is not None
    sam = session.scalar(
        select(Patient).where(Patient.display_name == demo["patient"]["display_name"])
    )
    caregiver = session.scalar(
        select(Caregiver).where(Caregiver.email == demo["caregiver"]["email"])
    )
    create_user(session, **logins["therapist"], role="therapist", therapist_id=main.id)
    create_user(session, **logins["other_therapist"], role="therapist", therapist_id=other.id)
    create_user(session, **logins["admin"], role="admin")
    if caregiver is not None:
        create_user(session, **logins["caregiver"], role="caregiver", caregiver_id=caregiver.id)
    history = demo["history"]
    rng = random.Random(history["seed"])
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if sam is not None:
        sam.plan_exercises = ["mirror_biofeedback", "gentle_eye_closure", "small_smile"]
        _history(session, sam, history, rng, now, trend=0.8, jump=history["saq_jump"])
        _clips(session, sam, history, now)
        _alert(
            session,
            sam,
            "eye_at_risk",
            now - timedelta(minutes=25),
            0,
            {"text": "my left eye is red and gritty and it hurts", "flag": "eye_at_risk"},
        )
    therapists = {"main": main, "other": other, "none": None}
    for index, (name, owner, side, weeks) in enumerate(history["more_patients"]):
        patient = Patient(
            display_name=name,
            timezone="Europe/London",
            locale="en-GB",
            checkin_time=time(8 + index % 4, 30),
            onset_date=now.date() - timedelta(weeks=weeks),
            affected_side=side,
            eye_closure_incomplete=index % 2 == 0,
            therapist=therapists[owner],
        )
        session.add(patient)
        session.flush()
        _history(
            session,
            patient,
            history,
            rng,
            now,
            trend=rng.uniform(-0.5, 1.5),
            days=min(history["days"], weeks * 7),
        )
        if index == 1:
            _alert(
                session,
                patient,
                "low_mood",
                now - timedelta(hours=26),
                1,
                {"mood": 2, "text": "I don't want to see anyone at the moment"},
            )
    _alert(
        session,
        None,
        "self_harm",
        now - timedelta(minutes=12),
        0,
        {
            "text": "sometimes I think everyone would be better off without me",
            "source": "unknown sender on the web chat",
        },
    )


def _history(
    session: Session,
    patient: Patient,
    history: dict[str, Any],
    rng: random.Random,
    now: datetime,
    *,
    trend: float,
    days: int | None = None,
    jump: list[float] | None = None,
) -> None:
    """Daily check-ins (most days) and a weekly SAQ, drifting by `trend` points a week
    (plus `jump` = [days ago, points]: a step from that day on)."""
    days = days or history["days"]
    words = history["words"]
    previous: float | None = None
    for ago in range(days, 0, -1):
        at = now - timedelta(days=ago, hours=rng.uniform(-2, 2))
        if rng.random() < history["checkin_rate"]:
            sessions = rng.choice([0, 1, 2, 2, 3])
            checkin = CheckIn(
                patient_id=patient.id,
                submission_key=f"demo:{patient.id}:{ago}",
                completed_at=at,
                face_feeling=rng.choice(words),
                early_sign_key="eye_smile",
                early_sign_present=rng.random() < 0.3,
                sessions_done=sessions,
                minutes_practised=sessions * rng.choice([5, 10, 10, 15]),
                mirror_used=sessions > 0 and rng.random() < 0.8,
                forced_movements=rng.random() < 0.05,
                eye_care_done=rng.random() < 0.85 if patient.eye_closure_incomplete else None,
                mood=max(0, min(10, round(rng.gauss(6.5, 1.5)))),
            )
            session.add(checkin)
            if "eye" in (checkin.face_feeling or "") and "water" in (checkin.face_feeling or ""):
                session.flush()
                session.add(
                    SymptomReport(
                        checkin_id=checkin.id,
                        patient_id=patient.id,
                        symptom="tearing",
                        side=patient.affected_side,
                        trigger="eating",
                        negated=False,
                        text=checkin.face_feeling,
                    )
                )
        if ago % 7 == 0:
            weeks_in = (days - ago) / 7
            base = 30 + trend * weeks_in + rng.uniform(-3, 3)
            if jump and ago <= jump[0]:
                base += jump[1]
            items = _saq_items(base, rng)
            score = round(sum(items) / 45 * 100, 1)
            change = None if previous is None else round(score - previous, 1)
            session.add(
                QuestionnaireResponse(
                    patient_id=patient.id,
                    submission_key=f"demo-saq:{patient.id}:{ago}",
                    answered_at=at,
                    items=items,
                    score=score,
                    change_from_previous=change,
                    real_change=change is not None and abs(change) >= 13,
                )
            )
            previous = score


def _saq_items(target: float, rng: random.Random) -> list[int]:
    """Nine 1–5 items whose score is near `target` (20–100)."""
    total = max(SAQ_ITEMS, min(45, round(target / 100 * 45)))
    items = [1] * SAQ_ITEMS
    for _ in range(total - SAQ_ITEMS):
        open_items = [i for i, v in enumerate(items) if v < 5]
        items[rng.choice(open_items)] += 1
    return items


def _clips(session: Session, patient: Patient, history: dict[str, Any], now: datetime) -> None:
    """The demo clips (real reports of synthetic clips) with their plots in the media folder."""
    from coach.clips.plot import render_png
    from coach.clips.report import write_atomic

    folder = get_settings().content_dir / "demo_clips"
    media = get_settings().media_dir
    for ago, name in history["clips"]:
        report = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        clip_id = hashlib.sha256(f"demo-clip:{patient.id}:{name}".encode()).hexdigest()
        row = ClipAnalysis(
            patient_id=patient.id,
            clip_id=clip_id,
            created_at=now - timedelta(days=ago),
            status=report["status"],
            is_baseline=name == "baseline",
            needs_review=bool(report["needs_review"]),
            report=report,
        )
        session.add(row)
        session.flush()
        write_atomic(media / "clip-plots" / clip_id[:2] / f"{clip_id}.png", render_png(report))
        if row.needs_review:
            from coach.clips.evidence import clip_evidence

            _alert(
                session,
                patient,
                "early_synkinesis",
                row.created_at,
                1,
                clip_evidence(report, row.id, row.is_baseline),
            )


def _alert(
    session: Session,
    patient: Patient | None,
    kind: str,
    at: datetime,
    step: int,
    evidence: dict[str, Any],
) -> None:
    """An open alert as if its first notifications had gone out (no outbox rows of its own)."""
    level = load_content("clinical")["escalation_levels"].get(kind, "urgent")
    session.add(
        Escalation(
            patient_id=patient.id if patient else None,
            kind=kind,
            level=level,
            status="open",
            idempotency_key=f"demo:{kind}:{patient.id if patient else 0}:{at.date()}",
            evidence=evidence,
            created_at=at,
            ladder_step=step,  # the scheduler's ladder takes it from here (reminders by e-mail)
        )
    )
