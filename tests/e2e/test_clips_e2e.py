"""Clips end to end: a channel stored the clip for its patient, the coach is told its id (as a
connector does, through Rasa's API), the action server analyses it in its process pool while
ordinary conversation turns keep flowing."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import quote

import httpx
from sqlalchemy import select

from coach.clips.intake import store_clip_file
from coach.messaging.clips import bind_clip
from coach.scheduler.rasa_client import SENDER_SAFE
from coach.storage.db import transaction
from coach.storage.models import ClipAnalysis, Escalation
from tests.conftest import add_patient
from tests.e2e.conftest import CoachServers, domain_text
from tests.e2e.stack import rest_headers

CONCURRENT_CLIPS = 10
SEE_A_DOCTOR = "please see a doctor today"  # CLINICAL.md: weakness on the other side or both
REASSURANCE = "expected during recovery"


def _store(servers: CoachServers, path, *patient_ids: int) -> str:
    """The clip as a channel leaves it: in the media store, bound to who uploaded it."""
    clip_id = store_clip_file(path, servers.workdir / "var" / "media").clip_id
    with transaction(servers.database_url) as session:
        for patient_id in patient_ids:
            bind_clip(session, patient_id, clip_id, "rest")
    return clip_id


def _send_clip(servers: CoachServers, sender: str, clip_id: str) -> list[str]:
    answer = servers.trigger(sender, "EXTERNAL_clip_uploaded", "rest", {"clip_id": clip_id})
    return [m.get("text", "") for m in answer.get("messages") or []]


def _analyses(servers: CoachServers, patient_id: int) -> list[ClipAnalysis]:
    with transaction(servers.database_url) as session:
        return list(
            session.scalars(select(ClipAnalysis).where(ClipAnalysis.patient_id == patient_id))
        )


def test_clip_message_gets_a_reply_and_a_stored_analysis(
    coach_servers: CoachServers, protocol_clip_files
) -> None:
    clinic = add_patient(coach_servers.database_url, f"clip-{uuid.uuid4().hex[:8]}")
    clip_id = _store(coach_servers, protocol_clip_files["healthy"], clinic.patient_id)
    replies = _send_clip(coach_servers, clinic.sender_id, clip_id)
    [analysis] = _analyses(coach_servers, clinic.patient_id)
    assert analysis.clip_id == clip_id and analysis.is_baseline
    assert replies[0] and replies[0] != domain_text("utter_technical_problem")


def _escalations(servers: CoachServers, patient_id: int) -> list[tuple[str, str]]:
    with transaction(servers.database_url) as session:
        rows = session.scalars(
            select(Escalation).where(Escalation.patient_id == patient_id).order_by(Escalation.id)
        ).all()
        return [(e.kind, e.level) for e in rows]


def test_weakness_on_the_unaffected_side_gets_a_doctor_today_and_one_urgent_escalation(
    coach_servers: CoachServers, side_clip_files
) -> None:
    clinic = add_patient(coach_servers.database_url, f"side-{uuid.uuid4().hex[:8]}")  # left
    clip_id = _store(coach_servers, side_clip_files["right_weak"], clinic.patient_id)
    reply = _send_clip(coach_servers, clinic.sender_id, clip_id)
    assert SEE_A_DOCTOR in reply[0] and "mirrored" in reply[0]  # the red flag comes first
    assert not any(REASSURANCE in text for text in reply)
    assert _escalations(coach_servers, clinic.patient_id) == [("other_cause", "urgent")]


def test_weakness_on_both_sides_gets_a_doctor_today_and_one_urgent_escalation(
    coach_servers: CoachServers, protocol_clip_files, side_clip_files
) -> None:
    clinic = add_patient(coach_servers.database_url, f"both-{uuid.uuid4().hex[:8]}")
    start = _store(coach_servers, protocol_clip_files["healthy"], clinic.patient_id)
    first = _send_clip(coach_servers, clinic.sender_id, start)
    assert first and not any(SEE_A_DOCTOR in text for text in first)
    assert _escalations(coach_servers, clinic.patient_id) == []
    clip_id = _store(coach_servers, side_clip_files["both_weak"], clinic.patient_id)
    reply = _send_clip(coach_servers, clinic.sender_id, clip_id)
    assert "both sides of your face moved much less" in reply[0] and SEE_A_DOCTOR in reply[0]
    assert not any(REASSURANCE in text for text in reply)
    assert _escalations(coach_servers, clinic.patient_id) == [("other_cause", "urgent")]


def test_unknown_clip_asks_for_a_resend(coach_servers: CoachServers) -> None:
    clinic = add_patient(coach_servers.database_url, f"clip-{uuid.uuid4().hex[:8]}")
    replies = _send_clip(coach_servers, clinic.sender_id, "0" * 64)
    assert replies == [domain_text("utter_clip_missing")]


def test_another_patients_clip_is_not_analysed(
    coach_servers: CoachServers, protocol_clip_files
) -> None:
    owner = add_patient(coach_servers.database_url, f"owner-{uuid.uuid4().hex[:8]}")
    other = add_patient(coach_servers.database_url, f"other-{uuid.uuid4().hex[:8]}")
    clip_id = _store(coach_servers, protocol_clip_files["healthy"], owner.patient_id)
    assert _send_clip(coach_servers, other.sender_id, clip_id) == [
        domain_text("utter_clip_missing")
    ]
    assert _analyses(coach_servers, other.patient_id) == []


def test_cue_card_on_request(coach_servers: CoachServers) -> None:
    replies = coach_servers.texts(f"cue-{uuid.uuid4().hex[:6]}", "how do I record my clip")
    assert replies == [domain_text("utter_clip_instructions")]


def test_ten_clip_analyses_do_not_stall_a_checkin_turn(
    coach_servers: CoachServers, protocol_clip_files
) -> None:
    clip_senders = [
        add_patient(coach_servers.database_url, f"many-{i}-{uuid.uuid4().hex[:6]}")
        for i in range(CONCURRENT_CLIPS)
    ]
    clip_id = _store(
        coach_servers, protocol_clip_files["synkinesis"], *(c.patient_id for c in clip_senders)
    )
    chatter = add_patient(coach_servers.database_url, f"chat-{uuid.uuid4().hex[:6]}")
    finished: list[str] = []
    url = f"{coach_servers.rasa_url}/webhooks/rest/webhook"
    api = coach_servers.rasa_url + "/conversations/{}/trigger_intent"
    token = coach_servers.env["RASA_TOKEN"]

    async def clip(client: httpx.AsyncClient, sender: str) -> list:
        reply = await client.post(
            api.format(quote(sender, safe=SENDER_SAFE)),
            params={"token": token, "output_channel": "rest"},
            json={"name": "EXTERNAL_clip_uploaded", "entities": {"clip_id": clip_id}},
        )
        finished.append("clip")
        return reply.json()["messages"]

    async def say(client: httpx.AsyncClient, sender: str, text: str) -> list:
        reply = await client.post(
            url, json={"sender": sender, "message": text}, headers=rest_headers(sender)
        )
        finished.append("checkin")
        return reply.json()

    async def scenario() -> tuple[list, list]:
        async with httpx.AsyncClient(timeout=600) as client:
            clips = [asyncio.create_task(clip(client, c.sender_id)) for c in clip_senders]
            await asyncio.sleep(1.0)  # the pool is busy now
            checkin = await say(client, chatter.sender_id, "start my check-in")
            return checkin, await asyncio.gather(*clips)

    checkin_reply, clip_replies = asyncio.run(scenario())
    assert [m["text"] for m in checkin_reply] == [domain_text("utter_ask_face_feeling")]
    # the check-in turn came back while most analyses were still queued or running
    assert finished.index("checkin") < CONCURRENT_CLIPS // 2, finished
    assert all(replies for replies in clip_replies)
    for clinic in clip_senders:
        [analysis] = _analyses(coach_servers, clinic.patient_id)
        assert analysis.clip_id == clip_id
