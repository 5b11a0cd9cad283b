"""Clips end to end: a channel stores the clip, the REST message names it, the action server
analyses it in its process pool while ordinary conversation turns keep flowing."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from sqlalchemy import select

from coach.clips.intake import store_clip_file
from coach.storage.db import transaction
from coach.storage.models import ClipAnalysis
from tests.conftest import add_patient
from tests.e2e.conftest import CoachServers, domain_text

CONCURRENT_CLIPS = 10


def _clip_message(clip_id: str) -> str:
    return "/EXTERNAL_clip_uploaded" + json.dumps({"clip_id": clip_id})


def _store(servers: CoachServers, path) -> str:
    return store_clip_file(path, servers.workdir / "var" / "media").clip_id


def _analyses(servers: CoachServers, patient_id: int) -> list[ClipAnalysis]:
    with transaction(servers.database_url) as session:
        return list(
            session.scalars(select(ClipAnalysis).where(ClipAnalysis.patient_id == patient_id))
        )


def test_clip_message_gets_a_reply_and_a_stored_analysis(
    coach_servers: CoachServers, protocol_clip_files
) -> None:
    clinic = add_patient(coach_servers.database_url, f"clip-{uuid.uuid4().hex[:8]}")
    clip_id = _store(coach_servers, protocol_clip_files["healthy"])
    replies = coach_servers.texts(clinic.sender_id, _clip_message(clip_id))
    [analysis] = _analyses(coach_servers, clinic.patient_id)
    assert analysis.clip_id == clip_id and analysis.is_baseline
    assert replies[0] and replies[0] != domain_text("utter_technical_problem")


def test_unknown_clip_asks_for_a_resend(coach_servers: CoachServers) -> None:
    clinic = add_patient(coach_servers.database_url, f"clip-{uuid.uuid4().hex[:8]}")
    replies = coach_servers.texts(clinic.sender_id, _clip_message("0" * 64))
    assert replies == [domain_text("utter_clip_missing")]


def test_cue_card_on_request(coach_servers: CoachServers) -> None:
    replies = coach_servers.texts(f"cue-{uuid.uuid4().hex[:6]}", "how do I record my clip")
    assert replies == [domain_text("utter_clip_instructions")]


def test_ten_clip_analyses_do_not_stall_a_checkin_turn(
    coach_servers: CoachServers, protocol_clip_files
) -> None:
    clip_id = _store(coach_servers, protocol_clip_files["synkinesis"])
    clip_senders = [
        add_patient(coach_servers.database_url, f"many-{i}-{uuid.uuid4().hex[:6]}")
        for i in range(CONCURRENT_CLIPS)
    ]
    chatter = add_patient(coach_servers.database_url, f"chat-{uuid.uuid4().hex[:6]}")
    finished: list[str] = []
    url = f"{coach_servers.rasa_url}/webhooks/rest/webhook"

    async def send(client: httpx.AsyncClient, sender: str, text: str, label: str) -> list:
        reply = await client.post(url, json={"sender": sender, "message": text})
        finished.append(label)
        return reply.json()

    async def scenario() -> tuple[list, list]:
        async with httpx.AsyncClient(timeout=600) as client:
            clips = [
                asyncio.create_task(send(client, c.sender_id, _clip_message(clip_id), "clip"))
                for c in clip_senders
            ]
            await asyncio.sleep(1.0)  # the pool is busy now
            checkin = await send(client, chatter.sender_id, "start my check-in", "checkin")
            return checkin, await asyncio.gather(*clips)

    checkin_reply, clip_replies = asyncio.run(scenario())
    assert [m["text"] for m in checkin_reply] == [domain_text("utter_ask_face_feeling")]
    # the check-in turn came back while most analyses were still queued or running
    assert finished.index("checkin") < CONCURRENT_CLIPS // 2, finished
    assert all(replies for replies in clip_replies)
    for clinic in clip_senders:
        [analysis] = _analyses(coach_servers, clinic.patient_id)
        assert analysis.clip_id == clip_id
