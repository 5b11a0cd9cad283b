"""Check-in and SAQ storage, triage, and the escalation outbox written in one transaction."""

import pytest
from sqlalchemy import func, select

from coach.checkin.coaching import CheckInAnswers
from coach.checkin.service import record_checkin, record_saq
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.storage.db import transaction
from coach.storage.models import (
    CheckIn,
    Escalation,
    Notification,
    Patient,
    QuestionnaireResponse,
    SymptomReport,
)


def _answers(**overrides) -> CheckInAnswers:
    values = dict(
        face_feeling="much the same, no twitching",
        early_sign_key="eye_smile",
        early_sign_present=False,
        sessions_done=2,
        minutes_practised=20,
        mirror_used=True,
        forced_movements=False,
        eye_care_done=True,
        mood=7,
    )
    values.update(overrides)
    return CheckInAnswers(**values)


def _count(url: str, model) -> int:
    with transaction(url) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_quiet_checkin_is_stored_without_escalation(clinic) -> None:
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        outcome = record_checkin(session, patient, _answers(), "k1")
    assert outcome.escalation_kinds == []
    assert outcome.responses == ["utter_checkin_thanks"]
    with transaction(clinic.url) as session:
        stored = session.scalars(select(CheckIn)).one()
        assert (stored.sessions_done, stored.minutes_practised, stored.mood) == (2, 20, 7)
        symptoms = session.scalars(select(SymptomReport)).all()
        assert [(s.symptom, s.negated) for s in symptoms] == [("twitching", True)]


def test_early_sign_and_low_mood_escalate_with_outbox_rows(clinic) -> None:
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        outcome = record_checkin(
            session,
            patient,
            _answers(face_feeling="my left eye closes when I smile", mood=2, forced_movements=True),
            "k2",
        )
    assert sorted(outcome.escalation_kinds) == ["early_synkinesis", "low_mood"]
    assert outcome.responses == [  # at most two coaching messages, the most important first
        "utter_mood_support_therapist",
        "utter_coach_early_sign_noted",
        "utter_checkin_thanks",
    ]
    with transaction(clinic.url) as session:
        escalations = session.scalars(select(Escalation)).all()
        assert {(e.kind, e.level) for e in escalations} == {
            ("early_synkinesis", "working_day"),
            ("low_mood", "working_day"),
        }
        emails = session.scalars(select(Notification).where(Notification.channel == "email"))
        assert {n.recipient_kind for n in emails} == {"therapist"}


def test_missed_sessions_get_encouragement_not_blame(clinic) -> None:
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        outcome = record_checkin(
            session,
            patient,
            _answers(sessions_done=0, minutes_practised=None, mirror_used=None),
            "k3",
        )
    assert "utter_coach_encourage_missed" in outcome.responses


def test_resubmitting_the_same_checkin_writes_nothing_twice(clinic) -> None:
    for _ in range(2):
        with transaction(clinic.url) as session:
            patient = session.get(Patient, clinic.patient_id)
            record_checkin(
                session, patient, _answers(face_feeling="my eye waters when eating"), "same"
            )
    assert _count(clinic.url, CheckIn) == 1
    assert _count(clinic.url, Escalation) == 1


def test_failure_mid_transaction_leaves_nothing_half_written(clinic) -> None:
    with pytest.raises(RuntimeError):
        with transaction(clinic.url) as session:
            patient = session.get(Patient, clinic.patient_id)
            record_checkin(
                session, patient, _answers(face_feeling="my eye waters when eating"), "k4"
            )
            raise RuntimeError("crash after the writes, before commit")
    assert _count(clinic.url, CheckIn) == 0
    assert _count(clinic.url, Escalation) == 0
    assert _count(clinic.url, Notification) == 0


def test_emergency_reaches_consented_caregiver_only(clinic) -> None:
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        raise_escalation(session, patient, EscalationRequest("stroke", "s1", {"text": "x"}))
        raise_escalation(session, patient, EscalationRequest("eye_at_risk", "e1", {"text": "y"}))
    with transaction(clinic.url) as session:
        caregiver_rows = session.scalars(
            select(Notification).where(Notification.recipient_kind == "caregiver")
        ).all()
        assert len(caregiver_rows) == 1
        assert caregiver_rows[0].template == "caregiver_emergency"
        assert caregiver_rows[0].payload == {}  # no clinical detail for the caregiver
        stroke = session.scalars(select(Escalation).where(Escalation.kind == "stroke")).one()
        assert stroke.level == "emergency"
        sms = [n for n in stroke.notifications if n.channel == "sms"]
        assert sms and sms[0].recipient_kind == "therapist"


def test_saq_rise_of_13_points_is_flagged(clinic) -> None:
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        first, flagged_first = record_saq(session, patient, [2] * 9, "w1")
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        second, flagged_second = record_saq(session, patient, [2] * 6 + [4, 4, 4], "w2")
    assert (first.score, flagged_first) == (40.0, False)
    assert second.real_change and flagged_second
    assert _count(clinic.url, QuestionnaireResponse) == 2
    with transaction(clinic.url) as session:
        kinds = session.scalars(select(Escalation.kind)).all()
    assert kinds == ["early_synkinesis"]
