"""Messy answers, as patients give them, and the value each one must leave in the database.

Runs the scripted conversations in stored_values.yml against the real Rasa and action servers;
any wrong stored value fails `make test`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, CheckIn, Patient, QuestionnaireResponse
from tests.conftest import add_patient
from tests.e2e.conftest import CoachServers

CASES = yaml.safe_load((Path(__file__).parent / "stored_values.yml").read_text())
MIN_MESSY_ANSWERS = 60
_patients: dict[str, str] = {}


def _messy_turns(kind: str) -> list[dict[str, Any]]:
    return [t for c in CASES[kind] for t in c["turns"] if isinstance(t, dict) and "store" in t]


def test_the_set_has_enough_messy_answers() -> None:
    turns = [t for kind in CASES for t in _messy_turns(kind)]
    values = sum(len(t["store"]) for t in turns)
    assert len(turns) >= MIN_MESSY_ANSWERS and values > len(turns)


def _sender(servers: CoachServers, conversation: dict[str, Any]) -> str:
    shared = conversation.get("patient")
    if shared and shared in _patients:
        return _patients[shared]
    sender = f"stored-{uuid.uuid4().hex[:8]}"
    add_patient(servers.database_url, sender)
    if shared:
        _patients[shared] = sender
    return sender


def _talk(servers: CoachServers, sender: str, conversation: dict[str, Any]) -> dict[str, Any]:
    """Play the conversation; return the values it must have stored."""
    expected: dict[str, Any] = {}
    for turn in conversation["turns"]:
        if isinstance(turn, str):
            servers.texts(sender, turn)
            continue
        replies = " ".join(servers.texts(sender, turn["say"]))
        if "asks" in turn:
            assert turn["asks"].lower() in replies.lower(), (turn["say"], replies)
        for follow_up in turn.get("then", []):
            servers.texts(sender, follow_up)
        expected.update(turn.get("store", {}))
    return expected


def _patient_id(servers: CoachServers, sender: str) -> int:
    with transaction(servers.database_url) as session:
        return session.scalar(
            select(ChannelIdentity.patient_id).where(ChannelIdentity.sender_id == sender)
        )


@pytest.mark.parametrize("conversation", CASES["checkins"], ids=lambda c: c["name"])
def test_checkin_stores_what_the_patient_meant(coach_servers, conversation) -> None:
    sender = _sender(coach_servers, conversation)
    expected = _talk(coach_servers, sender, conversation)
    with transaction(coach_servers.database_url) as session:
        rows = session.scalars(
            select(CheckIn).where(CheckIn.patient_id == _patient_id(coach_servers, sender))
        ).all()
        if conversation.get("stores_nothing"):
            assert rows == []
            return
        assert len(rows) == 1, "one check-in per patient per day"
        stored = {name: getattr(rows[0], name) for name in expected}
    assert stored == expected


@pytest.mark.parametrize("conversation", CASES["questionnaires"], ids=lambda c: c["name"])
def test_questionnaire_stores_what_the_patient_meant(coach_servers, conversation) -> None:
    sender = _sender(coach_servers, conversation)
    expected = _talk(coach_servers, sender, conversation)
    with transaction(coach_servers.database_url) as session:
        [row] = session.scalars(
            select(QuestionnaireResponse).where(
                QuestionnaireResponse.patient_id == _patient_id(coach_servers, sender)
            )
        ).all()
        stored = {f"saq_{n}": item for n, item in enumerate(row.items, start=1)}
    assert {k: stored[k] for k in expected} == expected
    assert len(stored) == 9


@pytest.mark.parametrize("conversation", CASES["reminders"], ids=lambda c: c["name"])
def test_reminder_time_is_stored_on_the_patients_clock(coach_servers, conversation) -> None:
    sender = _sender(coach_servers, conversation)
    expected = _talk(coach_servers, sender, conversation)
    with transaction(coach_servers.database_url) as session:
        patient = session.get(Patient, _patient_id(coach_servers, sender))
        assert patient.checkin_time.strftime("%H:%M") == expected["checkin_time"]
