"""The app side of the channels: exact identities, consent, STOP/START, delete my data, clip
ownership, upload links."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, update

from coach.channels.signing import InvalidToken
from coach.clips.errors import ClipRejected
from coach.clips.intake import clip_path, key_frames_path, plot_path
from coach.config import REPO_DIR, get_settings
from coach.content import load_content
from coach.media.incoming import IncomingWriter, incoming_path
from coach.messaging.clips import claim_clip
from coach.messaging.consent import CLIPS, DATA, consent_version, has_answered, record_consent
from coach.messaging.erasure import erase_patient_data, remove_files
from coach.messaging.optout import CAREGIVER, PATIENT, UNKNOWN, OptResult, set_opt_out
from coach.messaging.upload_links import (
    LinkUsed,
    check_upload_link,
    consume_upload_link,
    create_upload_link,
)
from coach.storage.db import transaction
from coach.storage.models import (
    AuditEvent,
    Caregiver,
    ChannelIdentity,
    CheckIn,
    ClipAnalysis,
    ClipUpload,
    ConsentRecord,
    Escalation,
    MoodReport,
    Notification,
    Patient,
    SymptomReport,
)
from coach.storage.patients import patient_for_sender, patient_profile
from tests.conftest import SeededClinic, add_patient


def test_consent_versions_name_the_exact_words_shown() -> None:
    responses: dict = {}
    for path in (REPO_DIR / "domain").glob("*.yml"):
        responses.update(yaml.safe_load(path.read_text()).get("responses") or {})
    for kind, spec in load_content("channels")["consent"].items():
        text = responses[spec["response"]][0]["text"]
        assert hashlib.sha256(text.encode()).hexdigest() == spec["sha256"], (
            f"the {kind} consent text changed: give it a new version in coach/content/"
            "channels.yml and record the new sha256"
        )


def test_identities_match_exactly_never_across_channels(app_db: str) -> None:
    web = add_patient(app_db, "webchat:abc", channel="webchat")
    rest = add_patient(app_db, "abc")
    with transaction(app_db) as session:
        assert patient_for_sender(session, "webchat", "webchat:abc").id == web.patient_id
        assert patient_for_sender(session, None, "webchat:abc").id == web.patient_id
        assert patient_for_sender(session, "rest", "abc").id == rest.patient_id
        assert patient_for_sender(session, "rest", "webchat:abc") is None  # input channel disagrees
        assert patient_for_sender(session, "webchat", "abc") is None
        assert patient_for_sender(session, "telegram", "telegram:abc") is None
        assert patient_profile(session, "sms", "sms:abc") is None


def test_consent_is_recorded_with_its_version_and_can_be_withdrawn(clinic: SeededClinic) -> None:
    with transaction(clinic.url) as session:
        session.execute(
            update(Patient).values(data_consent_version=None, clip_consent_version=None)
        )
        assert not has_answered(session, clinic.patient_id, CLIPS)
        record_consent(session, clinic.patient_id, DATA, True, "whatsapp")
        record_consent(session, clinic.patient_id, CLIPS, False, "whatsapp")
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        assert patient.data_consent_version == consent_version(DATA)
        assert patient.data_consented_at is not None and patient.clip_consent_version is None
        assert has_answered(session, clinic.patient_id, CLIPS)
        record_consent(session, clinic.patient_id, DATA, False, "whatsapp")
    with transaction(clinic.url) as session:
        assert session.get(Patient, clinic.patient_id).data_consent_version is None
        records = session.execute(
            select(ConsentRecord.kind, ConsentRecord.granted, ConsentRecord.version).order_by(
                ConsentRecord.id
            )
        ).all()
    assert [(k, g) for k, g, _ in records] == [(DATA, True), (CLIPS, False), (DATA, False)]
    assert {v for _, _, v in records} == {consent_version(DATA), consent_version(CLIPS)}


def test_stop_and_start_for_patients_caregivers_and_strangers(clinic: SeededClinic) -> None:
    with transaction(clinic.url) as session:
        session.execute(update(Caregiver).values(phone="whatsapp:+447700900555"))
    with transaction(clinic.url) as session:
        assert set_opt_out(session, "rest", "patient-1", stop=True) == OptResult(PATIENT, True)
        assert set_opt_out(session, "rest", "patient-1", stop=True).changed is False
        assert (
            set_opt_out(session, "whatsapp", "whatsapp:+447700900555", stop=True).who == CAREGIVER
        )
        assert set_opt_out(session, "telegram", "telegram:1", stop=True).who == UNKNOWN
    with transaction(clinic.url) as session:
        identity = session.scalars(select(ChannelIdentity)).one()
        caregiver = session.scalars(select(Caregiver)).one()
        assert identity.opted_out_at is not None and caregiver.opted_out_at is not None
        set_opt_out(session, "rest", "patient-1", stop=False)
        set_opt_out(session, "whatsapp", "whatsapp:+447700900555", stop=False)
    with transaction(clinic.url) as session:
        assert session.scalars(select(ChannelIdentity.opted_out_at)).one() is None
        assert session.scalars(select(Caregiver.opted_out_at)).one() is None
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("opted_out") == 2 and actions.count("opted_in") == 2


def _quarantine(data: bytes) -> str:
    writer = IncomingWriter(len(data) + 1)
    writer.write(data)
    return writer.finish()


def test_a_received_clip_is_validated_and_bound_to_whoever_named_it_first(
    clinic: SeededClinic, protocol_clip_files
) -> None:
    other = add_patient(clinic.url, "other")
    clip_id = _quarantine(protocol_clip_files["healthy"].read_bytes())
    with transaction(clinic.url) as session:
        path = claim_clip(session, clinic.patient_id, clip_id, "rest")
    assert path == clip_path(clip_id) and incoming_path(clip_id) is None
    with transaction(clinic.url) as session:
        assert claim_clip(session, clinic.patient_id, clip_id, "rest") == path  # owner again
        assert claim_clip(session, other.patient_id, clip_id, "rest") is None
        assert session.scalars(select(ClipUpload.patient_id)).all() == [clinic.patient_id]


def test_a_received_file_that_fails_validation_is_not_kept(clinic: SeededClinic) -> None:
    clip_id = _quarantine(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000)  # not a playable video
    with transaction(clinic.url) as session, pytest.raises(ClipRejected):
        claim_clip(session, clinic.patient_id, clip_id, "rest")
    assert incoming_path(clip_id) is None and clip_path(clip_id) is None


def _populate(clinic: SeededClinic, clip_id: str) -> None:
    with transaction(clinic.url) as session:
        checkin = CheckIn(patient_id=clinic.patient_id, submission_key="checkin:patient-1:m1")
        session.add(checkin)
        session.flush()
        session.add(
            SymptomReport(
                checkin_id=checkin.id, patient_id=clinic.patient_id, symptom="x", text="my eye"
            )
        )
        session.add(
            ClipAnalysis(patient_id=clinic.patient_id, clip_id=clip_id, status="ok", report={})
        )
        escalation = Escalation(
            patient_id=clinic.patient_id,
            kind="eye_at_risk",
            level="urgent",
            idempotency_key="red_flag:eye_at_risk:rest:patient-1:m2",
            evidence={"text": "my eye hurts"},
        )
        session.add(escalation)
        session.flush()
        session.add(
            Notification(
                escalation_id=escalation.id,
                idempotency_key="red_flag:eye_at_risk:rest:patient-1:m2:therapist:1:email:0",
                recipient_kind="therapist",
                channel="email",
                address="t@clinic.example",
                template="escalation",
            )
        )


def test_delete_my_data_leaves_only_an_audit_record(
    clinic: SeededClinic, protocol_clip_files
) -> None:
    clip_id = _quarantine(protocol_clip_files["healthy"].read_bytes())
    with transaction(clinic.url) as session:
        claim_clip(session, clinic.patient_id, clip_id, "rest")
    plot_path(clip_id).write_bytes(b"\x89PNG plot")
    key_frames_path(clip_id).write_bytes(b"\x89PNG face frames")
    _populate(clinic, clip_id)
    with transaction(clinic.url) as session:
        session.add(MoodReport(patient_id=clinic.patient_id, source_key="mood:patient-1:m3"))
        report = erase_patient_data(session, clinic.patient_id)
    assert report.sender_ids == ["patient-1"]
    assert remove_files(report) == 3 and clip_path(clip_id) is None
    assert not plot_path(clip_id).exists() and not key_frames_path(clip_id).exists()
    with transaction(clinic.url) as session:
        models = (CheckIn, SymptomReport, MoodReport, ClipAnalysis, ClipUpload, ChannelIdentity)
        for model in models:
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
        patient = session.get(Patient, clinic.patient_id)
        assert not patient.active and patient.data_consent_version is None
        escalation = session.scalars(select(Escalation)).one()
        notification = session.scalars(select(Notification)).one()
        assert "patient-1" not in escalation.idempotency_key + notification.idempotency_key
        assert notification.idempotency_key.startswith(escalation.idempotency_key)
        assert "my eye" not in str(escalation.evidence)
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "patient_data_deleted")
        ).one()
        assert audit.detail["checkins"] == 1 and audit.detail["clip_analyses"] == 1
        assert "patient-1" not in str(audit.detail)


def test_a_clip_another_patient_also_sent_is_kept_for_them(
    clinic: SeededClinic, protocol_clip_files
) -> None:
    other = add_patient(clinic.url, "other")
    data = protocol_clip_files["healthy"].read_bytes()
    for patient_id in (clinic.patient_id, other.patient_id):
        clip_id = _quarantine(data)
        with transaction(clinic.url) as session:
            claim_clip(session, patient_id, clip_id, "rest")
    with transaction(clinic.url) as session:
        report = erase_patient_data(session, clinic.patient_id)
    remove_files(report)
    assert clip_path(clip_id) is not None


def test_an_upload_link_works_until_a_clip_was_analysed_and_never_for_another_purpose(
    clinic: SeededClinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBCHAT_PUBLIC_URL", "https://coach.example")
    now = datetime.now(timezone.utc)
    with transaction(clinic.url) as session:
        identity_id = session.scalars(select(ChannelIdentity.id)).one()
        url, expires = create_upload_link(session, identity_id, now=now)
    assert url.startswith("https://coach.example/chat/upload#u=")
    token = url.split("#u=", 1)[1]
    with transaction(clinic.url) as session:
        link, identity = check_upload_link(session, token, now=now)
        assert identity.id == identity_id
        check_upload_link(session, token, now=now)  # checking does not use it up
        consume_upload_link(session, link.id, now=now)
    with transaction(clinic.url) as session:
        with pytest.raises(LinkUsed):
            check_upload_link(session, token, now=now)
        with pytest.raises(LinkUsed):
            consume_upload_link(session, link.id, now=now)
        url2, _ = create_upload_link(session, identity_id, now=now)
    token2 = url2.split("#u=", 1)[1]
    with transaction(clinic.url) as session:
        with pytest.raises(InvalidToken):
            check_upload_link(session, token2, now=expires + timedelta(hours=25))
        with pytest.raises(InvalidToken):
            check_upload_link(session, token2[:-3] + "abc", now=now)


@pytest.fixture(autouse=True)
def _media_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
